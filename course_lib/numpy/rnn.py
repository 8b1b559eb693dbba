"""Vanilla (Elman) RNN in NumPy, forward and backward by hand, with torch.nn.RNN's equations and layout.

    h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh),   act = tanh or relu

The step functions are the readable version of the math; rnn_forward / rnn_backward compute the same
numbers faster (one matmul for the input projection of every step, one for each weight gradient).
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._bptt import batch_major, cell_grads, input_grad, input_projection, time_major
from course_lib.numpy._checks import check_nonlinearity, check_upstream, sequence_inputs, step_inputs
from course_lib.numpy.activations import activation, activation_grad


class RNNStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    h_next: np.ndarray  # (N, H)
    params: dict
    nonlinearity: str


class RNNCache(NamedTuple):
    x: np.ndarray  # (T, N, D) time-major copy of the input, so each step's slice is contiguous
    hs: np.ndarray  # (T + 1, N, H) hs[0] = h0, hs[t + 1] = h_t
    params: dict
    nonlinearity: str


def rnn_step_forward(x, h_prev, params, nonlinearity="tanh"):
    """One RNN step: h_next = act(x W_ihᵀ + b_ih + h_prev W_hhᵀ + b_hh).

    Args:
        x: (N, D). h_prev: (N, H). params: weight_ih (H, D), weight_hh (H, H), bias_ih, bias_hh (H,).
        nonlinearity: "tanh" or "relu".
    Returns:
        h_next: (N, H).  cache: RNNStepCache for rnn_step_backward.
    """
    check_nonlinearity(nonlinearity)
    x, h_prev, _ = step_inputs(x, h_prev, params, 1, "RNN")
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    h_next = activation(nonlinearity)(a)  # (N, H)
    return h_next, RNNStepCache(x, h_prev, h_next, params, nonlinearity)


def rnn_step_backward(dh_next, cache):
    """Backward of rnn_step_forward.

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next.  cache: from rnn_step_forward.
    Returns:
        dx: (N, D).  dh_prev: (N, H).  grads: dict keyed like params, same shapes.
    """
    dh_next = check_upstream("dh_next", dh_next, cache.h_next.shape, cache.h_next.dtype)
    da = dh_next * activation_grad(cache.h_next, cache.nonlinearity)  # (N, H) gradient at the pre-activation
    dx = da @ cache.params["weight_ih"]  # (N, D)
    dh_prev = da @ cache.params["weight_hh"]  # (N, H)
    return dx, dh_prev, cell_grads(da, cache.x, da, cache.h_prev)


def rnn_forward(x, h0, params, nonlinearity="tanh"):
    """An RNN over a whole sequence: rnn_step_forward for t = 0 .. T-1, carrying h.

    Args:
        x: (N, T, D). h0: (N, H), or None for zeros. params: as for rnn_step_forward.
        nonlinearity: "tanh" or "relu".
    Returns:
        out: (N, T, H), the hidden state after every step (out[:, -1] is the final state).
        cache: RNNCache for rnn_backward.
    """
    check_nonlinearity(nonlinearity)
    x, h0, H, dtype = sequence_inputs(x, h0, params, 1, "RNN")
    N, T, _ = x.shape
    act = activation(nonlinearity)
    x_tm = time_major(x, dtype)  # (T, N, D)
    # The input projection of every step in one matmul, both biases folded in.
    a = input_projection(x_tm, params["weight_ih"], params["bias_ih"] + params["bias_hh"])  # (T, N, H)
    W_hh_T = params["weight_hh"].T.astype(dtype, copy=False)  # (H, H)
    hs = np.empty((T + 1, N, H), dtype=dtype)  # hs[t + 1] = h_t
    hs[0] = h0
    for t in range(T):
        np.matmul(hs[t], W_hh_T, out=hs[t + 1])  # (N, H)
        hs[t + 1] += a[t]
        act(hs[t + 1], out=hs[t + 1])
    return batch_major(hs[1:]), RNNCache(x_tm, hs, params, nonlinearity)


def rnn_backward(dout, cache):
    """Backpropagation through time for rnn_forward.

    dout[:, t] is the upstream gradient of the loss with respect to out[:, t] (from a per-step loss);
    the loop adds it to the gradient carried back from step t + 1.

    Args:
        dout: (N, T, H).  cache: from rnn_forward.
    Returns:
        dx: (N, T, D).  dh0: (N, H).  grads: dict keyed like params, same shapes.
    """
    x_tm, hs, params = cache.x, cache.hs, cache.params
    T, N, _ = x_tm.shape
    H = hs.shape[2]
    dout = check_upstream("dout", dout, (N, T, H), hs.dtype)
    W_hh = params["weight_hh"].astype(hs.dtype, copy=False)  # (H, H)
    da = np.empty((T, N, H), dtype=hs.dtype)  # gradient at each step's pre-activation
    dh = np.zeros((N, H), dtype=hs.dtype)  # carried gradient: nothing flows in after the last step
    for t in reversed(range(T)):
        dh += dout[:, t]  # total gradient of h_t
        np.multiply(dh, activation_grad(hs[t + 1], cache.nonlinearity), out=da[t])
        np.matmul(da[t], W_hh, out=dh)  # now the carried gradient of h_{t-1}
    return input_grad(da, params["weight_ih"]), dh, cell_grads(da, x_tm, da, hs[:-1])
