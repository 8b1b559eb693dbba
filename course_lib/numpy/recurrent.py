"""One interface over every cell, so that wrappers (bidirectional, truncated BPTT) work with any of them.

    out, cache = recurrent_forward(x, h0, params, cell="lstm", c0=c0)
    dx, dh0, dc0, grads = recurrent_backward(dout, cache)     # dc0 is None unless cell == "lstm"
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._checks import check_cell_options
from course_lib.numpy.cho_gru import cho_gru_backward, cho_gru_forward
from course_lib.numpy.gru import gru_backward, gru_forward
from course_lib.numpy.lstm import lstm_backward, lstm_forward
from course_lib.numpy.rnn import rnn_backward, rnn_forward


class RecurrentCache(NamedTuple):
    cell: str
    inner: NamedTuple  # the cell's own cache (RNNCache, LSTMCache, GRUCache or ChoGRUCache)
    h_last: np.ndarray  # (N, H) final hidden state
    c_last: np.ndarray | None  # (N, H) final cell state of an LSTM, else None


def recurrent_forward(x, h0, params, cell="lstm", c0=None, nonlinearity="tanh"):
    """Run `cell` ("rnn", "lstm", "gru" or "cho_gru") over a sequence.

    Args:
        x: (N, T, D). h0: (N, H) or None for zeros. params: the cell's dict (torch.nn layout).
        c0: (N, H) or None; LSTM only. nonlinearity: "tanh" or "relu"; RNN only.
    Returns:
        out: (N, T, H).  cache: RecurrentCache for recurrent_backward; its h_last and c_last are the
        final states, to carry into the next chunk of a long sequence.
    """
    check_cell_options(cell, c0, nonlinearity)
    if cell == "lstm":
        out, inner = lstm_forward(x, h0, c0, params)
        return out, RecurrentCache(cell, inner, out[:, -1].copy(), inner.cs[-1].copy())
    if cell == "rnn":
        out, inner = rnn_forward(x, h0, params, nonlinearity)
    else:
        out, inner = (gru_forward if cell == "gru" else cho_gru_forward)(x, h0, params)
    return out, RecurrentCache(cell, inner, out[:, -1].copy(), None)


def recurrent_backward(dout, cache):
    """Backward of recurrent_forward; dout: (N, T, H) upstream gradient of every output step.

    Returns:
        dx: (N, T, D).  dh0: (N, H).  dc0: (N, H) for an LSTM, else None.  grads: dict keyed like params.
    """
    if cache.cell == "lstm":
        return lstm_backward(dout, cache.inner)
    backward = {"rnn": rnn_backward, "gru": gru_backward, "cho_gru": cho_gru_backward}[cache.cell]
    dx, dh0, grads = backward(dout, cache.inner)
    return dx, dh0, None, grads
