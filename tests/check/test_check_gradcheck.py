"""The gradient checkers themselves: right answers on known functions, wrong backward passes caught,
inputs never modified."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.check import FD_MAX_REL_ERROR, check_vjp, numerical_gradient, rel_error


def test_numerical_gradient_of_a_sum_of_squares(rng):
    x = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda a: np.sum(a**2), x)
    assert rel_error(grad, 2 * x) < FD_MAX_REL_ERROR


def test_numerical_gradient_with_an_upstream_gradient_is_a_vjp(rng):
    W, v = rng.standard_normal((3, 4)), rng.standard_normal(4)
    df = rng.standard_normal(3)
    grad = numerical_gradient(lambda a: a @ v, W, df)  # d Σ df ⊙ (W v) / dW = df vᵀ
    assert rel_error(grad, np.outer(df, v)) < FD_MAX_REL_ERROR


def test_numerical_gradient_copies_its_input_and_hands_f_the_perturbed_array(rng):
    x = rng.standard_normal(5)
    before, seen = x.copy(), []

    def f(a):
        seen.append(a)
        a *= 2  # a careless f that modifies its argument must not reach the caller's x
        return a.sum()

    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert len(seen) == 10 and all(a is not x for a in seen)


def test_numerical_gradient_upcasts_float32_and_integers():
    grad = numerical_gradient(lambda a: np.sum(a**3), np.array([1, 2], dtype=np.int64))
    assert grad.dtype == np.float64
    assert rel_error(grad, np.array([3.0, 12.0])) < FD_MAX_REL_ERROR


def test_rel_error_values():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0
    assert rel_error(np.array([1.0, 0.0]), np.array([-1.0, 0.0])) == 1.0
    assert rel_error(np.array([1.0, 1e-9]), np.array([1.0, 2e-9])) < 1e-8  # near-zero entries do not dominate


def test_rel_error_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"rel_error: expected equal shapes, got \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


@settings(deadline=None, max_examples=50)
@given(
    a=hnp.arrays(np.float64, (4,), elements=st.integers(-(10**6), 10**6).map(float)),
    b=hnp.arrays(np.float64, (4,), elements=st.integers(-(10**6), 10**6).map(float)),
    power=st.integers(-10, 10),
)
def test_rel_error_is_symmetric_bounded_and_scale_free(a, b, power):
    error = rel_error(a, b)
    assert error == rel_error(b, a)
    assert 0.0 <= error <= 1.0
    assert rel_error(2.0**power * a, 2.0**power * b) == error  # a power of two scales without rounding


def test_check_vjp_accepts_a_correct_backward_pass(rng):
    A, x0 = rng.standard_normal((6, 4)), rng.standard_normal(4)
    result = check_vjp(lambda x: np.tanh(A @ x), x0, lambda u: A.T @ (u * (1 - np.tanh(A @ x0) ** 2)), rng)
    assert result.rel_error < FD_MAX_REL_ERROR, result


def test_check_vjp_catches_a_wrong_backward_pass(rng):
    A, x0 = rng.standard_normal((6, 4)), rng.standard_normal(4)
    result = check_vjp(lambda x: np.tanh(A @ x), x0, lambda u: A.T @ u, rng)  # forgot tanh'
    assert result.rel_error > 1e-3, result
    assert "analytic" in repr(result) and "numeric" in repr(result)


def test_check_vjp_does_not_modify_its_input(rng):
    x = rng.standard_normal(3)
    before = x.copy()
    check_vjp(lambda a: 2 * a, x, lambda u: 2 * u, rng)
    np.testing.assert_array_equal(x, before)
