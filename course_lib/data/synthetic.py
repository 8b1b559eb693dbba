"""Synthetic sequence tasks with a known answer, for experiments on memory.

These complement the real data sets: each isolates one property (how far back a model can
remember) so that a notebook can measure it against a known trivial baseline.
"""

import numpy as np


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015).

    Each sequence has two channels: values drawn uniformly from [0, 1), and a marker that is 1 at
    exactly two steps (one in the first half, one in the second half) and 0 elsewhere. The target
    is the sum of the two marked values. Predicting the constant 1.0 gives a mean squared error
    of Var(U1 + U2) = 1/6 ≈ 0.167: a model must do better than that to have remembered anything.

    Returns:
        x: (n, T, 2) float32 (channel 0 values, channel 1 markers).  y: (n,) float32.
    """
    if T < 2:
        raise ValueError(f"T must be at least 2 to place two markers, got {T}")
    values = rng.random((n, T)).astype(np.float32)  # (n, T)
    first = rng.integers(0, T // 2, size=n)  # (n,)
    second = rng.integers(T // 2, T, size=n)  # (n,)
    markers = np.zeros((n, T), dtype=np.float32)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)  # (n, T, 2)
    y = values[rows, first] + values[rows, second]  # (n,)
    return x, y.astype(np.float32)


def delayed_recall(
    n: int, T: int, delay: int, vocab_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Echo the token seen `delay` steps ago: y[:, t] = x[:, t - delay].

    Tokens are drawn uniformly from 0..vocab_size-1, so a model that cannot see `delay` steps back
    is at chance accuracy 1 / vocab_size. Targets for t < delay do not exist and are -1
    (the `ignore_index` of a cross-entropy loss).

    Returns:
        x: (n, T) int64 tokens.  y: (n, T) int64 targets, -1 for the first `delay` steps.
    """
    if not 0 <= delay < T:
        raise ValueError(f"delay must be in [0, T) = [0, {T}), got {delay}")
    if vocab_size < 2:
        raise ValueError(f"vocab_size must be at least 2, got {vocab_size}")
    x = rng.integers(0, vocab_size, size=(n, T))  # (n, T)
    y = np.full((n, T), -1, dtype=np.int64)
    y[:, delay:] = x[:, : T - delay]
    return x, y
