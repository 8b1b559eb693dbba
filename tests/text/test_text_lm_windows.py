"""next_token_windows: targets are the inputs shifted by one, windows tile the sequence."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text.lm_windows import next_token_windows


def test_targets_are_the_inputs_shifted_by_one():
    ids = np.arange(10)
    x, y = next_token_windows(ids, T=3)
    np.testing.assert_array_equal(x, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(y, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert x.dtype == y.dtype == np.int64


def test_stride_one_overlaps():
    x, y = next_token_windows(np.arange(6), T=4, stride=1)
    np.testing.assert_array_equal(x, [[0, 1, 2, 3], [1, 2, 3, 4]])
    np.testing.assert_array_equal(y, [[1, 2, 3, 4], [2, 3, 4, 5]])


def test_returns_copies_not_views():
    ids = np.arange(8)
    x, _ = next_token_windows(ids, T=3)
    x[0, 0] = 99
    assert ids[0] == 0


@settings(deadline=None, max_examples=50)
@given(L=st.integers(2, 60), T=st.integers(1, 20), stride=st.integers(1, 20))
def test_window_properties(L, T, stride):
    if L < T + 1:
        return
    ids = np.random.default_rng(L).integers(0, 50, size=L)
    x, y = next_token_windows(ids, T, stride)
    assert x.shape == y.shape == ((L - 1 - T) // stride + 1, T)
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:])
    starts = np.arange(len(x)) * stride
    np.testing.assert_array_equal(x[:, 0], ids[starts])
    np.testing.assert_array_equal(y[:, -1], ids[starts + T])
    assert starts[-1] + T <= L - 1 < starts[-1] + T + stride  # the last full window is taken


@pytest.mark.parametrize(
    "ids, T, stride, message",
    [
        (np.arange(3), 3, None, "need 4 ids"),
        (np.arange(5), 0, None, "T: expected a positive integer"),
        (np.arange(5), 2, 0, "stride: expected a positive integer"),
        (np.arange(6.0), 2, None, "1-D integer array"),
        (np.arange(6).reshape(2, 3), 1, None, "1-D integer array"),
    ],
    ids=["too-short", "T-zero", "stride-zero", "floats", "2-D"],
)
def test_rejects_bad_input(ids, T, stride, message):
    with pytest.raises(ValueError, match=message):
        next_token_windows(ids, T, stride)
