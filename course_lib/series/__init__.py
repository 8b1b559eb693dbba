"""Time series as supervised learning: lag tables, windows, splits, scaling, baselines, metrics.

    lags        lag_table, lag_names: the lecture's t-3, t-2, t-1, t table (NaN before the start)
    windows     sliding_windows, num_windows: (X, Y) pairs for one- and multi-step forecasting
    split       chronological_split, split_sizes, split_windows: train | val | test in time order
    scaling     StandardScaler, MinMaxScaler (scikit-learn names; fit on train only)
    baselines   naive_forecast, seasonal_naive_forecast, mae, rmse, mape, smape, compare_forecasts
    linear      LinearAutoregression, SeasonalAverage, calendar_features: the strongest cheap baselines

NumPy only: importing this package never imports torch or matplotlib.
"""

from course_lib.series.baselines import (
    compare_forecasts,
    mae,
    mape,
    naive_forecast,
    rmse,
    seasonal_naive_forecast,
    smape,
)
from course_lib.series.lags import lag_names, lag_table
from course_lib.series.linear import LinearAutoregression, SeasonalAverage, calendar_features
from course_lib.series.scaling import MinMaxScaler, NotFittedError, StandardScaler
from course_lib.series.split import (
    Split,
    SplitSizes,
    WindowSplits,
    chronological_split,
    split_sizes,
    split_windows,
)
from course_lib.series.windows import num_windows, sliding_windows

__all__ = [
    "LinearAutoregression",
    "MinMaxScaler",
    "NotFittedError",
    "SeasonalAverage",
    "Split",
    "SplitSizes",
    "StandardScaler",
    "WindowSplits",
    "calendar_features",
    "chronological_split",
    "compare_forecasts",
    "lag_names",
    "lag_table",
    "mae",
    "mape",
    "naive_forecast",
    "num_windows",
    "rmse",
    "seasonal_naive_forecast",
    "sliding_windows",
    "smape",
    "split_sizes",
    "split_windows",
]
