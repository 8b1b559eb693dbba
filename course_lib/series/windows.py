"""Sliding windows: a series as (inputs, targets) pairs for one-step and multi-step forecasting.

Window i starts at s = i * stride:

    X[i] = series[s : s + input_len]                       the past the model sees
    Y[i] = series[s + input_len : s + input_len + horizon] the future it predicts

With stride 1 consecutive windows overlap: X[1:, :-1] == X[:-1, 1:], and the first target of a
window is the last input of the next one: Y[:-1, 0] == X[1:, -1].
"""

import numpy as np

from course_lib.series._checks import as_series, check_int


def num_windows(T, input_len, horizon=1, stride=1):
    """How many windows fit in T steps: (T - input_len - horizon) // stride + 1, or 0."""
    span = input_len + horizon
    return 0 if T < span else (T - span) // stride + 1


def _target_columns(series, target_columns):
    """Targets: the whole series, or the chosen feature columns of a (T, F) series."""
    if target_columns is None:
        return series
    if series.ndim != 2:
        raise ValueError(f"target_columns needs a (T, F) series, got shape {series.shape}")
    columns = np.asarray(target_columns)
    if columns.dtype.kind not in "iu" or columns.ndim > 1:
        raise ValueError(f"target_columns must be an int or a list of ints, got {target_columns!r}")
    F = series.shape[1]
    if columns.size and (columns.min() < -F or columns.max() >= F):
        raise ValueError(f"target_columns must index the {F} features, got {columns.tolist()}")
    return series[:, columns]  # (T,) for an int, (T, k) for a list


def sliding_windows(series, input_len, horizon=1, stride=1, target_columns=None):
    """Cut a series into (input window, target window) pairs.

    Args:
        series: (T,) or (T, F).
        input_len: steps per input window (>= 1). horizon: steps to predict (>= 1).
        stride: steps between window starts (>= 1).
        target_columns: for a (T, F) series, the feature(s) to predict: an int gives targets
            without a feature axis, a list of k ints gives k features. None predicts everything.
    Returns:
        (X, Y), new float64 arrays (never views of `series`), W = num_windows(T, ...):
        X (W, input_len) or (W, input_len, F);
        Y (W, horizon), (W, horizon, F) or (W, horizon, k).
    Raises:
        ValueError if the series is shorter than input_len + horizon (nothing fits).
    """
    series = as_series(series)  # (T,) or (T, F)
    input_len = check_int("input_len", input_len, 1)
    horizon = check_int("horizon", horizon, 1)
    stride = check_int("stride", stride, 1)
    T = len(series)
    if T < input_len + horizon:
        raise ValueError(
            f"a window needs input_len + horizon = {input_len} + {horizon} = {input_len + horizon} "
            f"time steps, but the series has {T}"
        )
    targets = _target_columns(series, target_columns)  # (T, ...)
    W = num_windows(T, input_len, horizon, stride)
    starts = np.arange(W) * stride  # (W,)
    input_steps = starts[:, None] + np.arange(input_len)  # (W, input_len)
    target_steps = starts[:, None] + input_len + np.arange(horizon)  # (W, horizon)
    return series[input_steps], targets[target_steps]  # fancy indexing copies
