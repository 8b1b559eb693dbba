"""Scalers with scikit-learn's names and rules: fit on the training part only, then transform all.

Fitting on the whole series would leak the validation and test statistics (their mean and
spread) into training. Differences from scikit-learn, all deliberate:
- 1-D input (T,) is accepted and treated as one feature (scikit-learn requires 2-D).
- transform accepts any array whose last axis is the F fitted features, so windows (N, T, F)
  can be scaled directly; a scaler fitted on a 1-D series transforms arrays of any shape.
Like scikit-learn: statistics are per feature with ddof=0, NaNs are ignored when fitting and kept
when transforming, a constant feature gets scale 1, and transform before fit raises NotFittedError.
"""

import numpy as np


class NotFittedError(ValueError, AttributeError):
    """Raised when a scaler is used before fit (a ValueError, as in scikit-learn)."""


class _Scaler:
    """Shared fit/transform plumbing: transform is (x - offset) / divisor, from _statistics."""

    def _check_input(self, x, fitting):
        x = np.asarray(x, dtype=np.float64)
        if fitting:
            if x.ndim not in (1, 2) or len(x) == 0:
                raise ValueError(f"fit expects a non-empty (T,) or (T, F) array, got shape {x.shape}")
            return x
        if not hasattr(self, "_divisor"):
            name = type(self).__name__
            raise NotFittedError(f"this {name} is not fitted yet: call fit on the training data first")
        if self._fitted_1d:
            return x
        if x.ndim == 0 or x.shape[-1] != self.n_features_in_:
            F = self.n_features_in_
            raise ValueError(f"expected the last axis to hold the {F} fitted features, got shape {x.shape}")
        return x

    def fit(self, x):
        """Learn the statistics from x (T,) or (T, F); returns self."""
        x = self._check_input(x, fitting=True)
        self._fitted_1d = x.ndim == 1
        self.n_features_in_ = 1 if x.ndim == 1 else x.shape[1]
        self.n_samples_seen_ = len(x)
        self._offset, self._divisor = self._statistics(x.reshape(len(x), -1))  # (F,), (F,)
        return self

    def _params(self):
        if self._fitted_1d:
            return self._offset[0], self._divisor[0]
        return self._offset, self._divisor

    def transform(self, x):
        """Scale x (any shape whose last axis holds the F features); same shape as x."""
        x = self._check_input(x, fitting=False)
        offset, divisor = self._params()
        return (x - offset) / divisor

    def inverse_transform(self, x):
        """Undo transform (e.g. to report errors in the original units); same shape as x."""
        x = self._check_input(x, fitting=False)
        offset, divisor = self._params()
        return x * divisor + offset

    def fit_transform(self, x):
        """fit(x) then transform(x)."""
        return self.fit(x).transform(x)


def _safe_scale(scale):
    """A zero scale (constant feature) or a non-finite one (all-NaN feature) becomes 1."""
    return np.where((scale == 0) | ~np.isfinite(scale), 1.0, scale)


class StandardScaler(_Scaler):
    """z = (x - mean_) / scale_ with per-feature mean and standard deviation (ddof=0).

    Attributes after fit: mean_ (F,), var_ (F,), scale_ (F,) (the standard deviation, 1 for a
    constant feature), n_features_in_, n_samples_seen_.
    """

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def _statistics(self, x):
        self.mean_ = np.nanmean(x, axis=0)  # (F,)
        self.var_ = np.nanvar(x, axis=0)  # (F,)
        self.scale_ = _safe_scale(np.sqrt(self.var_))  # (F,)
        offset = self.mean_ if self.with_mean else np.zeros_like(self.mean_)
        return offset, self.scale_ if self.with_std else np.ones_like(self.scale_)


class MinMaxScaler(_Scaler):
    """x' = (x - data_min_) / data_range_ * (hi - lo) + lo, so the training data spans [lo, hi].

    Attributes after fit (scikit-learn's): data_min_, data_max_, data_range_ (F,), and scale_, min_
    (F,) with x' = x * scale_ + min_; n_features_in_, n_samples_seen_.
    Test data can fall outside [lo, hi]: that is information, and is not clipped.
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        low, high = feature_range
        if not low < high:
            raise ValueError(f"feature_range must be (low, high) with low < high, got {feature_range!r}")
        self.feature_range = (low, high)

    def _statistics(self, x):
        low, high = self.feature_range
        self.data_min_ = np.nanmin(x, axis=0)  # (F,)
        self.data_max_ = np.nanmax(x, axis=0)  # (F,)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (high - low) / _safe_scale(self.data_range_)  # (F,)
        self.min_ = low - self.data_min_ * self.scale_  # (F,)
        # x * scale_ + min_ == (x - offset) / divisor with divisor = 1 / scale_, offset = -min_ / scale_
        return -self.min_ / self.scale_, 1.0 / self.scale_
