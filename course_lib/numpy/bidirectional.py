"""Bidirectional recurrent layer (Schuster & Paliwal 1997), laid out as torch's bidirectional=True.

One cell reads x forward in time, a second reads it backward; their outputs are concatenated:

    out[:, t, :H] = h→_t, which has seen x[:, :t+1]       out[:, t, H:] = h←_t, which has seen x[:, t:]

params is {"forward": cell params, "reverse": cell params}, the dicts torch calls weight_ih_l0 ... and
weight_ih_l0_reverse ...; initial states stack the two directions first, (2, N, H), as torch's h_0.
"""

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from course_lib.numpy._checks import CELL_GATES, cell_sizes, check_cell_options, check_shape, check_upstream
from course_lib.numpy.recurrent import RecurrentCache, recurrent_backward, recurrent_forward

DIRECTIONS = ("forward", "reverse")


class BidirectionalCache(NamedTuple):
    forward: RecurrentCache  # of the cell run on x
    reverse: RecurrentCache  # of the cell run on x reversed in time


def bidirectional_forward(x, h0, params, cell="lstm", c0=None, nonlinearity="tanh"):
    """Run `cell` over x forward and backward in time and concatenate the outputs.

    Args:
        x: (N, T, D). h0: (2, N, H), [forward, reverse], or None for zeros.
        params: {"forward": params, "reverse": params}, each the cell's dict with the same D and H.
        cell: "rnn", "lstm", "gru" or "cho_gru". c0: (2, N, H) or None; LSTM only.
        nonlinearity: "tanh" or "relu"; RNN only.
    Returns:
        out: (N, T, 2H), out[..., :H] from the forward direction, out[..., H:] from the reverse one,
        both at the time step of the input they read.  cache: BidirectionalCache.
    """
    check_cell_options(cell, c0, nonlinearity)
    D, H = _check_params(params, cell)
    x = check_shape("x", x, ("N", "T", "D"), {"D": (D, "weight_ih")})
    h0, c0 = _split_state("h0", h0, x.shape[0], H), _split_state("c0", c0, x.shape[0], H)
    out_f, cache_f = recurrent_forward(x, h0[0], params["forward"], cell, c0[0], nonlinearity)
    x_reversed = x[:, ::-1]  # a view: time runs backward
    out_r, cache_r = recurrent_forward(x_reversed, h0[1], params["reverse"], cell, c0[1], nonlinearity)
    out = np.concatenate([out_f, out_r[:, ::-1]], axis=2)  # (N, T, 2H)
    return out, BidirectionalCache(cache_f, cache_r)


def bidirectional_backward(dout, cache):
    """Backward of bidirectional_forward; dout: (N, T, 2H), the upstream gradient of every output step.

    Returns:
        dx: (N, T, D).  dh0: (2, N, H).  dc0: (2, N, H) for an LSTM, else None.
        grads: {"forward": grads, "reverse": grads}, each keyed like the cell's params.
    """
    N, H = cache.forward.h_last.shape
    T = np.shape(dout)[1] if np.ndim(dout) == 3 else -1
    dout = check_upstream("dout", dout, (N, T, 2 * H), cache.forward.h_last.dtype)
    dx_f, dh0_f, dc0_f, grads_f = recurrent_backward(dout[..., :H], cache.forward)
    dx_r, dh0_r, dc0_r, grads_r = recurrent_backward(dout[:, ::-1, H:], cache.reverse)
    dx = dx_f + dx_r[:, ::-1]  # x[:, t] feeds step t forward and step T-1-t of the reversed run
    dc0 = None if dc0_f is None else np.stack([dc0_f, dc0_r])
    return dx, np.stack([dh0_f, dh0_r]), dc0, {"forward": grads_f, "reverse": grads_r}


def _check_params(params, cell):
    """params must hold a "forward" and a "reverse" dict of the same sizes; return (D, H)."""
    if not isinstance(params, Mapping) or any(key not in params for key in DIRECTIONS):
        raise ValueError(f"params: expected a dict with keys 'forward' and 'reverse', got {params!r:.80}")
    sizes = [cell_sizes(params[key], CELL_GATES[cell], cell.upper()) for key in DIRECTIONS]
    if sizes[0] != sizes[1]:
        raise ValueError(
            f"params: expected the same (D, H) in both directions, got forward {sizes[0]}, reverse {sizes[1]}"
        )
    return sizes[0]


def _split_state(name, state, N, H):
    """(2, N, H) -> its two directions; None -> (None, None), which the cells read as zeros."""
    if state is None:
        return None, None
    state = check_shape(name, state, (2, "N", "H"), {"N": (N, "x"), "H": (H, "weight_hh")})
    return state[0], state[1]
