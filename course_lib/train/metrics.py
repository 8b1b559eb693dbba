"""Metrics for `fit(metrics={...})`: functions (outputs, targets) -> float.

fit averages a metric over batches weighted by batch size, which is exact for per-example means.
"""

import torch


def accuracy(outputs: torch.Tensor, targets: torch.Tensor, ignore_index: int | None = None) -> float:
    """Fraction of positions where argmax(outputs) equals the target.

    Args:
        outputs: (..., C) scores, e.g. (N, C) or (N, T, V).  targets: (...) long, e.g. (N,) or (N, T).
        ignore_index: target value excluded from the count (e.g. pad_id).
    """
    correct = outputs.argmax(dim=-1) == targets  # (...)
    if ignore_index is not None:
        keep = targets != ignore_index
        return float(correct[keep].float().mean()) if keep.any() else 0.0
    return float(correct.float().mean())
