"""Chronological train / validation / test splits, and windows that never cross a split boundary.

Time series are never shuffled before splitting: the model is fitted on the past and judged on
the future, in order train | val | test.

Sizes from fractions round up, as scikit-learn's train_test_split does for its test part:
n_test = ceil(test_fraction * T), n_val = ceil(val_fraction * T), and train takes the rest, so a
positive fraction always gives a non-empty part. Explicit sizes (val_size, test_size) take
precedence over fractions.
"""

import math
from typing import NamedTuple

import numpy as np

from course_lib.series._checks import as_series, check_int
from course_lib.series.windows import _target_columns, sliding_windows


class SplitSizes(NamedTuple):
    """Number of time steps in each part; they sum to T."""

    train: int
    val: int
    test: int


class Split(NamedTuple):
    """Consecutive parts of a series: train (T_train, ...), val (T_val, ...), test (T_test, ...)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


class WindowSplits(NamedTuple):
    """(X, Y) window pairs per split, each as returned by sliding_windows."""

    train: tuple
    val: tuple
    test: tuple


def _part_size(name, T, fraction, size):
    if size is not None:
        return check_int(name.replace("fraction", "size"), size, 0)
    if not 0 <= fraction < 1:
        raise ValueError(f"{name} must be in [0, 1), got {fraction!r}")
    return math.ceil(round(fraction * T, 9))  # round first: 0.1 * 30 is 3.0000000000000004


def split_sizes(T, val_fraction=0.15, test_fraction=0.15, val_size=None, test_size=None):
    """Sizes of the chronological parts of a series of length T (see the module docstring).

    Returns:
        SplitSizes(train, val, test); ValueError if train would be empty.
    """
    T = check_int("T", T, 0)
    n_val = _part_size("val_fraction", T, val_fraction, val_size)
    n_test = _part_size("test_fraction", T, test_fraction, test_size)
    if n_val + n_test >= T:
        raise ValueError(f"val ({n_val}) + test ({n_test}) steps leave no training steps out of T={T}")
    return SplitSizes(T - n_val - n_test, n_val, n_test)


def chronological_split(series, val_fraction=0.15, test_fraction=0.15, val_size=None, test_size=None):
    """Split a series in time order into train | val | test.

    Args:
        series: (T,) or (T, F). val_fraction, test_fraction: parts of T (rounded up).
        val_size, test_size: exact numbers of steps instead of fractions.
    Returns:
        Split(train, val, test): consecutive slices (views) whose concatenation is the series.
    """
    series = np.asarray(series)
    sizes = split_sizes(len(series), val_fraction, test_fraction, val_size, test_size)
    val_start = sizes.train
    test_start = sizes.train + sizes.val
    return Split(series[:val_start], series[val_start:test_start], series[test_start:])


def _windows(segment, name, input_len, horizon, stride, target_columns):
    """Windows of one segment; empty arrays of the right shape for an empty segment."""
    if len(segment) == 0:
        targets = _target_columns(segment, target_columns)
        return np.empty((0, input_len, *segment.shape[1:])), np.empty((0, horizon, *targets.shape[1:]))
    try:
        return sliding_windows(segment, input_len, horizon, stride, target_columns)
    except ValueError as error:
        raise ValueError(f"{name} split: {error}") from None


def split_windows(
    series,
    input_len,
    horizon=1,
    stride=1,
    val_fraction=0.15,
    test_fraction=0.15,
    val_size=None,
    test_size=None,
    context="own",
    target_columns=None,
):
    """Sliding windows per chronological split, with every target inside its own split.

    Args:
        series: (T,) or (T, F), already scaled if scaling is wanted (fit the scaler on the
            train part only: sizes = split_sizes(T, ...); scaler.fit(series[:sizes.train])).
        input_len, horizon, stride, target_columns: as in sliding_windows.
        val_fraction, test_fraction, val_size, test_size: as in chronological_split.
        context: "own" cuts each split on its own, so the first input_len steps of val and test
            are only ever inputs; "previous" lets val and test windows take their inputs from the
            end of the preceding part (the past is known at forecast time), so every val/test
            step is a target exactly once (stride 1). Targets never leave their split either way.
    Returns:
        WindowSplits(train=(X, Y), val=(X, Y), test=(X, Y)); an empty part gives W = 0 arrays.
    """
    if context not in ("own", "previous"):
        raise ValueError(f'context must be "own" or "previous", got {context!r}')
    series = as_series(series)  # (T,) or (T, F)
    input_len = check_int("input_len", input_len, 1)
    sizes = split_sizes(len(series), val_fraction, test_fraction, val_size, test_size)
    val_start, test_start = sizes.train, sizes.train + sizes.val
    bounds = {"train": (0, val_start), "val": (val_start, test_start), "test": (test_start, len(series))}
    windows = {}
    for name, (start, stop) in bounds.items():
        if context == "previous" and name != "train" and stop > start:
            # Inputs may reach back input_len steps; targets still start at `start`.
            start = max(start - input_len, 0)
        segment = series[start:stop]
        windows[name] = _windows(segment, name, input_len, horizon, stride, target_columns)
    return WindowSplits(**windows)
