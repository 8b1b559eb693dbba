"""Image plots: gate activations as T×H heatmaps, and confusion matrices.

Each helper takes arrays (lists, ndarrays or tensors), draws on `ax` (or a new small figure)
and returns the Axes. None calls plt.show().
"""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from course_lib.plot._axes import DPI, FIGSIZE, new_axes, to_numpy


def plot_gate_heatmap(values, *, tokens: Sequence[str] | None = None, ax: Axes | None = None,
                      title: str | None = None, vmin: float | None = None, vmax: float | None = None,
                      cmap: str = "viridis", colorbar: bool = True) -> Axes:
    """Activations of one gate (or hidden state) over time: time on x, hidden unit on y.

    Args:
        values: (T, H), e.g. the forget gate f_t of one sequence.
        tokens: T labels for the time axis (the input token at each step).
        vmin, vmax: colour range; (0, 1) suits sigmoid gates, (-1, 1) tanh outputs; None: data range.
        colorbar: add a colour bar beside the Axes.
    Returns:
        The Axes, holding one image of shape (H, T).
    """
    ax = new_axes(ax)
    values = to_numpy(values)
    if values.ndim != 2:
        raise ValueError(f"values must be (T, H), got shape {values.shape}")
    T, H = values.shape
    image = ax.imshow(values.T, aspect="auto", origin="lower", cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest")  # (H, T)
    if tokens is not None:
        if len(tokens) != T:
            raise ValueError(f"got {len(tokens)} tokens for T={T} time steps")
        ax.set_xticks(np.arange(T), [str(t) for t in tokens], rotation=90 if T > 12 else 0)
    ax.set(xlabel="time step" if tokens is None else "input token", ylabel="hidden unit", title=title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    return ax


def plot_gates(gates: Mapping[str, object], *, tokens: Sequence[str] | None = None, axes=None,
               vmin: float | None = 0.0, vmax: float | None = 1.0) -> np.ndarray:
    """Several gates of one sequence, one heatmap each, stacked with a shared time axis.

    Args:
        gates: name -> (T, H), e.g. {"input i": i, "forget f": f, "output o": o}.
        tokens: T labels for the time axis.  axes: len(gates) Axes to draw on, or None.
        vmin, vmax: shared colour range (default (0, 1), the range of sigmoid gates).
    Returns:
        ndarray of len(gates) Axes, one image each.
    """
    if axes is None:
        width, height = FIGSIZE
        _, axes = plt.subplots(len(gates), 1, figsize=(width, 1.6 * len(gates) + 0.6), dpi=DPI,
                               sharex=True, squeeze=False, layout="constrained")
    axes = np.asarray(axes).ravel()
    if len(axes) != len(gates):
        raise ValueError(f"got {len(axes)} axes for {len(gates)} gates")
    for ax, (name, values) in zip(axes, gates.items(), strict=True):
        plot_gate_heatmap(values, tokens=tokens, ax=ax, title=name, vmin=vmin, vmax=vmax)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    return axes


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts M[i, j] of examples of true class i predicted as class j.

    Args:
        y_true, y_pred: (N,) integer class ids.  num_classes: C (default: largest id + 1).
    Returns:
        (C, C) int array; rows are true classes, columns predictions.
    """
    y_true, y_pred = to_numpy(y_true).ravel(), to_numpy(y_pred).ravel()
    C = num_classes if num_classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    matrix = np.zeros((C, C), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def plot_confusion_matrix(matrix, *, class_names: Sequence[str] | None = None, normalize: bool = False,
                          ax: Axes | None = None, title: str = "confusion matrix",
                          cmap: str = "Blues") -> Axes:
    """A confusion matrix as an image, each cell labelled with its count (or row fraction).

    Args:
        matrix: (C, C) counts, rows true classes (see confusion_matrix).
        class_names: C names for both axes.  normalize: divide each row by its total (recall per class).
    Returns:
        The Axes with one image and C*C text labels.
    """
    ax = new_axes(ax)
    matrix = to_numpy(matrix).astype(np.float64)  # (C, C)
    C = matrix.shape[0]
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)  # (C, 1)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    ax.imshow(matrix, cmap=cmap, vmin=0, vmax=matrix.max() if matrix.max() > 0 else 1)
    threshold = matrix.max() / 2
    for i in range(C):
        for j in range(C):
            text = f"{matrix[i, j]:.2f}" if normalize else f"{matrix[i, j]:.0f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if matrix[i, j] > threshold else "black")
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(C)]
    ax.set_xticks(np.arange(C), names, rotation=45 if C > 6 else 0)
    ax.set_yticks(np.arange(C), names)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return ax
