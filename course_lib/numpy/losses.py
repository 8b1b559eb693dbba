"""Losses over time steps, with a mask for padding. Each gives (loss, gradient with respect to its input)."""

import numpy as np

from course_lib.numpy._checks import check_shape, float_dtype
from course_lib.numpy.layers import check_ids

REDUCTIONS = ("mean", "sum")


def log_softmax(logits, axis=-1):
    """log softmax(logits) along `axis`: (a - max) - log Σ exp(a - max), so that nothing overflows."""
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(logits, axis=-1):
    """exp(a) / Σ exp(a) along `axis`, shifted by the max for stability."""
    return np.exp(log_softmax(logits, axis=axis))


def softmax_cross_entropy(logits, y, mask=None, reduction="mean"):
    """Cross-entropy of softmax(logits) against integer targets, over every (unmasked) time step.

    loss_nt = -log softmax(logits[n, t])[y[n, t]]
    dloss_nt / dlogits[n, t] = softmax(logits[n, t]) - onehot(y[n, t])

    Args:
        logits: (N, T, V), or (N, V) for one prediction per example.
        y: (N, T) or (N,) integer targets in [0, V); values at masked positions are ignored (any pad id).
        mask: same shape as y, True (or 1) where a real token is, False at padding; None means all real.
        reduction: "mean" divides the sum over unmasked positions by their number (torch's
            cross_entropy with ignore_index); "sum" returns the sum. An all-masked batch gives loss 0
            and zero gradient (torch would give nan).
    Returns:
        loss: float.  dlogits: shape and dtype of logits, zero at masked positions.
    """
    logits, y, mask = _check_targets(logits, y, mask, reduction)
    y_safe = np.where(mask, y, 0)  # masked targets may hold any pad id
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, y_safe[..., None], axis=-1)[..., 0]  # log p(y) per position
    scale = _reduction_scale(mask, reduction)
    loss = -np.sum(picked * mask) * scale
    dlogits = np.exp(logp)  # softmax, (..., V)
    rows = dlogits.reshape(-1, dlogits.shape[-1])  # a view: (N*T, V)
    rows[np.arange(len(rows)), y_safe.reshape(-1)] -= 1  # minus the one-hot target
    dlogits *= (mask * scale)[..., None]
    return float(loss), dlogits


def mse_loss(pred, target, mask=None, reduction="mean"):
    """Squared error for regression over time (forecasting): Σ mask ⊙ (pred - target)².

    Args:
        pred, target: same shape, e.g. (N, T) or (N, T, D). mask: broadcastable to pred, True where a
            value counts; None means every value counts.
        reduction: "mean" divides by the number of counted values (torch's mse_loss when unmasked); "sum".
    Returns:
        loss: float.  dpred: shape and dtype of pred.
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if target.shape != pred.shape:
        raise ValueError(f"target: expected shape {pred.shape} from pred, got shape {target.shape}")
    _check_reduction(reduction)
    mask = np.broadcast_to(True if mask is None else np.asarray(mask, dtype=bool), pred.shape)
    diff = (pred - target) * mask
    scale = _reduction_scale(mask, reduction)
    dpred = (2 * scale * diff).astype(float_dtype(pred), copy=False)
    return float(np.sum(diff * diff) * scale), dpred


def _check_targets(logits, y, mask, reduction):
    """Validate logits (..., V), y (...) and mask (...); return them as arrays, mask as bool."""
    logits = np.asarray(logits)
    if logits.ndim not in (2, 3):
        raise ValueError(f"logits: expected (N, T, V) or (N, V), got shape {logits.shape}")
    dims = ("N", "T")[: logits.ndim - 1]
    y = check_shape("y", y, dims, dict(zip(dims, ((n, "logits") for n in logits.shape), strict=False)))
    mask = np.ones(y.shape, dtype=bool) if mask is None else mask
    mask = check_shape("mask", mask, dims, dict(zip(dims, ((n, "y") for n in y.shape), strict=True)))
    mask = mask.astype(bool)
    check_ids("y", np.where(mask, y, 0), logits.shape[-1], "logits")
    _check_reduction(reduction)
    return logits, y, mask


def _check_reduction(reduction):
    """Raise a ValueError unless reduction is "mean" or "sum"."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")


def _reduction_scale(mask, reduction):
    """1 / (number of counted positions) for "mean" (1 when none counts), 1 for "sum"."""
    return 1.0 / max(int(np.count_nonzero(mask)), 1) if reduction == "mean" else 1.0
