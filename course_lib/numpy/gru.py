"""GRU in NumPy, forward and backward by hand, with torch.nn.GRU's equations, gate order and layout.

    r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)            reset gate
    z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)            update gate
    n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))   candidate
    h' = (1 - z) ⊙ n + z ⊙ h

The reset gate multiplies W_hn h + b_hn, after the matmul: this is torch's (and cuDNN's) variant, and the
reason b_hn cannot be folded into b_in. Cho et al. (2014) apply r before it; see cho_gru.py.
weight_ih (3H, D) stacks W_ir, W_iz, W_in in that order; weight_hh (3H, H), bias_ih and bias_hh (3H,) alike.
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._bptt import batch_major, cell_grads, input_grad, input_projection, time_major
from course_lib.numpy._checks import check_upstream, sequence_inputs, step_inputs
from course_lib.numpy.activations import sigmoid


class GRUStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    r: np.ndarray  # (N, H) reset gate
    z: np.ndarray  # (N, H) update gate
    n: np.ndarray  # (N, H) candidate
    hn: np.ndarray  # (N, H) h_prev W_hnᵀ + b_hn, the term the reset gate scales
    params: dict


class GRUCache(NamedTuple):
    x: np.ndarray  # (T, N, D) time-major copy of the input
    hs: np.ndarray  # (T + 1, N, H) hs[0] = h0, hs[t + 1] = h_t
    rz: np.ndarray  # (T, N, 2, H) gates r and z of every step
    ns: np.ndarray  # (T, N, H) candidates n
    hns: np.ndarray  # (T, N, H) h_{t-1} W_hnᵀ + b_hn
    params: dict


def gru_step_forward(x, h_prev, params):
    """One GRU step (PyTorch variant: reset applied after W_hn).

    r = σ(x W_irᵀ + b_ir + h_prev W_hrᵀ + b_hr),   z = same with _z
    n = tanh(x W_inᵀ + b_in + r ⊙ (h_prev W_hnᵀ + b_hn)),   h_next = (1 - z) ⊙ n + z ⊙ h_prev

    Args:
        x: (N, D). h_prev: (N, H). params: weight_ih (3H, D), weight_hh (3H, H),
            bias_ih, bias_hh (3H,); gate blocks r, z, n as in torch.nn.GRU.
    Returns:
        h_next: (N, H).  cache: GRUStepCache for gru_step_backward.
    """
    x, h_prev, H = step_inputs(x, h_prev, params, 3, "GRU")
    gi = x @ params["weight_ih"].T + params["bias_ih"]  # (N, 3H) input parts
    gh = h_prev @ params["weight_hh"].T + params["bias_hh"]  # (N, 3H) hidden parts
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    hn = gh[:, 2 * H :]
    n = np.tanh(gi[:, 2 * H :] + r * hn)
    h_next = (1 - z) * n + z * h_prev
    return h_next, GRUStepCache(x, h_prev, r, z, n, hn, params)


def gru_step_backward(dh_next, cache):
    """Backward of gru_step_forward.

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next.  cache: from gru_step_forward.
    Returns:
        dx: (N, D).  dh_prev: (N, H).  grads: dict keyed like params, same shapes.
    """
    r, z, n = cache.r, cache.z, cache.n
    dh = check_upstream("dh_next", dh_next, n.shape, n.dtype)
    da_n = dh * (1 - z) * (1 - n**2)  # gradient at x W_inᵀ + b_in + r ⊙ hn
    da_r = da_n * cache.hn * r * (1 - r)  # σ' = σ(1 - σ)
    da_z = dh * (cache.h_prev - n) * z * (1 - z)
    da_ih = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H) gradient at x W_ihᵀ + b_ih
    da_hh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (N, 3H) gradient at h_prev W_hhᵀ + b_hh
    dx = da_ih @ cache.params["weight_ih"]  # (N, D)
    dh_prev = dh * z + da_hh @ cache.params["weight_hh"]  # (N, H) direct path plus through the gates
    return dx, dh_prev, cell_grads(da_ih, cache.x, da_hh, cache.h_prev)


def gru_forward(x, h0, params):
    """A GRU over a whole sequence: gru_step_forward for t = 0 .. T-1, carrying h.

    Args:
        x: (N, T, D). h0: (N, H), or None for zeros. params: as for gru_step_forward.
    Returns:
        out: (N, T, H), the hidden state after every step.  cache: GRUCache for gru_backward.
    """
    x, h0, H, dtype = sequence_inputs(x, h0, params, 3, "GRU")
    N, T, _ = x.shape
    x_tm = time_major(x, dtype)  # (T, N, D)
    b_hh = params["bias_hh"].astype(dtype, copy=False).reshape(3, H)
    # Input parts of every step in one matmul; b_hr and b_hz fold in, b_hn stays inside r ⊙ (...).
    gi = input_projection(x_tm, params["weight_ih"], params["bias_ih"]).reshape(T, N, 3, H)
    gi[:, :, :2] += b_hh[:2]
    W_hh_T = params["weight_hh"].T.astype(dtype, copy=False)  # (H, 3H)
    hs = np.empty((T + 1, N, H), dtype=dtype)  # hs[t + 1] = h_t
    hs[0] = h0
    rz = np.empty((T, N, 2, H), dtype=dtype)
    ns, hns = np.empty((2, T, N, H), dtype=dtype)
    gh = np.empty((N, 3, H), dtype=dtype)  # per-step scratch: h_{t-1} W_hhᵀ
    for t in range(T):
        np.matmul(hs[t], W_hh_T, out=gh.reshape(N, 3 * H))
        sigmoid(np.add(gi[t, :, :2], gh[:, :2], out=rz[t]), out=rz[t])  # r, z
        np.add(gh[:, 2], b_hh[2], out=hns[t])
        np.multiply(rz[t, :, 0], hns[t], out=ns[t])
        ns[t] += gi[t, :, 2]
        np.tanh(ns[t], out=ns[t])  # n
        np.subtract(hs[t], ns[t], out=hs[t + 1])  # h_t = n + z ⊙ (h_{t-1} - n)
        hs[t + 1] *= rz[t, :, 1]
        hs[t + 1] += ns[t]
    return batch_major(hs[1:]), GRUCache(x_tm, hs, rz, ns, hns, params)


def gru_backward(dout, cache):
    """Backpropagation through time for gru_forward.

    dout[:, t] is the upstream gradient of the loss with respect to out[:, t]; the loop adds it to the
    gradient of h_t carried back from step t + 1.

    Args:
        dout: (N, T, H).  cache: from gru_forward.
    Returns:
        dx: (N, T, D).  dh0: (N, H).  grads: dict keyed like params, same shapes.
    """
    T, N, H = cache.ns.shape
    dtype = cache.ns.dtype
    dout = check_upstream("dout", dout, (N, T, H), dtype)
    W_hh = cache.params["weight_hh"].astype(dtype, copy=False)  # (3H, H)
    da_ih = np.empty((T, N, 3, H), dtype=dtype)  # gradients at x_t W_ihᵀ + b_ih, blocks r, z, n
    da_hh = np.empty((T, N, 3, H), dtype=dtype)  # at h_{t-1} W_hhᵀ + b_hh: the same, n's scaled by r
    dh = np.zeros((N, H), dtype=dtype)  # carried gradient; nothing flows in after step T-1
    for t in reversed(range(T)):
        r, z, n = cache.rz[t, :, 0], cache.rz[t, :, 1], cache.ns[t]  # (N, H) each
        dh += dout[:, t]  # total gradient of h_t
        da_ih[t, :, 2] = dh * (1 - z) * (1 - n * n)  # n
        da_ih[t, :, 0] = da_ih[t, :, 2] * cache.hns[t] * r * (1 - r)  # r, through r ⊙ hn
        da_ih[t, :, 1] = dh * (cache.hs[t] - n) * z * (1 - z)  # z
        da_hh[t, :, :2] = da_ih[t, :, :2]
        np.multiply(da_ih[t, :, 2], r, out=da_hh[t, :, 2])
        dh *= z  # carried into h_{t-1}: the direct path z ⊙ h_{t-1} ...
        dh += da_hh[t].reshape(N, 3 * H) @ W_hh  # ... plus the paths through the gates
    da_ih, da_hh = da_ih.reshape(T, N, 3 * H), da_hh.reshape(T, N, 3 * H)
    grads = cell_grads(da_ih, cache.x, da_hh, cache.hs[:-1])
    return input_grad(da_ih, cache.params["weight_ih"]), dh, grads
