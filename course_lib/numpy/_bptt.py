"""Pieces shared by the optimized sequence functions: time-major layout and the batched gradient matmuls.

The sequence functions store every per-step array time-major, (T, N, ...), so that the slice of one step
is contiguous; what they return is batch-major again.
"""

import numpy as np


def time_major(x, dtype):
    """(N, T, ...) -> contiguous (T, N, ...) in `dtype`: a copy, or a view when N or T is 1 (only read)."""
    return np.ascontiguousarray(np.swapaxes(x, 0, 1), dtype=dtype)


def batch_major(x):
    """(T, N, ...) -> a contiguous (N, T, ...) copy."""
    return np.ascontiguousarray(np.swapaxes(x, 0, 1))


def input_projection(x_tm, weight, bias):
    """x_tm (T, N, D) @ weightᵀ (D, G*H) + bias for every step at once, as one matmul -> (T, N, G*H)."""
    T, N, D = x_tm.shape
    a = x_tm.reshape(T * N, D) @ weight.T.astype(x_tm.dtype, copy=False)  # (T*N, G*H)
    a += bias
    return a.reshape(T, N, -1)


def input_grad(da, weight):
    """dx (N, T, D) from da (T, N, G*H), the gradients at the input projection, and weight (G*H, D)."""
    T, N, _ = da.shape
    dx = da.reshape(T * N, -1) @ weight.astype(da.dtype, copy=False)  # (T*N, D)
    return batch_major(dx.reshape(T, N, -1))


def cell_grads(da_ih, x, da_hh, h_prev):
    """The grads dict of a cell, summed over every leading axis (batch, and time for a sequence).

    da_ih: (..., G*H) gradient at x W_ihᵀ + b_ih.  x: (..., D).
    da_hh: (..., G*H) gradient at h_prev W_hhᵀ + b_hh (the same array as da_ih for the RNN and LSTM).
    h_prev: (..., H) the state each step received.
    Each weight gradient is one matmul over all rows: (G*H, rows) @ (rows, D or H).
    """
    db_ih = _rows(da_ih).sum(axis=0)  # (G*H,)
    return {
        "weight_ih": _rows(da_ih).T @ _rows(x),  # (G*H, D)
        "weight_hh": _rows(da_hh).T @ _rows(h_prev),  # (G*H, H)
        "bias_ih": db_ih,
        "bias_hh": db_ih.copy() if da_hh is da_ih else _rows(da_hh).sum(axis=0),  # (G*H,)
    }


def _rows(a):
    """(..., K) -> (rows, K)."""
    return a.reshape(-1, a.shape[-1])
