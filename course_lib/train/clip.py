"""Gradient norm and clipping by global norm (Pascanu et al. 2013), written out.

    ‖g‖ = sqrt(Σ_p ‖∂L/∂p‖²)   over every parameter p that has a gradient
    if ‖g‖ > max_norm:  ∂L/∂p ← ∂L/∂p · max_norm / (‖g‖ + 1e-6)

Scaling all gradients by one factor keeps the update's direction and bounds its length, which
stops the rare exploding step of a recurrent network from wrecking the weights.
Matches torch.nn.utils.clip_grad_norm_ (same epsilon, same returned value).
"""

from collections.abc import Iterable

import torch

_EPS = 1e-6  # as in torch.nn.utils.clip_grad_norm_, so max_norm is never overshot by rounding


def grad_norm(parameters: Iterable[torch.Tensor]) -> float:
    """Global L2 norm of all gradients; parameters without a gradient are skipped (0.0 if none)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    norms = torch.stack([g.detach().norm(2).double() for g in grads])  # (P,) one per tensor
    return float(norms.norm(2))


def clip_grad_norm_(parameters: Iterable[torch.Tensor], max_norm: float) -> float:
    """Scale gradients in place so their global norm is at most max_norm.

    Args:
        parameters: tensors whose .grad is clipped (e.g. model.parameters()).  max_norm: > 0.
    Returns:
        The global norm before clipping, so callers can log how often clipping acted.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    params = [p for p in parameters if p.grad is not None]
    total = grad_norm(params)
    scale = max_norm / (total + _EPS)
    if scale < 1.0:
        for p in params:
            p.grad.detach().mul_(scale)
    return total
