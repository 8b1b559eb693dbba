"""Stateful language-model training data and held-out scoring for torch models.

    stream_batches(ids, n_streams, seq_len)   one long text -> consecutive (x, y) chunks of N streams
    next_token_log_probs(model, ids)          log P(ids[t] | ids[:t]) for every t >= 1, (L-1, V)
    bits_per_token(model, ids)                -Σ_t log2 P(ids[t] | ids[:t]) / (L - 1)

The batches are what TBPTTStep (course_lib.train.steps) expects: row i of batch b+1 is the text
that follows row i of batch b, so the hidden state at the end of one batch is the right initial
state for the next. Scoring reads a text as one stream from a zero state and carries the state
across chunks, so the score does not depend on the chunk length; it is the same quantity as
course_lib.numpy.char_rnn.bits_per_char (every token but the first is predicted from all before it).
"""

from numbers import Integral

import numpy as np
import torch

from course_lib.torch.recurrent import eval_mode


def stream_batches(ids, n_streams, seq_len):
    """Batches for truncated BPTT: N parallel contiguous streams, read T tokens at a time.

    The text is cut into n_streams streams of equal length S = (len(ids) - 1) // n_streams
    (stream i starts at token i * S); batch b holds tokens b*T .. b*T + T - 1 of every stream as
    x, and the tokens one step later as y. A remainder shorter than T at the end of the streams,
    and the last len(ids) - 1 - N*S tokens, are dropped.

    Args:
        ids: (L,) integer token ids (array, list or tensor).  n_streams: N >= 1.  seq_len: T >= 1.
    Returns:
        list of S // T pairs (x, y) of int64 tensors (N, T), with y[:, t] the token after x[:, t]
        and batch b + 1 continuing batch b row by row.
    """
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.int64)
    for name, value in (("n_streams", n_streams), ("seq_len", seq_len)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if ids.dim() != 1:
        raise ValueError(f"ids: expected a 1-D sequence of token ids, got shape {tuple(ids.shape)}")
    S = (len(ids) - 1) // n_streams  # tokens per stream that have a next token
    if S < seq_len:
        raise ValueError(f"ids: {len(ids)} tokens give streams of {S} < seq_len = {seq_len}; "
                         "use fewer streams or shorter chunks")
    inputs = ids[: n_streams * S].view(n_streams, S)  # (N, S)
    targets = ids[1 : n_streams * S + 1].view(n_streams, S)  # (N, S), shifted by one
    return [(inputs[:, b : b + seq_len].clone(), targets[:, b : b + seq_len].clone())
            for b in range(0, S - seq_len + 1, seq_len)]


@torch.no_grad()
def next_token_log_probs(model, ids, chunk=1000):
    """Natural-log next-token distributions along one text, read as a single stream.

    Args:
        model: called as model(x (1, t), hidden) -> (logits (1, t, V), hidden), like
            course_lib.torch.LanguageModel; run in eval mode (its mode is restored after).
        ids: (L,) token ids, L >= 2.  chunk: tokens per forward call (the state is carried).
    Returns:
        (L - 1, V) float64 array; row t - 1 is log P(· | ids[:t]), the distribution of ids[t].
    """
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.int64)
    if ids.dim() != 1 or len(ids) < 2:
        raise ValueError(f"ids: expected (L,) with L >= 2, got shape {tuple(ids.shape)}")
    if isinstance(chunk, bool) or not isinstance(chunk, Integral) or chunk < 1:
        raise ValueError(f"chunk: expected a positive integer, got {chunk!r}")
    device = next(model.parameters()).device
    rows, hidden = [], None
    with eval_mode(model):
        for start in range(0, len(ids) - 1, chunk):
            x = ids[start : min(start + chunk, len(ids) - 1)].view(1, -1).to(device)  # (1, t)
            logits, hidden = model(x, hidden)  # (1, t, V)
            rows.append(torch.log_softmax(logits[0].double(), dim=-1).cpu())  # (t, V)
    return torch.cat(rows).numpy()


def bits_per_token(model, ids, chunk=1000):
    """Cross-entropy of predicting ids[1:] from the tokens before each, in bits per token (a float)."""
    log_probs = next_token_log_probs(model, ids, chunk)  # (L - 1, V)
    targets = np.asarray(ids)[1:]
    return float(-log_probs[np.arange(len(targets)), targets].mean() / np.log(2))
