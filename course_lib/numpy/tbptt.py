"""Truncated backpropagation through time: a long sequence in chunks of k steps.

The state is carried forward from chunk to chunk, so the outputs are exactly those of one pass over
the whole sequence; the gradient is cut between chunks: the backward pass of a chunk starts with zero
gradient at its last state and drops its dh0 instead of sending it into the previous chunk.
With k >= T there is one chunk, and the result is full BPTT.

Training pattern (update after every chunk, as in language-model training on a long text):

    h = None
    for sl in chunk_slices(T, k):
        chunk_loss = lambda out, _, sl=sl: loss_and_grad(out, y[:, sl])  # (loss, dout) for this chunk
        result = truncated_bptt(x[:, sl], h, params, chunk_loss, k, cell="gru")
        optimizer.step(params, result.grads)
        h = result.h
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._checks import check_shape
from course_lib.numpy.recurrent import recurrent_backward, recurrent_forward


class TBPTTResult(NamedTuple):
    loss: float  # sum of the chunks' losses
    grads: dict  # cell parameter gradients, summed over the chunks
    h: np.ndarray  # (N, H) final hidden state, to carry into the next call
    c: np.ndarray | None  # (N, H) final cell state of an LSTM, else None


def chunk_slices(T, k):
    """Slices [0, k), [k, 2k), ... covering range(T); the last one may be shorter."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k: expected a positive integer number of steps per chunk, got {k!r}")
    return [slice(start, min(start + k, T)) for start in range(0, T, k)]


def truncated_bptt(x, h0, params, loss_fn, k, cell="lstm", c0=None, nonlinearity="tanh"):
    """Forward and truncated backward over x in chunks of k steps, carrying the state.

    Args:
        x: (N, T, D). h0, c0: (N, H) or None for zeros (c0 for an LSTM only). params: the cell's dict.
        loss_fn: loss_fn(out_chunk, sl) -> (loss, dout_chunk), where out_chunk (N, len, H) is the
            output of the steps in slice sl and dout_chunk (N, len, H) the loss's gradient with
            respect to it (for example a temporal affine layer followed by softmax_cross_entropy).
        k: steps per chunk. cell: "rnn", "lstm", "gru" or "cho_gru". nonlinearity: RNN only.
    Returns:
        TBPTTResult(loss, grads, h, c): summed loss and gradients, and the final state.
    """
    x = check_shape("x", x, ("N", "T", "D"))
    h, c, loss, grads = h0, c0, 0.0, None
    for sl in chunk_slices(x.shape[1], k):
        out, cache = recurrent_forward(x[:, sl], h, params, cell, c, nonlinearity)
        chunk_loss, dout = loss_fn(out, sl)
        _, _, _, chunk_grads = recurrent_backward(dout, cache)  # dh0, dc0 dropped: the cut
        grads = chunk_grads if grads is None else {key: grads[key] + chunk_grads[key] for key in grads}
        loss += float(chunk_loss)
        h, c = cache.h_last, cache.c_last
    return TBPTTResult(loss, grads, h, c)
