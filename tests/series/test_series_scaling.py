"""StandardScaler and MinMaxScaler: scikit-learn's formulas, names and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.series import MinMaxScaler, NotFittedError, StandardScaler

finite = st.floats(-1e4, 1e4)
series_2d = hnp.arrays(np.float64, st.tuples(st.integers(2, 20), st.integers(1, 3)), elements=finite)


def test_standard_scaler_formula_and_attributes(rng):
    x = rng.normal(3.0, 2.0, size=(50, 2))
    scaler = StandardScaler().fit(x)
    np.testing.assert_allclose(scaler.mean_, x.mean(axis=0))
    np.testing.assert_allclose(scaler.var_, x.var(axis=0))  # ddof=0, as scikit-learn
    np.testing.assert_allclose(scaler.scale_, x.std(axis=0))
    assert scaler.n_features_in_ == 2 and scaler.n_samples_seen_ == 50
    z = scaler.transform(x)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1)


@settings(deadline=None, max_examples=50)
@given(x=series_2d, scaler=st.sampled_from([StandardScaler, MinMaxScaler]))
def test_inverse_transform_undoes_transform(x, scaler):
    fitted = scaler().fit(x)
    np.testing.assert_allclose(fitted.inverse_transform(fitted.transform(x)), x, rtol=1e-9, atol=1e-6)


def test_fit_on_train_then_transform_anything_with_f_features(rng):
    train = rng.normal(size=(30, 3))
    windows = rng.normal(size=(4, 7, 3))  # (N, T, F)
    scaler = StandardScaler().fit(train)
    np.testing.assert_allclose(scaler.transform(windows), (windows - train.mean(0)) / train.std(0))
    with pytest.raises(ValueError, match="3 fitted features"):
        scaler.transform(rng.normal(size=(5, 2)))


def test_one_dimensional_series_is_one_feature(rng):
    series = rng.normal(10.0, 4.0, size=100)
    scaler = StandardScaler()
    z = scaler.fit_transform(series)
    assert z.shape == (100,) and scaler.mean_.shape == (1,)
    windows = rng.normal(size=(3, 5))
    np.testing.assert_allclose(scaler.transform(windows), (windows - series.mean()) / series.std())


def test_transform_before_fit_raises_not_fitted_error():
    for scaler in (StandardScaler(), MinMaxScaler()):
        with pytest.raises(NotFittedError, match="fit"):
            scaler.transform(np.ones(3))
        with pytest.raises(ValueError):
            scaler.inverse_transform(np.ones(3))


def test_constant_feature_nan_and_options():
    x = np.array([[1.0, 5.0], [3.0, 5.0], [np.nan, 5.0]])
    scaler = StandardScaler().fit(x)
    np.testing.assert_allclose(scaler.mean_, [2.0, 5.0])  # NaN ignored when fitting
    np.testing.assert_allclose(scaler.scale_, [1.0, 1.0])  # constant feature: scale 1
    z = scaler.transform(x)
    assert np.isnan(z[2, 0]) and np.all(z[:, 1] == 0)  # NaN kept when transforming
    np.testing.assert_allclose(StandardScaler(with_mean=False).fit(x).transform(x)[:2, 0], [1.0, 3.0])
    np.testing.assert_allclose(StandardScaler(with_std=False).fit(x).transform(x)[:2, 0], [-1.0, 1.0])


def test_min_max_scaler_maps_training_range_and_keeps_sklearn_attributes():
    x = np.array([[0.0, 10.0], [5.0, 20.0], [10.0, 30.0]])
    scaler = MinMaxScaler(feature_range=(-1, 1)).fit(x)
    np.testing.assert_allclose(scaler.transform(x), [[-1, -1], [0, 0], [1, 1]])
    np.testing.assert_allclose(x * scaler.scale_ + scaler.min_, scaler.transform(x))
    np.testing.assert_allclose(scaler.transform([[20.0, 0.0]]), [[3.0, -2.0]])  # not clipped
    with pytest.raises(ValueError, match="low < high"):
        MinMaxScaler((1, 0))


def test_fit_rejects_bad_shapes_and_inputs_are_not_modified():
    with pytest.raises(ValueError, match="non-empty"):
        StandardScaler().fit(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        StandardScaler().fit(np.array([]))
    x = np.arange(6.0).reshape(3, 2)
    StandardScaler().fit(x).transform(x)
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(3, 2))
