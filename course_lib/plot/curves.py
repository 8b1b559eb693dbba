"""Line plots: loss curves, gradient norms over time steps, hidden-state trajectories, forecasts.

Each helper takes arrays (lists, ndarrays or tensors), draws on `ax` (or a new small figure)
and returns the Axes. None calls plt.show(): a notebook shows the figure by itself.
"""

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

from course_lib.plot._axes import new_axes, to_numpy


def plot_loss_curves(train, val=None, *, ax: Axes | None = None, log_y: bool = False,
                     title: str = "loss") -> Axes:
    """Training (and validation) loss per epoch.

    Args:
        train: a History (anything with train_loss, val_loss and best_epoch), or (E,) losses.
        val: (E,) validation losses; taken from the History when one is given.
        log_y: logarithmic loss axis, for losses spanning orders of magnitude.
    Returns:
        The Axes: one line per curve, plus a dotted vertical line at the History's best epoch.
    """
    ax = new_axes(ax)
    best = None
    if hasattr(train, "train_loss"):
        train, val, best = train.train_loss, val if val is not None else train.val_loss, train.best_epoch
    train = to_numpy(train)
    ax.plot(np.arange(1, len(train) + 1), train, marker=".", label="train")
    if val is not None and len(val) > 0:
        val = to_numpy(val)
        ax.plot(np.arange(1, len(val) + 1), val, marker=".", label="validation")
    if best is not None:
        ax.axvline(best + 1, color="grey", linestyle=":", label=f"best (epoch {best + 1})")
    if log_y:
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    ax.legend()
    return ax


def plot_grad_norms(norms, *, labels: Sequence[str] | None = None, ax: Axes | None = None,
                    xlabel: str = "time step t", title: str = "gradient norm") -> Axes:
    """Gradient norms on a log scale, e.g. ‖∂L/∂h_t‖ against t to show vanishing gradients.

    Args:
        norms: (T,) one curve, or (K, T) K curves (e.g. one per cell type).
        labels: K names for the legend.  xlabel: what the x axis counts (steps or updates).
    Returns:
        The Axes with K lines.
    """
    ax = new_axes(ax)
    curves = np.atleast_2d(to_numpy(norms))  # (K, T)
    if labels is not None and len(labels) != len(curves):
        raise ValueError(f"got {len(labels)} labels for {len(curves)} curves")
    for k, curve in enumerate(curves):
        ax.plot(np.arange(len(curve)), curve, label=None if labels is None else labels[k])
    ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel="norm (log scale)", title=title)
    if labels is not None:
        ax.legend()
    return ax


def pca_2d(states) -> tuple[np.ndarray, np.ndarray]:
    """Project states onto their two principal components (centred, via numpy's SVD).

        X̄ = X - mean(X),   X̄ = U S Vᵀ,   Z = X̄ V[:, :2]

    Args:
        states: (M, H) hidden states, e.g. h_t for every t (M = T).
    Returns:
        Z: (M, 2) coordinates.  explained: (2,) fraction of the variance each component holds.
    """
    X = to_numpy(states).astype(np.float64)  # (M, H)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(f"states must be (M, H) with H >= 2, got shape {X.shape}")
    centred = X - X.mean(axis=0)  # (M, H)
    _, S, Vt = np.linalg.svd(centred, full_matrices=False)  # S: (min(M, H),), Vt: (., H)
    variance = S**2
    explained = variance[:2] / variance.sum() if variance.sum() > 0 else np.zeros(2)
    return centred @ Vt[:2].T, explained  # (M, 2), (2,)


def plot_hidden_trajectory(states, *, tokens: Sequence[str] | None = None,
                           labels: Sequence[str] | None = None, ax: Axes | None = None,
                           title: str = "hidden state (PCA)") -> Axes:
    """Hidden states h_1..h_T as a path in the plane of their first two principal components.

    Args:
        states: (T, H) one trajectory, or a list of K arrays (T_k, H) sharing one PCA basis.
        tokens: T labels written next to the points of the first trajectory.
        labels: K names for the legend.
    Returns:
        The Axes with one line per trajectory (a circle marks each start).
    """
    ax = new_axes(ax)
    arrays = [to_numpy(states)] if _is_single(states) else [to_numpy(s) for s in states]
    Z, explained = pca_2d(np.concatenate(arrays))  # (sum T_k, 2)
    start = 0
    for k, a in enumerate(arrays):
        z = Z[start : start + len(a)]  # (T_k, 2)
        start += len(a)
        (line,) = ax.plot(z[:, 0], z[:, 1], marker=".", label=None if labels is None else labels[k])
        ax.scatter(z[:1, 0], z[:1, 1], s=60, facecolors="none", edgecolors=line.get_color())
        if k == 0 and tokens is not None:
            for (x, y), token in zip(z, tokens, strict=True):
                ax.annotate(str(token), (x, y), textcoords="offset points", xytext=(3, 3), fontsize=8)
    ax.set(xlabel=f"PC1 ({explained[0]:.0%})", ylabel=f"PC2 ({explained[1]:.0%})", title=title)
    if labels is not None:
        ax.legend()
    return ax


def plot_forecast(actual, forecast, *, start: int | None = None, ax: Axes | None = None,
                  title: str = "forecast") -> Axes:
    """A series and one or more forecasts of its continuation.

    Args:
        actual: (T,) observed values.
        forecast: (K,) values, or a mapping name -> (K,) to compare several forecasts.
        start: index in `actual` of the first forecast step; default T - K (the last K steps).
    Returns:
        The Axes: one line for the series and one per forecast, a dotted line at `start`.
    """
    ax = new_axes(ax)
    actual = to_numpy(actual).ravel()
    forecasts = dict(forecast) if isinstance(forecast, Mapping) else {"forecast": forecast}
    forecasts = {name: to_numpy(f).ravel() for name, f in forecasts.items()}
    horizon = max(len(f) for f in forecasts.values())
    start = len(actual) - horizon if start is None else start
    ax.plot(np.arange(len(actual)), actual, color="black", label="actual")
    for name, f in forecasts.items():
        ax.plot(np.arange(start, start + len(f)), f, marker=".", label=name)
    ax.axvline(start - 0.5, color="grey", linestyle=":")
    ax.set(xlabel="time step", ylabel="value", title=title)
    ax.legend()
    return ax


def _is_single(states) -> bool:
    """True for one (T, H) array; False for a list of them."""
    if isinstance(states, (list, tuple)):
        first = states[0]
        return len(first.shape if hasattr(first, "shape") else np.shape(first)) == 1  # T rows, each (H,)
    return True
