"""The original GRU of Cho et al. (2014), which applies the reset gate before the recurrent matmul.

    r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr),   z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
    n = tanh(x W_inᵀ + b_in + (r ⊙ h) W_hnᵀ + b_hn)      <- torch: r ⊙ (h W_hnᵀ + b_hn)
    h' = (1 - z) ⊙ n + z ⊙ h

Same params dict as gru.py (torch.nn.GRU's layout, gates r, z, n), so the same weights run through both
variants and a notebook can show that the outputs differ. The sequence functions are plain loops
over the step functions: this variant is for comparison, not for speed.
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._checks import check_upstream, sequence_inputs, step_inputs
from course_lib.numpy.activations import sigmoid


class ChoGRUStepCache(NamedTuple):
    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    r: np.ndarray  # (N, H) reset gate
    z: np.ndarray  # (N, H) update gate
    n: np.ndarray  # (N, H) candidate
    rh: np.ndarray  # (N, H) r ⊙ h_prev, the input of W_hn
    params: dict


class ChoGRUCache(NamedTuple):
    steps: list  # T ChoGRUStepCache, one per time step


def cho_gru_step_forward(x, h_prev, params):
    """One step of Cho et al.'s GRU: n = tanh(x W_inᵀ + b_in + (r ⊙ h_prev) W_hnᵀ + b_hn).

    Args:
        x: (N, D). h_prev: (N, H). params: as for gru_step_forward (weight_ih (3H, D), weight_hh (3H, H),
            bias_ih, bias_hh (3H,); gate blocks r, z, n).
    Returns:
        h_next: (N, H).  cache: ChoGRUStepCache for cho_gru_step_backward.
    """
    x, h_prev, H = step_inputs(x, h_prev, params, 3, "GRU")
    W_hh, b_hh = params["weight_hh"], params["bias_hh"]
    gi = x @ params["weight_ih"].T + params["bias_ih"]  # (N, 3H) input parts
    a_rz = gi[:, : 2 * H] + h_prev @ W_hh[: 2 * H].T + b_hh[: 2 * H]  # (N, 2H)
    r = sigmoid(a_rz[:, :H])
    z = sigmoid(a_rz[:, H:])
    rh = r * h_prev  # reset before the matmul
    n = np.tanh(gi[:, 2 * H :] + rh @ W_hh[2 * H :].T + b_hh[2 * H :])
    h_next = (1 - z) * n + z * h_prev
    return h_next, ChoGRUStepCache(x, h_prev, r, z, n, rh, params)


def cho_gru_step_backward(dh_next, cache):
    """Backward of cho_gru_step_forward.

    Args:
        dh_next: (N, H) gradient of the loss with respect to h_next.  cache: from cho_gru_step_forward.
    Returns:
        dx: (N, D).  dh_prev: (N, H).  grads: dict keyed like params, same shapes.
    """
    r, z, n, h_prev = cache.r, cache.z, cache.n, cache.h_prev
    W_hh = cache.params["weight_hh"]
    H = n.shape[1]
    dh = check_upstream("dh_next", dh_next, n.shape, n.dtype)
    da_n = dh * (1 - z) * (1 - n**2)  # gradient at the pre-activation of n
    drh = da_n @ W_hh[2 * H :]  # (N, H) gradient of r ⊙ h_prev
    da_r = drh * h_prev * r * (1 - r)
    da_z = dh * (h_prev - n) * z * (1 - z)
    da = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H) at both x W_ihᵀ + b_ih and the hidden parts
    dx = da @ cache.params["weight_ih"]  # (N, D)
    dh_prev = dh * z + drh * r + da[:, : 2 * H] @ W_hh[: 2 * H]  # direct, through r ⊙ h, through r and z
    db = da.sum(axis=0)  # (3H,) every bias adds straight into a pre-activation
    grads = {
        "weight_ih": da.T @ cache.x,  # (3H, D)
        "weight_hh": np.concatenate([da[:, : 2 * H].T @ h_prev, da_n.T @ cache.rh]),  # (3H, H)
        "bias_ih": db,
        "bias_hh": db.copy(),
    }
    return dx, dh_prev, grads


def cho_gru_forward(x, h0, params):
    """Cho et al.'s GRU over a sequence: cho_gru_step_forward for t = 0 .. T-1, carrying h.

    Args:
        x: (N, T, D). h0: (N, H), or None for zeros. params: as for gru_forward.
    Returns:
        out: (N, T, H), the hidden state after every step.  cache: ChoGRUCache for cho_gru_backward.
    """
    x, h, H, dtype = sequence_inputs(x, h0, params, 3, "GRU")
    N, T, _ = x.shape
    out = np.empty((N, T, H), dtype=dtype)
    steps = []
    for t in range(T):
        h, step = cho_gru_step_forward(x[:, t], h, params)
        out[:, t] = h
        steps.append(step)
    return out, ChoGRUCache(steps)


def cho_gru_backward(dout, cache):
    """Backpropagation through time for cho_gru_forward.

    dout[:, t] is the upstream gradient with respect to out[:, t]; it is added to the gradient of h_t
    carried back from step t + 1, and the step's parameter gradients are summed.

    Args:
        dout: (N, T, H).  cache: from cho_gru_forward.
    Returns:
        dx: (N, T, D).  dh0: (N, H).  grads: dict keyed like params, same shapes.
    """
    first = cache.steps[0]
    (N, H), T, D = first.n.shape, len(cache.steps), first.x.shape[1]
    dout = check_upstream("dout", dout, (N, T, H), first.n.dtype)
    dx = np.empty((N, T, D), dtype=first.n.dtype)
    dh = np.zeros((N, H), dtype=first.n.dtype)  # nothing flows in after the last step
    grads = None
    for t in reversed(range(T)):
        dx[:, t], dh, step_grads = cho_gru_step_backward(dh + dout[:, t], cache.steps[t])
        grads = step_grads if grads is None else {key: grads[key] + step_grads[key] for key in grads}
    return dx, dh, grads
