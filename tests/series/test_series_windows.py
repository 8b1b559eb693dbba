"""Sliding windows: shapes, the overlap identities, target columns, and refusing too-short series."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.series import num_windows, sliding_windows

window_args = st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3))  # input_len, horizon, stride


@settings(deadline=None, max_examples=60)
@given(args=window_args, extra=st.integers(0, 12), features=st.sampled_from([None, 1, 3]))
def test_windows_are_slices_of_the_series(args, extra, features):
    input_len, horizon, stride = args
    T = input_len + horizon + extra
    series = np.arange(T, dtype=float) if features is None else np.arange(T * features).reshape(T, features)
    X, Y = sliding_windows(series, input_len, horizon, stride)
    W = num_windows(T, input_len, horizon, stride)
    assert W == extra // stride + 1
    assert X.shape == (W, input_len, *series.shape[1:]) and Y.shape == (W, horizon, *series.shape[1:])
    for i in range(W):
        start = i * stride
        np.testing.assert_array_equal(X[i], series[start : start + input_len])
        np.testing.assert_array_equal(Y[i], series[start + input_len : start + input_len + horizon])


@settings(deadline=None, max_examples=60)
@given(
    series=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30),
    input_len=st.integers(1, 5),
    horizon=st.integers(1, 4),
)
def test_stride_one_windows_overlap(series, input_len, horizon):
    if len(series) < input_len + horizon:
        return
    X, Y = sliding_windows(series, input_len, horizon)
    np.testing.assert_array_equal(X[1:, :-1], X[:-1, 1:])  # inputs shift by one step
    np.testing.assert_array_equal(Y[:-1, 0], X[1:, -1])  # the next target becomes the next last input
    np.testing.assert_array_equal(Y[1:, :-1], Y[:-1, 1:])  # targets shift by one step too
    joined = np.concatenate([X, Y], axis=1)  # (W, input_len + horizon): each row is contiguous
    np.testing.assert_array_equal(joined[1:, :-1], joined[:-1, 1:])


def test_target_columns_select_features():
    series = np.arange(20.0).reshape(10, 2)
    X, Y = sliding_windows(series, 3, 2, target_columns=1)
    assert X.shape == (6, 3, 2) and Y.shape == (6, 2)
    np.testing.assert_array_equal(Y[0], [7.0, 9.0])
    _, Y = sliding_windows(series, 3, 2, target_columns=[1, 0])
    assert Y.shape == (6, 2, 2)
    np.testing.assert_array_equal(Y[0, 0], [7.0, 6.0])


def test_windows_are_copies():
    series = np.arange(6.0)
    X, Y = sliding_windows(series, 2)
    X[0, 0] = Y[0, 0] = -1
    np.testing.assert_array_equal(series, np.arange(6.0))


def test_series_shorter_than_one_window_raises_naming_both_lengths():
    with pytest.raises(ValueError, match=r"input_len \+ horizon = 4 \+ 2 = 6 .* has 5"):
        sliding_windows(np.arange(5), 4, 2)
    assert num_windows(5, 4, 2) == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_len": 0}, "input_len"),
        ({"input_len": 2.5}, "input_len"),
        ({"input_len": 2, "horizon": 0}, "horizon"),
        ({"input_len": 2, "stride": 0}, "stride"),
        ({"input_len": 2, "target_columns": 0}, r"\(T, F\)"),
    ],
    ids=["zero-input", "float-input", "zero-horizon", "zero-stride", "columns-on-1d"],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sliding_windows(np.arange(10.0), **kwargs)


def test_bad_series_and_columns_raise():
    with pytest.raises(ValueError, match=r"\(T,\) or \(T, F\)"):
        sliding_windows(np.zeros((4, 2, 2)), 1)
    with pytest.raises(ValueError, match="2 features"):
        sliding_windows(np.zeros((6, 2)), 2, target_columns=[2])
    with pytest.raises(ValueError, match="ints"):
        sliding_windows(np.zeros((6, 2)), 2, target_columns=0.5)
