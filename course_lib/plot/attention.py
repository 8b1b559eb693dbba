"""Attention weights as a heatmap: output steps down, source positions across.

Takes arrays (lists, ndarrays or tensors), draws on `ax` (or a new small figure) and returns the
Axes; never calls plt.show().
"""

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from course_lib.plot._axes import new_axes, to_numpy


def plot_attention(weights, *, source: Sequence[str], target: Sequence[str], ax: Axes | None = None,
                   title: str | None = None, colorbar: bool = False) -> Axes:
    """One example's attention weights: row t is where the decoder looked to write target[t].

    Args:
        weights: (T, S) rows summing to one, e.g. AttentionSeq2Seq.attention_weights(...)[n].
        source: S labels (the source tokens).  target: T labels (the output tokens).
        colorbar: add a colour bar beside the Axes.
    Returns:
        The Axes, holding one (T, S) image with the colour range fixed to [0, 1].
    """
    ax = new_axes(ax)
    weights = to_numpy(weights)
    if weights.ndim != 2:
        raise ValueError(f"weights must be (T, S), got shape {weights.shape}")
    T, S = weights.shape
    if len(source) != S or len(target) != T:
        raise ValueError(f"weights (T, S) = {weights.shape} needs {S} source and {T} target labels, "
                         f"got {len(source)} and {len(target)}")
    image = ax.imshow(weights, aspect="auto", cmap="Greys", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks(np.arange(S), [str(s) for s in source], fontsize=8)
    ax.set_yticks(np.arange(T), [str(t) for t in target], fontsize=8)
    ax.set(xlabel="source", ylabel="output", title=title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    return ax
