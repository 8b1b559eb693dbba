"""Finite-difference checks of hand-written backward passes (float64 only).

    numerical_gradient   element-wise central differences, for small shapes (CS231n)
    check_vjp            one random direction, ⟨u, J v⟩ against ⟨Jᵀu, v⟩, for long sequences (HIPS/autograd)
    rel_error            the error measure both are judged by, against FD_MAX_REL_ERROR

Every helper works on a float64 copy of its input (float32 differences are too coarse to check
anything), and `f` always receives the perturbed array itself: f must compute from its argument alone.
"""

from typing import NamedTuple

import numpy as np

from course_lib.check.tolerances import FD_EPS


class VJPCheck(NamedTuple):
    analytic: float  # ⟨vjp(u), v⟩ from the backward pass
    numeric: float  # ⟨u, (f(x + εv) - f(x - εv)) / 2ε⟩
    rel_error: float  # rel_error(analytic, numeric)


def numerical_gradient(f, x, df=None, eps=FD_EPS):
    """Central differences: the gradient of Σ df ⊙ f(x) with respect to x.

    Args:
        f: maps an array shaped like x to an array (or a scalar).
        x: the point, any real array; a float64 copy is perturbed, x itself is never modified.
        df: upstream gradient shaped like f(x); None means ones (the gradient of Σ f(x)).
        eps: the step; each entry costs two calls of f.
    Returns:
        grad: float64 array shaped like x, grad[i] = Σ df ⊙ (f(x + ε e_i) - f(x - ε e_i)) / 2ε.
    """
    x = np.array(x, dtype=np.float64)  # a copy
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[i] += eps
        x_minus[i] -= eps
        diff = np.asarray(f(x_plus), dtype=np.float64) - np.asarray(f(x_minus), dtype=np.float64)
        grad[i] = np.sum(diff if df is None else diff * df) / (2 * eps)
    return grad


def rel_error(a, b):
    """max |a - b| / max(|a| + |b|): the largest difference relative to the largest magnitude.

    Scaling by the largest entry rather than entry by entry (CS231n's form) keeps gradient entries
    near zero, where a finite difference has only absolute accuracy, from failing a correct backward.
    Returns 0.0 when both are all zeros.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: expected equal shapes, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = np.max(np.abs(a) + np.abs(b))
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else 0.0


def check_vjp(f, x, vjp, rng, eps=FD_EPS):
    """Check a backward pass along one random direction, at the cost of two calls of f.

    With random u (shaped like f(x)) and a random unit direction v (shaped like x), the backward pass
    must satisfy ⟨vjp(u), v⟩ = ⟨u, J v⟩, and J v is a central difference along v.

    Args:
        f: maps an array shaped like x to an array. x: any real array; a float64 copy is used.
        vjp: maps u to the gradient of ⟨u, f(x)⟩ with respect to x (the backward pass with dout = u).
        rng: np.random.Generator for u and v.
    Returns:
        VJPCheck(analytic, numeric, rel_error); its repr prints both values.
    """
    x = np.array(x, dtype=np.float64)  # a copy
    u = rng.standard_normal(np.shape(f(x.copy())))
    v = rng.standard_normal(x.shape)
    v /= np.linalg.norm(v)
    jv = (np.asarray(f(x + eps * v), np.float64) - np.asarray(f(x - eps * v), np.float64)) / (2 * eps)
    analytic, numeric = float(np.sum(np.asarray(vjp(u), np.float64) * v)), float(np.sum(u * jv))
    return VJPCheck(analytic, numeric, rel_error(analytic, numeric))
