"""Baseline forecasters on windows, and the error metrics every forecaster is compared with.

A model that does not beat the naive forecast ("tomorrow equals today") has learned nothing
useful; for seasonal data the bar is the seasonal-naive forecast ("equals the same day last week").

Both baselines read input windows X as made by sliding_windows and return arrays shaped like its Y:

    naive:           ŷ[t+h] = x[t]                              for h = 1..horizon
    seasonal naive:  ŷ[t+h] = x[t + h - m(k+1)],  k = ⌊(h-1)/m⌋  (m = season; Hyndman & Athanasopoulos)

The metrics refuse arrays of different shapes: broadcasting (N,) against (N, 1) would silently
compare every target with every prediction.
"""

import numpy as np

from course_lib.series._checks import check_int


def _select_targets(windows, target_columns):
    """Windows (N, L) or (N, L, F), with only the target feature(s) when target_columns is given."""
    windows = np.asarray(windows, dtype=np.float64)
    if windows.ndim not in (2, 3):
        raise ValueError(f"expected input windows (N, L) or (N, L, F), got shape {windows.shape}")
    if target_columns is None:
        return windows
    if windows.ndim != 3:
        raise ValueError(f"target_columns needs windows (N, L, F), got shape {windows.shape}")
    return windows[..., target_columns]  # (N, L) for an int, (N, L, k) for a list


def seasonal_naive_forecast(x, season, horizon=1, target_columns=None):
    """Repeat the last full season of each input window.

    Args:
        x: input windows (N, L) or (N, L, F). season: m, steps per season, 1 <= m <= L.
        horizon: steps to forecast. target_columns: as in sliding_windows, to match its Y.
    Returns:
        (N, horizon) or (N, horizon, F / k); step h (1-based) copies x[:, L - m + (h-1) mod m].
    """
    x = _select_targets(x, target_columns)  # (N, L, ...)
    season = check_int("season", season, 1)
    horizon = check_int("horizon", horizon, 1)
    L = x.shape[1]
    if season > L:
        raise ValueError(f"season {season} needs input windows of at least {season} steps, got {L}")
    source_steps = L - season + np.arange(horizon) % season  # (horizon,)
    return x[:, source_steps]


def naive_forecast(x, horizon=1, target_columns=None):
    """Repeat the last observed value: seasonal naive with season 1.

    Args:
        x: input windows (N, L) or (N, L, F). horizon: steps to forecast.
        target_columns: as in sliding_windows.
    Returns:
        (N, horizon) or (N, horizon, F / k), every step equal to x[:, -1].
    """
    return seasonal_naive_forecast(x, 1, horizon, target_columns)


def _pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("expected at least one value, got empty arrays")
    return y_true, y_pred


def mae(y_true, y_pred):
    """Mean absolute error: mean |y - ŷ| over all entries (same units as y)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def rmse(y_true, y_pred):
    """Root mean squared error: √(mean (y - ŷ)²) over all entries (same units as y)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mape(y_true, y_pred):
    """Mean absolute percentage error as a fraction (0.1 means 10 %, as in scikit-learn).

    mean |y - ŷ| / |y|; ValueError if any y is 0 (scikit-learn divides by a tiny epsilon instead).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if np.any(y_true == 0):
        raise ValueError("mape is undefined where y_true is 0; use smape, mae or rmse instead")
    return float(np.mean(np.abs(y_true - y_pred) / np.abs(y_true)))


def smape(y_true, y_pred):
    """Symmetric MAPE as a fraction in [0, 2]: mean 2|y - ŷ| / (|y| + |ŷ|), with 0/0 counted as 0."""
    y_true, y_pred = _pair(y_true, y_pred)
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(
        2 * np.abs(y_true - y_pred), denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    return float(np.mean(ratio))


def compare_forecasts(y_true, forecasts, baseline=None):
    """MAE and RMSE of several forecasts of the same targets, optionally relative to a baseline.

    Args:
        y_true: targets (N, horizon, ...). forecasts: {name: predictions shaped like y_true}.
        baseline: a name in `forecasts`; adds "mae_ratio" = MAE / baseline MAE (< 1 beats it).
    Returns:
        {name: {"mae": float, "rmse": float[, "mae_ratio": float]}} in the order given.
    """
    report = {
        name: {"mae": mae(y_true, y_pred), "rmse": rmse(y_true, y_pred)} for name, y_pred in forecasts.items()
    }
    if baseline is not None:
        if baseline not in report:
            raise ValueError(f"baseline {baseline!r} is not one of the forecasts {list(report)}")
        reference = report[baseline]["mae"]
        for scores in report.values():
            scores["mae_ratio"] = scores["mae"] / reference if reference > 0 else float("nan")
    return report
