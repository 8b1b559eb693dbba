"""plot_attention: one (T, S) image in [0, 1], labelled, and clear errors for mismatched labels."""

import numpy as np
import pytest
import torch

from course_lib.plot.attention import plot_attention


def test_draws_the_weights_with_labels():
    weights = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]])
    ax = plot_attention(weights, source=list("abc"), target=["X", "Y"], title="t")
    image = ax.get_images()[0]
    np.testing.assert_array_equal(image.get_array(), weights.numpy())
    assert image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["X", "Y"]


def test_label_counts_must_match():
    with pytest.raises(ValueError, match=r"needs 3 source and 2 target labels, got 2 and 2"):
        plot_attention(np.zeros((2, 3)), source=["a", "b"], target=["X", "Y"])
    with pytest.raises(ValueError, match=r"weights must be \(T, S\), got shape \(3,\)"):
        plot_attention(np.zeros(3), source=["a"], target=["X"])
