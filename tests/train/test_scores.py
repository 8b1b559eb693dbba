"""Per-class precision, recall, F1 and macro-F1 against hand-computed values and a plain reference."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.train.scores import class_scores, count_matrix, macro_f1


def reference_scores(y_true, y_pred, C):
    """The definitions, one class at a time, with Python lists (zero denominators give 0)."""
    out = []
    for c in range(C):
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == c and p == c)
        predicted = sum(1 for p in y_pred if p == c)
        actual = sum(1 for t in y_true if t == c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append((precision, recall, f1, actual))
    return out


def test_hand_computed_example():
    # class 0: 2 of 3 found, 2 of 2 predictions right; class 1: 1 of 1 found, 1 of 2 right; class 2 absent
    y_true, y_pred = [0, 0, 0, 1], [0, 0, 1, 1]
    s = class_scores(y_true, y_pred, 3)
    np.testing.assert_allclose(s.precision, [1.0, 0.5, 0.0])
    np.testing.assert_allclose(s.recall, [2 / 3, 1.0, 0.0])
    np.testing.assert_allclose(s.f1, [0.8, 2 / 3, 0.0])
    np.testing.assert_array_equal(s.support, [3, 1, 0])
    assert macro_f1(y_true, y_pred, 3) == pytest.approx((0.8 + 2 / 3) / 3)


def test_count_matrix_rows_are_true_classes():
    M = count_matrix([0, 0, 1, 2], [1, 0, 1, 1], 3)
    np.testing.assert_array_equal(M, [[1, 1, 0], [0, 1, 0], [0, 1, 0]])
    assert M.dtype == np.int64


def test_perfect_and_majority_predictions():
    y = np.array([0, 1, 1, 2, 2, 2])
    assert macro_f1(y, y, 3) == 1.0
    majority = np.full_like(y, 2)  # F1 of class 2 is 2 * 0.5 * 1 / 1.5; the others 0
    assert macro_f1(y, majority, 3) == pytest.approx((2 * 0.5 / 1.5) / 3)


def test_accepts_torch_tensors():
    y_true, y_pred = torch.tensor([0, 1, 1]), torch.tensor([0, 1, 0])
    assert macro_f1(y_true, y_pred, 2) == macro_f1([0, 1, 1], [0, 1, 0], 2)


@settings(deadline=None, max_examples=60)
@given(st.integers(1, 6).flatmap(lambda C: st.tuples(
    st.just(C), st.lists(st.tuples(st.integers(0, C - 1), st.integers(0, C - 1)), min_size=1, max_size=40))))
def test_matches_the_definitions(case):
    C, pairs = case
    y_true, y_pred = [t for t, _ in pairs], [p for _, p in pairs]
    s = class_scores(y_true, y_pred, C)
    expected = np.array(reference_scores(y_true, y_pred, C))  # (C, 4)
    np.testing.assert_allclose(np.stack([s.precision, s.recall, s.f1], axis=1), expected[:, :3], atol=1e-12)
    np.testing.assert_array_equal(s.support, expected[:, 3])
    assert count_matrix(y_true, y_pred, C).sum() == len(pairs)


@pytest.mark.parametrize(
    "y_true, y_pred, C, message",
    [
        ([0, 1], [0], 2, "same shape"),
        ([0, 2], [0, 1], 2, r"\[0, 2\)"),
        ([0.0, 1.0], [0, 1], 2, "integer class ids"),
        ([0, 1], [0, 1], 0, "positive integer"),
    ],
)
def test_rejects_bad_input(y_true, y_pred, C, message):
    with pytest.raises(ValueError, match=message):
        class_scores(y_true, y_pred, C)
