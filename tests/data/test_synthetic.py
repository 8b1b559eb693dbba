"""The synthetic memory tasks: shapes, the defining relation, and the trivial baseline."""

import numpy as np
import pytest

from course_lib.data import adding_problem, delayed_recall


def test_adding_problem_target_is_sum_of_marked_values(rng):
    x, y = adding_problem(500, 20, rng)
    assert x.shape == (500, 20, 2) and y.shape == (500,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert np.all(x[:, :, 1].sum(axis=1) == 2)
    assert np.all(x[:, :10, 1].sum(axis=1) == 1)  # one marker in each half
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1), rtol=1e-6)


def test_adding_problem_constant_baseline_mse_is_one_sixth(rng):
    _, y = adding_problem(200_000, 10, rng)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.003)


def test_delayed_recall_relation(rng):
    x, y = delayed_recall(8, 12, 3, 5, rng)
    assert x.shape == y.shape == (8, 12)
    assert np.all(y[:, :3] == -1)
    np.testing.assert_array_equal(y[:, 3:], x[:, :-3])
    assert x.min() >= 0 and x.max() < 5


@pytest.mark.parametrize(("delay", "vocab"), [(-1, 5), (12, 5), (3, 1)], ids=str)
def test_delayed_recall_bad_arguments(delay, vocab, rng):
    with pytest.raises(ValueError, match="delay|vocab_size"):
        delayed_recall(2, 12, delay, vocab, rng)


def test_adding_problem_needs_two_steps(rng):
    with pytest.raises(ValueError, match="T must be at least 2"):
        adding_problem(2, 1, rng)
