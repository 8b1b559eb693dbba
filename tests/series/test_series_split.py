"""Chronological splits and per-split windows whose targets never cross a boundary."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.series import StandardScaler, chronological_split, split_sizes, split_windows


def test_sizes_round_up_the_val_and_test_parts():
    assert split_sizes(100, 0.15, 0.15) == (70, 15, 15)
    assert split_sizes(30, 0.1, 0.1) == (24, 3, 3)  # 0.1 * 30 = 3.0000000000000004 is still 3
    assert split_sizes(10, 0.15, 0.15) == (6, 2, 2)
    assert split_sizes(10, val_size=3, test_size=0) == (7, 3, 0)


def test_split_is_in_time_order_and_covers_the_series():
    series = np.arange(20.0)
    train, val, test = chronological_split(series, val_fraction=0.2, test_fraction=0.1)
    assert (len(train), len(val), len(test)) == (14, 4, 2)
    np.testing.assert_array_equal(np.concatenate([train, val, test]), series)
    assert train.max() < val.min() and val.max() < test.min()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"val_fraction": 0.5, "test_fraction": 0.5}, "no training"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"test_fraction": -0.1}, "test_fraction"),
        ({"val_size": -1}, "val_size"),
        ({"val_size": 6, "test_size": 4}, "no training"),
    ],
    ids=["fractions-sum-to-one", "val-one", "negative-test", "negative-size", "sizes-fill-series"],
)
def test_bad_split_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        split_sizes(10, **kwargs)


@settings(deadline=None, max_examples=50)
@given(
    T=st.integers(30, 60),
    input_len=st.integers(1, 5),
    horizon=st.integers(1, 3),
    stride=st.integers(1, 2),
    context=st.sampled_from(["own", "previous"]),
)
def test_targets_never_leave_their_split(T, input_len, horizon, stride, context):
    time = np.arange(T, dtype=float)  # values are time indices, so windows show where they come from
    sizes = split_sizes(T, val_size=8, test_size=8)
    splits = split_windows(time, input_len, horizon, stride, val_size=8, test_size=8, context=context)
    bounds = {"train": (0, sizes.train), "val": (sizes.train, sizes.train + 8), "test": (T - 8, T)}
    for name, (start, stop) in bounds.items():
        X, Y = getattr(splits, name)
        assert len(X) > 0
        assert Y.min() >= start and Y.max() < stop
        assert X.max() < stop and (context == "previous" or X.min() >= start)
        np.testing.assert_array_equal(X[:, -1] + 1, Y[:, 0])  # inputs end right before targets


def test_previous_context_makes_every_val_and_test_step_a_target_once():
    time = np.arange(40.0)
    splits = split_windows(time, 5, 1, val_size=10, test_size=10, context="previous")
    np.testing.assert_array_equal(splits.val[1][:, 0], np.arange(20, 30))
    np.testing.assert_array_equal(splits.test[1][:, 0], np.arange(30, 40))
    np.testing.assert_array_equal(splits.val[0][0], np.arange(15, 20))  # context from train's end
    own = split_windows(time, 5, 1, val_size=10, test_size=10)
    np.testing.assert_array_equal(own.val[1][:, 0], np.arange(25, 30))  # first 5 val steps only inputs


def test_empty_test_part_gives_empty_windows_of_the_right_shape():
    series = np.ones((30, 3))
    splits = split_windows(series, 4, 2, val_size=10, test_size=0, target_columns=[0])
    assert splits.test[0].shape == (0, 4, 3) and splits.test[1].shape == (0, 2, 1)
    assert splits.val[0].shape == (5, 4, 3)


def test_too_short_split_names_the_split():
    with pytest.raises(ValueError, match="val split: a window needs"):
        split_windows(np.arange(30.0), 5, 1, val_size=4, test_size=10)
    with pytest.raises(ValueError, match="context"):
        split_windows(np.arange(30.0), 5, context="all")


def test_scaler_fitted_on_train_only_does_not_see_the_future():
    series = np.concatenate([np.zeros(80) + np.tile([-1.0, 1.0], 40), np.full(20, 100.0)])
    sizes = split_sizes(len(series), val_fraction=0.0, test_fraction=0.2)
    scaler = StandardScaler().fit(series[: sizes.train])
    assert scaler.mean_[0] == 0 and scaler.scale_[0] == 1  # the jump to 100 in test is unseen
    splits = split_windows(scaler.transform(series), 4, val_size=0, test_size=sizes.test, context="previous")
    np.testing.assert_array_equal(splits.test[1], 100.0)
