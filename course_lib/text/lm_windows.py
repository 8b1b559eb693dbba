"""Language-model training pairs from one long id sequence: each target is the input shifted by one.

    x[i] = ids[s : s + T],   y[i] = ids[s + 1 : s + T + 1],   s = i * stride

So y[i, t] is the token that follows x[i, t]: a model that reads x[i, :t+1] and predicts y[i, t]
is a next-token predictor. With stride == T (the default) the windows do not overlap and every
token of ids[:-1] is an input exactly once (except a remainder shorter than T at the end).
"""

from numbers import Integral

import numpy as np


def next_token_windows(ids, T, stride=None):
    """Cut a 1-D sequence of token ids into (input, next-token target) windows.

    Args:
        ids: (L,) integer token ids, L >= T + 1.
        T: steps per window (>= 1). stride: steps between window starts (>= 1); None means T.
    Returns:
        (x, y): two new int64 arrays (W, T), W = (L - 1 - T) // stride + 1, with y[:, t] = ids[s + t + 1];
        consecutive steps overlap as y[:, :-1] == x[:, 1:].
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise ValueError(f"ids: expected a 1-D integer array, got dtype {ids.dtype} shape {ids.shape}")
    stride = T if stride is None else stride
    for name, value in (("T", T), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    if len(ids) < T + 1:
        raise ValueError(f"ids: T={T} steps and their shifted targets need {T + 1} ids, got {len(ids)}")
    W = (len(ids) - 1 - T) // stride + 1
    steps = np.arange(W)[:, None] * stride + np.arange(T)  # (W, T) positions of the inputs
    return ids[steps].astype(np.int64), ids[steps + 1].astype(np.int64)
