"""Tolerances for comparing our implementations with references, keyed by dtype.

Every test and notebook check takes its tolerance from here; none is written inline.
Values are (rtol, atol) pairs, used as |actual - expected| <= atol + rtol * |expected|.
"""

from typing import NamedTuple

import numpy as np


class Tol(NamedTuple):
    rtol: float
    atol: float


# Forward values against a reference implementation (torch.nn or torch autograd).
FORWARD = {
    np.dtype(np.float64): Tol(1e-7, 1e-7),
    # float32 over a whole sequence: rounding accumulates through the recurrence.
    np.dtype(np.float32): Tol(1e-3, 1e-6),
}

# Gradients against a reference implementation.
GRADIENT = {
    np.dtype(np.float64): Tol(1e-7, 1e-7),
    np.dtype(np.float32): Tol(1e-3, 1e-4),
}

# Our torch modules against torch.nn in float64 (the contract: within 1e-9).
TORCH_FLOAT64 = Tol(1e-9, 1e-9)

# Central finite differences (float64 only): step and the largest accepted relative error.
FD_EPS = 1e-6
FD_MAX_REL_ERROR = 1e-6


def forward_tol(dtype) -> Tol:
    """Tolerance for forward values of the given dtype (float32 or float64)."""
    return _lookup(FORWARD, dtype)


def gradient_tol(dtype) -> Tol:
    """Tolerance for gradients of the given dtype (float32 or float64)."""
    return _lookup(GRADIENT, dtype)


def _lookup(table, dtype) -> Tol:
    try:
        key = np.dtype(dtype)  # NumPy dtypes, scalar types and names ("float32")
    except TypeError:
        key = np.dtype(str(dtype).replace("torch.", ""))  # torch.float32 -> "float32"
    if key not in table:
        raise ValueError(f"no tolerance for dtype {dtype}; expected one of {sorted(map(str, table))}")
    return table[key]
