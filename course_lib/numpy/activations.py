"""Elementwise nonlinearities used by the cells, with the derivatives written in terms of the outputs."""

import numpy as np


def sigmoid(a, out=None):
    """σ(a) = 1 / (1 + exp(-a)), computed as (1 + tanh(a / 2)) / 2.

    The tanh form is the same function but never overflows, so large |a| gives no warning, in float32 too.
    Any shape; `out` may be `a` itself for an in-place update.
    """
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def relu(a, out=None):
    """max(a, 0), any shape."""
    return np.maximum(a, 0, out=out)


def activation(nonlinearity):
    """The function for 'tanh' or 'relu' (the names torch.nn.RNN accepts)."""
    return np.tanh if nonlinearity == "tanh" else relu


def activation_grad(h, nonlinearity):
    """d act(a) / da written with the output h = act(a): 1 - h² for tanh, [h > 0] for relu."""
    if nonlinearity == "tanh":
        return 1 - h * h
    return (h > 0).astype(h.dtype)
