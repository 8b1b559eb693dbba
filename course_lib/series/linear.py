"""The strongest cheap baselines: linear autoregression on the lag table, and a seasonal average.

Linear autoregression is least squares on the rows of the lag table (lags.py), optionally with
extra columns known in advance (calendar features):

    ŷ[t+h] = b_h + Σ_l w_{h,l} y[t+1-l] + Σ_e v_{h,e} c_e[t],     one (w_h, v_h, b_h) per step h

Each forecast step h has its own coefficients, fitted independently (multi-output least squares
is one least-squares problem per column). The seasonal average ("climatology") ignores the recent
past and fits a few harmonics of the season to the training values:

    ŷ(d) = a + Σ_{k=1..K} (b_k sin(2πkd/P) + c_k cos(2πkd/P)),    d = day of the year, P = 365.25
"""

import numpy as np

from course_lib.series._checks import check_int
from course_lib.series.scaling import NotFittedError


def calendar_features(day_of_year, harmonics=1, period=365.25):
    """sin and cos of k·2πd/P for k = 1..harmonics: (T, 2·harmonics), columns sin1, cos1, sin2, ...

    31 December and 1 January get neighbouring values, unlike the raw day number.
    """
    day_of_year = np.asarray(day_of_year, dtype=np.float64)
    if day_of_year.ndim != 1:
        raise ValueError(f"expected day_of_year of shape (T,), got shape {day_of_year.shape}")
    harmonics = check_int("harmonics", harmonics, 1)
    angle = 2 * np.pi * day_of_year[:, None] * np.arange(1, harmonics + 1) / period  # (T, K)
    return np.stack([np.sin(angle), np.cos(angle)], axis=2).reshape(len(day_of_year), 2 * harmonics)


def _design(x, exog):
    """[flattened window, exog, 1]: (N, L·F + E + 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3):
        raise ValueError(f"expected input windows (N, L) or (N, L, F), got shape {x.shape}")
    columns = [x.reshape(len(x), -1)]  # (N, L·F)
    if exog is not None:
        exog = np.asarray(exog, dtype=np.float64)
        if exog.ndim != 2 or len(exog) != len(x):
            raise ValueError(f"exog must be (N, E) with N = {len(x)}, got shape {exog.shape}")
        columns.append(exog)
    columns.append(np.ones((len(x), 1)))
    return np.concatenate(columns, axis=1)


class LinearAutoregression:
    """Least squares from input windows (and optional known-in-advance features) to the next steps.

    Args:
        ridge: L2 penalty λ on the weights (not the intercept); 0 is ordinary least squares.
    After fit: coef_ (L·F + E, horizon), intercept_ (horizon,), n_params (their total size).
    """

    def __init__(self, ridge=0.0):
        if ridge < 0:
            raise ValueError(f"ridge must be >= 0, got {ridge}")
        self.ridge = float(ridge)
        self.coef_ = None

    def fit(self, x, y, exog=None):
        """x: (N, L) or (N, L, F) windows. y: (N, horizon) targets. exog: (N, E) or None."""
        A = _design(x, exog)  # (N, P + 1)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 2 or len(y) != len(A):
            raise ValueError(f"expected targets (N, horizon) with N = {len(A)}, got shape {y.shape}")
        penalty = self.ridge * np.eye(A.shape[1])
        penalty[-1, -1] = 0.0  # the intercept is not shrunk
        if self.ridge:
            solution = np.linalg.solve(A.T @ A + penalty, A.T @ y)  # (P + 1, horizon)
        else:
            solution = np.linalg.lstsq(A, y, rcond=None)[0]  # (P + 1, horizon)
        self.coef_, self.intercept_ = solution[:-1], solution[-1]
        self.n_params = solution.size
        return self

    def predict(self, x, exog=None):
        """(N, horizon) forecasts for windows shaped like the training windows."""
        if self.coef_ is None:
            raise NotFittedError("call fit before predict")
        A = _design(x, exog)
        if A.shape[1] != len(self.coef_) + 1:
            raise ValueError(f"expected {len(self.coef_)} input columns as in fit, got {A.shape[1] - 1}")
        return A[:, :-1] @ self.coef_ + self.intercept_


class SeasonalAverage:
    """The seasonal average curve ("climatology"): a constant plus K harmonics, by least squares.

    Args:
        harmonics: K; the curve has 1 + 2K parameters. period: P, in the units of day_of_year.
    """

    def __init__(self, harmonics=2, period=365.25):
        self.harmonics = check_int("harmonics", harmonics, 1)
        self.period = float(period)
        self.coef_ = None

    def _design(self, day_of_year):
        features = calendar_features(day_of_year, self.harmonics, self.period)  # (T, 2K)
        return np.concatenate([np.ones((len(features), 1)), features], axis=1)  # (T, 1 + 2K)

    def fit(self, day_of_year, y):
        """day_of_year: (T,). y: (T,) values on those days (training days only)."""
        y = np.asarray(y, dtype=np.float64)
        A = self._design(day_of_year)
        if y.shape != (len(A),):
            raise ValueError(f"expected y of shape ({len(A)},), got shape {y.shape}")
        self.coef_ = np.linalg.lstsq(A, y, rcond=None)[0]  # (1 + 2K,)
        return self

    def predict(self, day_of_year):
        """(T,) the curve's value on each day."""
        if self.coef_ is None:
            raise NotFittedError("call fit before predict")
        return self._design(day_of_year) @ self.coef_
