"""LSTM in NumPy, forward and backward by hand, with torch.nn.LSTM's equations, gate order and layout.

    i = σ(x W_iiᵀ + b_ii + h W_hiᵀ + b_hi)     input gate
    f = σ(x W_ifᵀ + b_if + h W_hfᵀ + b_hf)     forget gate
    g = tanh(x W_igᵀ + b_ig + h W_hgᵀ + b_hg)  candidate cell
    o = σ(x W_ioᵀ + b_io + h W_hoᵀ + b_ho)     output gate
    c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

weight_ih (4H, D) stacks W_ii, W_if, W_ig, W_io in that order; weight_hh (4H, H), bias_ih and bias_hh (4H,)
are stacked alike.
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._bptt import batch_major, cell_grads, input_grad, input_projection, time_major
from course_lib.numpy._checks import check_state, check_upstream, float_dtype, sequence_inputs, step_inputs
from course_lib.numpy.activations import sigmoid


class LSTMStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    i: np.ndarray  # (N, H) input gate
    f: np.ndarray  # (N, H) forget gate
    g: np.ndarray  # (N, H) candidate cell
    o: np.ndarray  # (N, H) output gate
    tanh_c: np.ndarray  # (N, H) tanh(c_next)
    params: dict


class LSTMCache(NamedTuple):
    x: np.ndarray  # (T, N, D) time-major copy of the input
    hs: np.ndarray  # (T + 1, N, H) hs[0] = h0, hs[t + 1] = h_t
    cs: np.ndarray  # (T + 1, N, H) cs[0] = c0, cs[t + 1] = c_t
    gates: np.ndarray  # (T, N, 4, H) activations i, f, g, o of every step
    tanh_cs: np.ndarray  # (T, N, H) tanh(c_t)
    params: dict


def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step, as torch.nn.LSTMCell.

    i, f, o = σ(x W_ihᵀ + b_ih + h_prev W_hhᵀ + b_hh) in their blocks, g = tanh(same in its block)
    c_next = f ⊙ c_prev + i ⊙ g,   h_next = o ⊙ tanh(c_next)

    Args:
        x: (N, D). h_prev, c_prev: (N, H). params: weight_ih (4H, D), weight_hh (4H, H),
            bias_ih, bias_hh (4H,); gate blocks i, f, g, o.
    Returns:
        h_next: (N, H).  c_next: (N, H).  cache: LSTMStepCache for lstm_step_backward.
    """
    x, h_prev, H = step_inputs(x, h_prev, params, 4, "LSTM")
    c_prev = check_state("c_prev", c_prev, x.shape[0], H, x.dtype)
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    i = sigmoid(a[:, :H])  # (N, H)
    f = sigmoid(a[:, H : 2 * H])
    g = np.tanh(a[:, 2 * H : 3 * H])
    o = sigmoid(a[:, 3 * H :])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    return h_next, c_next, LSTMStepCache(x, h_prev, c_prev, i, f, g, o, tanh_c, params)


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward of lstm_step_forward.

    Args:
        dh_next, dc_next: (N, H) gradients of the loss with respect to h_next and c_next.
        cache: from lstm_step_forward.
    Returns:
        dx: (N, D).  dh_prev: (N, H).  dc_prev: (N, H).  grads: dict keyed like params, same shapes.
    """
    i, f, g, o, tanh_c = cache.i, cache.f, cache.g, cache.o, cache.tanh_c
    dh_next = check_upstream("dh_next", dh_next, i.shape, i.dtype)
    dc_next = check_upstream("dc_next", dc_next, i.shape, i.dtype)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)  # c_next reaches the loss directly and through h_next
    da_i = dc * g * i * (1 - i)  # gradients at the gates' pre-activations, σ' = σ(1 - σ)
    da_f = dc * cache.c_prev * f * (1 - f)
    da_g = dc * i * (1 - g**2)
    da_o = dh_next * tanh_c * o * (1 - o)
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)  # (N, 4H)
    dx = da @ cache.params["weight_ih"]  # (N, D)
    dh_prev = da @ cache.params["weight_hh"]  # (N, H)
    return dx, dh_prev, dc * f, cell_grads(da, cache.x, da, cache.h_prev)


def lstm_forward(x, h0, c0, params):
    """An LSTM over a whole sequence: lstm_step_forward for t = 0 .. T-1, carrying h and c.

    Args:
        x: (N, T, D). h0, c0: (N, H), or None for zeros. params: as for lstm_step_forward.
    Returns:
        out: (N, T, H), the hidden state h after every step.  cache: LSTMCache for lstm_backward.
    """
    x, h0, H, dtype = sequence_inputs(x, h0, params, 4, "LSTM")
    N, T, _ = x.shape
    c0 = check_state("c0", c0, N, H, dtype)
    dtype = float_dtype(dtype, c0)
    x_tm = time_major(x, dtype)  # (T, N, D)
    # Input part of every step's pre-activations in one matmul; the loop turns them into activations.
    gates = input_projection(x_tm, params["weight_ih"], params["bias_ih"] + params["bias_hh"])
    gates = gates.reshape(T, N, 4, H)  # (T, N, 4, H) gate axis: i, f, g, o
    W_hh_T = params["weight_hh"].T.astype(dtype, copy=False)  # (H, 4H)
    hs, cs = np.empty((2, T + 1, N, H), dtype=dtype)  # hs[t + 1] = h_t, cs[t + 1] = c_t
    hs[0], cs[0] = h0, c0
    tanh_cs = np.empty((T, N, H), dtype=dtype)
    rec, ig = np.empty((N, 4 * H), dtype=dtype), np.empty((N, H), dtype=dtype)  # per-step scratch
    for t in range(T):
        a = gates[t]  # (N, 4, H) input part of the pre-activations; becomes the activations
        a += np.matmul(hs[t], W_hh_T, out=rec).reshape(N, 4, H)  # + h_{t-1} W_hhᵀ
        i, f, g, o = a[:, 0], a[:, 1], a[:, 2], a[:, 3]  # views, (N, H) each
        sigmoid(a[:, :2], out=a[:, :2])  # i and f in one call
        np.tanh(g, out=g)
        sigmoid(o, out=o)
        np.multiply(f, cs[t], out=cs[t + 1])  # c_t = f ⊙ c_{t-1} + i ⊙ g
        cs[t + 1] += np.multiply(i, g, out=ig)
        np.tanh(cs[t + 1], out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t + 1])  # h_t = o ⊙ tanh(c_t)
    return batch_major(hs[1:]), LSTMCache(x_tm, hs, cs, gates, tanh_cs, params)


def lstm_backward(dout, cache):
    """Backpropagation through time for lstm_forward.

    dout[:, t] is the upstream gradient of the loss with respect to out[:, t]; the loop adds it to the
    gradient of h_t carried back from step t + 1. No upstream gradient reaches c except through h.

    Args:
        dout: (N, T, H).  cache: from lstm_forward.
    Returns:
        dx: (N, T, D).  dh0: (N, H).  dc0: (N, H).  grads: dict keyed like params, same shapes.
    """
    T, N, _, H = cache.gates.shape
    dtype = cache.hs.dtype
    dout = check_upstream("dout", dout, (N, T, H), dtype)
    W_hh = cache.params["weight_hh"].astype(dtype, copy=False)  # (4H, H)
    da = np.empty((T, N, 4, H), dtype=dtype)  # gradients at the pre-activations of i, f, g, o
    dh, dc = np.zeros((2, N, H), dtype=dtype)  # carried gradients; nothing flows in after step T-1
    for t in reversed(range(T)):
        i, f, g, o = (cache.gates[t, :, k] for k in range(4))  # (N, H) each
        tanh_c = cache.tanh_cs[t]
        dh += dout[:, t]  # total gradient of h_t
        dc += dh * o * (1 - tanh_c * tanh_c)  # total gradient of c_t: directly and through h_t
        da[t, :, 0] = dc * g * i * (1 - i)  # σ' = σ(1 - σ)
        da[t, :, 1] = dc * cache.cs[t] * f * (1 - f)
        da[t, :, 2] = dc * i * (1 - g * g)
        da[t, :, 3] = dh * tanh_c * o * (1 - o)
        dc *= f  # carried into c_{t-1}
        np.matmul(da[t].reshape(N, 4 * H), W_hh, out=dh)  # carried into h_{t-1}
    da = da.reshape(T, N, 4 * H)
    grads = cell_grads(da, cache.x, da, cache.hs[:-1])
    return input_grad(da, cache.params["weight_ih"]), dh, dc, grads
