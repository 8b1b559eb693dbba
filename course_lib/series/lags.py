"""The lag table: a series as a supervised-learning table with one column per lag.

Row t holds (y[t-n], ..., y[t-1], y[t]); values before the start of the series are missing (NaN).
For 548, 643, 920, 1406, ... with n_lags=3 the first rows are

    t-3   t-2   t-1   t
    NaN   NaN   NaN   548
    NaN   NaN   548   643
    NaN   548   643   920
    548   643   920   1406
"""

import numpy as np

from course_lib.series._checks import as_series, check_int


def lag_names(n_lags):
    """Column names ["t-n", ..., "t-1", "t"]."""
    return [f"t-{lag}" for lag in range(n_lags, 0, -1)] + ["t"]


def lag_table(series, n_lags=3, drop_incomplete=False):
    """Table of lagged copies of a 1-D series.

    table[t, j] = series[t - (n_lags - j)], NaN where that index is negative; the last column is
    series[t] itself.

    Args:
        series: (T,) numbers. n_lags: how many past values per row (>= 0).
        drop_incomplete: drop the first n_lags rows, the ones with missing values.
    Returns:
        (table, names): table (T, n_lags + 1) float64 (T - n_lags rows if drop_incomplete),
        names ["t-n", ..., "t-1", "t"].
    """
    series = as_series(series, allow_2d=False)  # (T,)
    n_lags = check_int("n_lags", n_lags, 0)
    T = len(series)
    table = np.full((T, n_lags + 1), np.nan)  # (T, n_lags + 1)
    for column in range(n_lags + 1):
        lag = n_lags - column
        if lag < T:
            table[lag:, column] = series[: T - lag]
    if drop_incomplete:
        table = table[n_lags:]  # (T - n_lags, n_lags + 1)
    return table, lag_names(n_lags)
