"""Line plots: what each helper draws, and that it returns Axes without showing anything."""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from course_lib.plot import pca_2d, plot_forecast, plot_grad_norms, plot_hidden_trajectory, plot_loss_curves
from course_lib.train import History


def test_no_helper_calls_show(monkeypatch, rng):
    def fail():
        raise AssertionError("plot helpers must not call plt.show()")

    monkeypatch.setattr(plt, "show", fail)
    plot_loss_curves([1.0, 0.5])
    plot_grad_norms(rng.random(5))
    plot_hidden_trajectory(rng.normal(size=(6, 4)))
    plot_forecast(rng.normal(size=10), rng.normal(size=3))


def test_loss_curves_from_a_history_mark_the_best_epoch():
    history = History(train_loss=[1.0, 0.6, 0.4], val_loss=[1.1, 0.7, 0.8], best_epoch=1, best_loss=0.7)
    ax = plot_loss_curves(history, log_y=True)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3  # train, validation, best-epoch marker
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.1, 0.7, 0.8])
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), [2, 2])  # epochs are shown from 1
    assert ax.get_yscale() == "log"


def test_loss_curves_from_arrays_draw_on_the_given_axes():
    _, ax = plt.subplots()
    assert plot_loss_curves(np.array([3.0, 2.0]), [2.5, 2.4], ax=ax) is ax
    assert len(ax.lines) == 2
    assert len(plot_loss_curves([3.0, 2.0]).lines) == 1


def test_grad_norms_one_curve_per_row_on_a_log_scale(rng):
    ax = plot_grad_norms(rng.random((3, 20)) + 1e-3, labels=["rnn", "lstm", "gru"])
    assert len(ax.lines) == 3 and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rnn", "lstm", "gru"]
    assert len(plot_grad_norms(rng.random(20)).lines) == 1
    with pytest.raises(ValueError, match="labels"):
        plot_grad_norms(rng.random((2, 5)), labels=["one"])


def test_pca_2d_recovers_a_plane_and_its_variance(rng):
    plane = rng.normal(size=(50, 2)) * [3.0, 1.0]  # (50, 2) most variance along the first axis
    basis = np.linalg.qr(rng.normal(size=(5, 2)))[0]  # (5, 2) orthonormal columns
    Z, explained = pca_2d(plane @ basis.T + 7.0)  # lifted into 5-D and shifted
    assert Z.shape == (50, 2)
    np.testing.assert_allclose(explained.sum(), 1.0, rtol=1e-12)
    assert explained[0] > explained[1]
    centred = plane - plane.mean(axis=0)  # distances are preserved by the projection
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), np.linalg.norm(centred, axis=1), rtol=1e-9)
    with pytest.raises(ValueError, match="H >= 2"):
        pca_2d(np.ones(4))


def test_hidden_trajectory_draws_one_path_per_sequence_with_token_labels(rng):
    ax = plot_hidden_trajectory(rng.normal(size=(4, 6)), tokens=list("abcd"))
    assert len(ax.lines) == 1 and len(ax.texts) == 4
    ax = plot_hidden_trajectory([rng.normal(size=(4, 6)), rng.normal(size=(7, 6))], labels=["x", "y"])
    assert len(ax.lines) == 2
    assert len(ax.lines[1].get_xdata()) == 7


def test_forecast_aligns_forecasts_with_the_end_of_the_series(rng):
    ax = plot_forecast(rng.normal(size=12), {"direct": rng.normal(size=4), "recursive": rng.normal(size=4)})
    assert len(ax.lines) == 4  # actual, two forecasts, the forecast-origin marker
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [8, 9, 10, 11])
    ax = plot_forecast(rng.normal(size=12), rng.normal(size=3), start=5)
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [5, 6, 7])


@pytest.mark.slow  # a fresh interpreter imports torch and matplotlib: a few seconds
def test_only_course_lib_plot_imports_matplotlib():
    code = (
        "import sys, course_lib.train, course_lib.torch.models\n"
        "assert 'matplotlib' not in sys.modules\n"
        "import course_lib.plot\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
