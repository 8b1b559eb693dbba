"""Heatmaps and confusion matrices."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.plot import confusion_matrix, plot_confusion_matrix, plot_gate_heatmap, plot_gates


def test_gate_heatmap_puts_time_on_x_with_token_labels(rng):
    values = rng.random((5, 3))  # (T, H)
    ax = plot_gate_heatmap(values, tokens=list("hello"), vmin=0, vmax=1)
    assert len(ax.images) == 1
    np.testing.assert_array_equal(ax.images[0].get_array(), values.T)  # (H, T)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("hello")
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar


def test_gate_heatmap_takes_tensors_and_checks_its_input():
    values = torch.rand(4, 2, requires_grad=True)
    ax = plot_gate_heatmap(values * 1, colorbar=False)
    assert ax.images[0].get_array().shape == (2, 4)
    with pytest.raises(ValueError, match="tokens"):
        plot_gate_heatmap(np.zeros((4, 2)), tokens=list("abc"))
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        plot_gate_heatmap(np.zeros(4))


def test_plot_gates_one_panel_per_gate(rng):
    gates = {name: rng.random((6, 4)) for name in ["input i", "forget f", "output o"]}
    axes = plot_gates(gates, tokens=list("abcdef"))
    assert len(axes) == 3 and all(len(ax.images) == 1 for ax in axes)
    assert [ax.get_title() for ax in axes] == list(gates)
    _, given = plt.subplots(1, 3)
    assert plot_gates(gates, axes=given)[2] is given[2]
    with pytest.raises(ValueError, match="axes"):
        plot_gates(gates, axes=given[:2])


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 2, 0, 2]
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), expected)
    assert confusion_matrix(y_true, y_pred, num_classes=4).shape == (4, 4)


def test_plot_confusion_matrix_labels_every_cell():
    matrix = np.array([[3, 1], [0, 4]])
    ax = plot_confusion_matrix(matrix, class_names=["neg", "pos"])
    assert len(ax.images) == 1 and len(ax.texts) == 4
    assert [t.get_text() for t in ax.texts] == ["3", "1", "0", "4"]
    ax = plot_confusion_matrix(matrix, normalize=True)
    assert [t.get_text() for t in ax.texts] == ["0.75", "0.25", "0.00", "1.00"]
