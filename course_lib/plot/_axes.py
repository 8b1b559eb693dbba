"""What every plot helper shares: array conversion and a small default figure."""

import matplotlib.pyplot as plt
import numpy as np

FIGSIZE = (4.5, 3.0)  # inches: small, so committed notebooks stay light
DPI = 80  # low resolution for the same reason


def to_numpy(values) -> np.ndarray:
    """An ndarray from a list, ndarray or torch tensor (detached and copied to the CPU first)."""
    if hasattr(values, "detach"):  # torch.Tensor, without importing torch here
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def new_axes(ax=None, figsize=FIGSIZE):
    """`ax` itself, or the Axes of a new small figure."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, dpi=DPI, layout="constrained")
    return ax
