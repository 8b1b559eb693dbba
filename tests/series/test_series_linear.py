"""Linear autoregression and the seasonal average: exact recovery, least-squares optimality, shapes."""

import numpy as np
import pytest

from course_lib.series import (
    LinearAutoregression,
    NotFittedError,
    SeasonalAverage,
    calendar_features,
    sliding_windows,
)


def _ar2_series(rng, T=300):
    y = np.zeros(T)
    y[:2] = rng.standard_normal(2)
    for t in range(2, T):
        y[t] = 0.5 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + 0.1 * rng.standard_normal()
    return y


def test_recovers_a_noiseless_linear_recurrence(rng):
    y = np.zeros(60)
    y[:3] = rng.standard_normal(3)
    for t in range(3, 60):
        y[t] = 1.0 + 0.5 * y[t - 1] - 0.2 * y[t - 2] + 0.1 * y[t - 3]
    X, Y = sliding_windows(y, input_len=3, horizon=1)  # X[:, -1] is y[t-1]
    model = LinearAutoregression().fit(X, Y)
    np.testing.assert_allclose(model.coef_[:, 0], [0.1, -0.2, 0.5], atol=1e-8)
    np.testing.assert_allclose(model.intercept_, [1.0], atol=1e-8)
    np.testing.assert_allclose(model.predict(X), Y, atol=1e-8)
    assert model.n_params == 4


def test_matches_lstsq_and_is_a_least_squares_minimum(rng):
    y = _ar2_series(rng)
    X, Y = sliding_windows(y, input_len=5, horizon=3)
    exog = rng.standard_normal((len(X), 2))
    model = LinearAutoregression().fit(X, Y, exog=exog)
    A = np.column_stack([X, exog, np.ones(len(X))])
    expected = np.linalg.lstsq(A, Y, rcond=None)[0]
    np.testing.assert_allclose(np.vstack([model.coef_, model.intercept_]), expected, rtol=1e-7, atol=1e-9)
    residual = Y - model.predict(X, exog=exog)
    np.testing.assert_allclose(A.T @ residual, 0, atol=1e-8)  # normal equations: residual ⟂ columns
    assert model.predict(X, exog=exog).shape == Y.shape and model.n_params == (5 + 2 + 1) * 3


def test_each_horizon_is_fitted_independently(rng):
    y = _ar2_series(rng)
    X, Y = sliding_windows(y, input_len=4, horizon=3)
    joint = LinearAutoregression().fit(X, Y).predict(X)
    alone = LinearAutoregression().fit(X, Y[:, 1:2]).predict(X)
    np.testing.assert_allclose(joint[:, 1:2], alone, rtol=1e-9, atol=1e-9)


def test_multivariate_windows_are_flattened(rng):
    x = rng.standard_normal((50, 4, 2))  # (N, L, F)
    y = x[:, -1, :1] * 2.0 - x[:, 0, 1:] + 3.0  # (N, 1)
    model = LinearAutoregression().fit(x, y)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-8)


def test_ridge_shrinks_the_weights_but_not_the_intercept(rng):
    y = _ar2_series(rng) + 10.0
    X, Y = sliding_windows(y, input_len=3, horizon=1)
    plain = LinearAutoregression().fit(X, Y)
    heavy = LinearAutoregression(ridge=1e9).fit(X, Y)
    assert np.abs(heavy.coef_).max() < 1e-3 < np.abs(plain.coef_).max()
    np.testing.assert_allclose(heavy.intercept_, Y.mean(0), rtol=1e-4)  # all weight on the mean
    np.testing.assert_allclose(
        LinearAutoregression(ridge=1e-12).fit(X, Y).predict(X), plain.predict(X), atol=1e-6
    )


def test_linear_errors():
    with pytest.raises(NotFittedError):
        LinearAutoregression().predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="ridge"):
        LinearAutoregression(ridge=-1.0)
    with pytest.raises(ValueError, match="targets"):
        LinearAutoregression().fit(np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="exog"):
        LinearAutoregression().fit(np.zeros((5, 3)), np.zeros((5, 1)), exog=np.zeros((4, 2)))
    model = LinearAutoregression().fit(np.arange(15.0).reshape(5, 3), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="input columns"):
        model.predict(np.zeros((2, 4)))


def test_calendar_features_wrap_around_the_year():
    features = calendar_features(np.array([0.0, 365.25, 91.3125]), harmonics=2)  # (3, 4): sin1 cos1 sin2 cos2
    assert features.shape == (3, 4)
    np.testing.assert_allclose(features[0], features[1], atol=1e-12)  # day 0 and day P coincide
    np.testing.assert_allclose(features[2], [1.0, 0.0, 0.0, -1.0], atol=1e-12)  # a quarter turn
    with pytest.raises(ValueError, match="harmonics"):
        calendar_features(np.arange(3.0), harmonics=0)


def test_seasonal_average_recovers_its_curve(rng):
    days = np.arange(1000) % 365
    truth = 15.0 + 6.0 * np.sin(2 * np.pi * days / 365.25) - 2.0 * np.cos(4 * np.pi * days / 365.25)
    model = SeasonalAverage(harmonics=2).fit(days, truth + 0.01 * rng.standard_normal(1000))
    np.testing.assert_allclose(model.coef_, [15.0, 6.0, 0.0, 0.0, -2.0], atol=0.01)
    np.testing.assert_allclose(model.predict(days), truth, atol=0.01)
    assert len(model.coef_) == 1 + 2 * 2
    with pytest.raises(NotFittedError):
        SeasonalAverage().predict(days)
    with pytest.raises(ValueError, match="shape"):
        SeasonalAverage().fit(days, truth[:-1])
