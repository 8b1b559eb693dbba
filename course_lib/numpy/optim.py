"""Optimisers with state, and gradient clipping, following torch.optim's update rules exactly.

Every optimiser's step(params, grads) updates the arrays of `params` IN PLACE, as torch.optim does, and
returns None: anything holding a reference to a parameter array (a cache, a notebook variable) sees the
new values. Only the keys present in `grads` are updated. State (velocities, moment estimates) lives
in the optimiser, keyed by parameter name, and is created on the first step.
The clipping functions do the opposite: they never modify their input and return new arrays.
"""

from abc import ABC, abstractmethod

import numpy as np


class Optimizer(ABC):
    """Base class: subclasses define _update(key, grad), the amount to subtract from params[key]."""

    def __init__(self, lr):
        if not lr > 0:
            raise ValueError(f"lr: expected a positive learning rate, got {lr!r}")
        self.lr = lr
        self.state = {}  # per-parameter state, keyed like params

    def step(self, params, grads):
        """params[key] -= update(grads[key]) in place for every key of grads; returns None."""
        for key, grad in grads.items():
            if key not in params:
                raise ValueError(f"grads: key {key!r} is not in params (keys {sorted(params)})")
            grad, shape = np.asarray(grad), np.shape(params[key])
            if grad.shape != shape:
                message = f"grads[{key!r}]: expected shape {shape} from params, got shape {grad.shape}"
                raise ValueError(message)
            params[key] -= self._update(key, grad)

    @abstractmethod
    def _update(self, key, grad):
        """The amount to subtract from params[key], given its gradient; may update self.state[key]."""


class SGD(Optimizer):
    """θ ← θ - lr·g."""

    def _update(self, key, grad):
        return self.lr * grad


class Momentum(Optimizer):
    """SGD with momentum, torch's form (dampening 0): v ← μ·v + g (v = g on the first step), θ ← θ - lr·v.

    With nesterov=True the step is lr·(g + μ·v) (Sutskever et al. 2013, as torch computes it).
    """

    def __init__(self, lr, momentum=0.9, nesterov=False):
        super().__init__(lr)
        self.momentum, self.nesterov = momentum, nesterov

    def _update(self, key, grad):
        v = self.state.get(key)
        v = grad.copy() if v is None else self.momentum * v + grad
        self.state[key] = v
        return self.lr * (grad + self.momentum * v if self.nesterov else v)


class Adagrad(Optimizer):
    """Duchi et al. (2011): s ← s + g², θ ← θ - lr·g / (√s + ε); a weight's steps shrink with its history."""

    def __init__(self, lr=1e-2, eps=1e-10):
        super().__init__(lr)
        self.eps = eps

    def _update(self, key, grad):
        s = self.state.get(key, 0) + grad * grad
        self.state[key] = s
        return self.lr * grad / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Kingma & Ba (2015), as torch.optim.Adam (no weight decay):

    m ← β₁m + (1-β₁)g,  v ← β₂v + (1-β₂)g²,  θ ← θ - lr · (m / (1-β₁ᵗ)) / (√(v / (1-β₂ᵗ)) + ε)
    where t counts the steps of each parameter.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(lr)
        self.betas, self.eps = betas, eps

    def _update(self, key, grad):
        beta1, beta2 = self.betas
        t, m, v = self.state.get(key, (0, 0, 0))
        t, m, v = t + 1, beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad * grad
        self.state[key] = (t, m, v)
        denom = np.sqrt(v) / np.sqrt(1 - beta2**t) + self.eps
        return (self.lr / (1 - beta1**t)) * m / denom


def global_norm(grads):
    """‖g‖₂ over every array of a grads dict together, as one long vector; a float."""
    return float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values())))


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together so that their global norm is at most max_norm (Pascanu et al. 2013).

    Every array is multiplied by min(1, max_norm / (‖g‖ + 1e-6)), as torch.nn.utils.clip_grad_norm_
    (the 1e-6 included), so the direction of the update is kept.
    Returns:
        clipped: a new dict, same keys, shapes and dtypes.  norm: the global norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm: expected a positive number, got {max_norm!r}")
    norm = global_norm(grads)
    scale = min(1.0, max_norm / (norm + 1e-6))
    return {key: np.asarray(g) * scale for key, g in grads.items()}, norm  # a Python float keeps the dtype


def clip_grad_value(grads, clip_value):
    """Clamp every gradient entry into [-clip_value, clip_value], as torch.nn.utils.clip_grad_value_.

    Unlike clip_grad_norm this can change the direction of the update.
    Returns:
        clipped: a new dict, same keys, shapes and dtypes.  norm: the global norm before clipping.
    """
    if not clip_value > 0:
        raise ValueError(f"clip_value: expected a positive number, got {clip_value!r}")
    return {key: np.clip(g, -clip_value, clip_value) for key, g in grads.items()}, global_norm(grads)
