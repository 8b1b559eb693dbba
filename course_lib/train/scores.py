"""Per-class precision, recall and F1, and their macro average: scores for unbalanced classes.

With M[i, j] the number of examples of true class i predicted as class j (C classes):

    precision_c = M[c, c] / Σ_i M[i, c]      of the examples predicted c, the fraction that are c
    recall_c    = M[c, c] / Σ_j M[c, j]      of the examples of class c, the fraction found
    F1_c        = 2 precision_c recall_c / (precision_c + recall_c)
    macro-F1    = (1 / C) Σ_c F1_c           every class counts the same, however rare

Accuracy weights classes by their size, so a model that ignores a small class loses little
accuracy; macro-F1 loses 1/C of its range. A ratio with a zero denominator (a class never
predicted, or absent from y_true) is 0, as in scikit-learn's zero_division=0. NumPy only.
"""

from typing import NamedTuple

import numpy as np


class ClassScores(NamedTuple):
    precision: np.ndarray  # (C,) float64
    recall: np.ndarray  # (C,) float64
    f1: np.ndarray  # (C,) float64
    support: np.ndarray  # (C,) int64, true examples of each class


def count_matrix(y_true, y_pred, num_classes):
    """M[i, j] = number of examples with true class i and predicted class j: (C, C) int64."""
    y_true, y_pred = _labels(y_true, num_classes, "y_true"), _labels(y_pred, num_classes, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}")
    flat = y_true * num_classes + y_pred  # (N,) one bin per (true, predicted) pair
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def class_scores(y_true, y_pred, num_classes):
    """Precision, recall, F1 and support of every class (see the module docstring)."""
    M = count_matrix(y_true, y_pred, num_classes).astype(np.float64)  # (C, C)
    hits = np.diag(M)  # (C,)
    precision = _ratio(hits, M.sum(axis=0))
    recall = _ratio(hits, M.sum(axis=1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    return ClassScores(precision, recall, f1, M.sum(axis=1).astype(np.int64))


def macro_f1(y_true, y_pred, num_classes):
    """Unweighted mean of the per-class F1 scores, a float in [0, 1]."""
    return float(class_scores(y_true, y_pred, num_classes).f1.mean())


def _ratio(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def _labels(y, num_classes, name):
    y = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise ValueError(f"{name}: expected a 1-D array of integer class ids, got {y.dtype} {y.shape}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes: expected a positive integer, got {num_classes!r}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{name}: class ids must be in [0, {num_classes}), got [{y.min()}, {y.max()}]")
    return y.astype(np.int64)
