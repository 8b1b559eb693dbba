"""Naive and seasonal-naive baselines on windows, and the metrics they are judged with."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.series import (
    compare_forecasts,
    mae,
    mape,
    naive_forecast,
    rmse,
    seasonal_naive_forecast,
    sliding_windows,
    smape,
)


def test_naive_repeats_the_last_value():
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(naive_forecast(X), [[3.0], [6.0]])
    np.testing.assert_array_equal(naive_forecast(X, horizon=3), [[3, 3, 3], [6, 6, 6]])


def test_seasonal_naive_repeats_the_last_season():
    X = np.arange(1.0, 8.0)[None]  # (1, 7): 1..7
    np.testing.assert_array_equal(seasonal_naive_forecast(X, season=3, horizon=5), [[5, 6, 7, 5, 6]])
    np.testing.assert_array_equal(seasonal_naive_forecast(X, season=7, horizon=2), [[1, 2]])
    with pytest.raises(ValueError, match="at least 8 steps"):
        seasonal_naive_forecast(X, season=8)


@settings(deadline=None, max_examples=40)
@given(
    period=st.integers(1, 6),
    repeats=st.integers(3, 6),
    horizon=st.integers(1, 8),
    data=st.data(),
)
def test_seasonal_naive_is_exact_on_periodic_series(period, repeats, horizon, data):
    pattern = data.draw(st.lists(st.integers(-50, 50), min_size=period, max_size=period))
    series = np.resize(pattern, period * repeats + horizon + 5)  # the pattern repeated, cut to length
    X, Y = sliding_windows(series, period * repeats, horizon)
    assert mae(Y, seasonal_naive_forecast(X, period, horizon)) == 0
    np.testing.assert_array_equal(seasonal_naive_forecast(X, 1, horizon), naive_forecast(X, horizon))


def test_baselines_follow_window_layouts_with_features():
    series = np.stack([np.arange(10.0), 10 * np.arange(10.0)], axis=1)  # (T, 2)
    X, Y = sliding_windows(series, 4, 2)
    assert naive_forecast(X, 2).shape == Y.shape == (5, 2, 2)
    X, Y = sliding_windows(series, 4, 2, target_columns=1)
    forecast = naive_forecast(X, 2, target_columns=1)
    assert forecast.shape == Y.shape == (5, 2)
    np.testing.assert_array_equal(forecast[0], [30.0, 30.0])
    with pytest.raises(ValueError, match=r"\(N, L\)"):
        naive_forecast(np.arange(3.0))


def test_metrics_on_hand_computed_values():
    y = np.array([1.0, 2.0, 4.0])
    y_hat = np.array([2.0, 2.0, 1.0])
    assert mae(y, y_hat) == pytest.approx(4 / 3)
    assert rmse(y, y_hat) == pytest.approx(np.sqrt(10 / 3))
    assert mape(y, y_hat) == pytest.approx((1 + 0 + 0.75) / 3)
    assert smape(y, y_hat) == pytest.approx((2 / 3 + 0 + 6 / 5) / 3)
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0  # 0/0 counts as a perfect forecast


def test_metrics_refuse_broadcasting_and_undefined_values():
    with pytest.raises(ValueError, match=r"\(3,\) and \(3, 1\)"):
        mae(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match="y_true is 0"):
        mape([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="empty"):
        rmse([], [])


@settings(deadline=None, max_examples=50)
@given(pairs=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=20))
def test_metric_properties(pairs):
    y, y_hat = np.array(pairs).T
    assert 0 <= mae(y, y_hat) <= rmse(y, y_hat) + 1e-9  # RMSE >= MAE (power means)
    assert 0 <= smape(y, y_hat) <= 2 + 1e-12
    assert mae(y, y) == rmse(y, y) == smape(y, y) == 0


def test_compare_forecasts_reports_ratios_to_the_baseline():
    y = np.array([[1.0], [2.0], [3.0]])
    report = compare_forecasts(y, {"naive": y + 1, "model": y + 0.5}, baseline="naive")
    assert list(report) == ["naive", "model"]
    assert report["model"] == {"mae": 0.5, "rmse": 0.5, "mae_ratio": 0.5}
    with pytest.raises(ValueError, match="baseline"):
        compare_forecasts(y, {"model": y}, baseline="naive")
