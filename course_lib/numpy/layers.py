"""The layers around the recurrence: embedding lookup, affine, and the same affine at every time step.

Weights use torch.nn's layout: Embedding weight (V, E), Linear weight (M, D) with out = x Wᵀ + b.
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._checks import check_shape, check_upstream, float_dtype


class EmbeddingCache(NamedTuple):
    idx: np.ndarray  # (...) the token ids that were looked up
    weight: np.ndarray  # (V, E)
    padding_idx: int | None


class AffineCache(NamedTuple):
    x: np.ndarray  # (N, D) or (N, T, D)
    weight: np.ndarray  # (M, D)


def embedding_forward(idx, weight, padding_idx=None):
    """Look up rows of an embedding table: out[n, t] = weight[idx[n, t]], as torch.nn.Embedding.

    Args:
        idx: (N, T) integer ids in [0, V) (any shape works; (N, w) for a window of w tokens).
        weight: (V, E). padding_idx: an id whose row receives no gradient (torch's padding_idx), or None.
    Returns:
        out: idx.shape + (E,).  cache: EmbeddingCache for embedding_backward.
    """
    weight = check_shape("weight", weight, ("V", "E"))
    idx = check_ids("idx", idx, weight.shape[0])
    return weight[idx], EmbeddingCache(idx, weight, padding_idx)


def embedding_backward(dout, cache):
    """Backward of embedding_forward; dout: idx.shape + (E,), upstream gradient of the looked-up rows.

    Returns:
        dweight: (V, E). Row v sums dout over every position whose id is v (np.add.at, because an id
        can occur many times in a batch); the padding row stays zero. idx gets no gradient.
    """
    V, E = cache.weight.shape
    dout = check_upstream("dout", dout, cache.idx.shape + (E,), cache.weight.dtype)
    dweight = np.zeros((V, E), dtype=dout.dtype)
    np.add.at(dweight, cache.idx.reshape(-1), dout.reshape(-1, E))
    if cache.padding_idx is not None:
        dweight[cache.padding_idx] = 0
    return dweight


def affine_forward(x, weight, bias):
    """out = x Wᵀ + b, as torch.nn.Linear.

    Args:
        x: (N, D). weight: (M, D). bias: (M,).
    Returns:
        out: (N, M).  cache: AffineCache for affine_backward.
    """
    weight, bias = _linear_params(weight, bias)
    x = check_shape("x", x, ("N", "D"), {"D": (weight.shape[1], "weight")})
    return x @ weight.T + bias, AffineCache(x, weight)


def affine_backward(dout, cache):
    """Backward of affine_forward; dout: (N, M), upstream gradient of out.

    Returns:
        dx: (N, D).  dweight: (M, D).  dbias: (M,).
    """
    return _linear_backward(dout, cache)


def temporal_affine_forward(x, weight, bias):
    """The same affine map at every time step: out[:, t] = x[:, t] Wᵀ + b (e.g. hidden states to logits).

    Args:
        x: (N, T, D). weight: (M, D). bias: (M,).
    Returns:
        out: (N, T, M).  cache: AffineCache for temporal_affine_backward.
    """
    weight, bias = _linear_params(weight, bias)
    x = check_shape("x", x, ("N", "T", "D"), {"D": (weight.shape[1], "weight")})
    return x @ weight.T + bias, AffineCache(x, weight)


def temporal_affine_backward(dout, cache):
    """Backward of temporal_affine_forward; dout: (N, T, M), upstream gradient of every step's output.

    Returns:
        dx: (N, T, D).  dweight: (M, D) and dbias: (M,), summed over batch and time.
    """
    return _linear_backward(dout, cache)


def check_ids(name, idx, V, source="weight"):
    """Integer ids in [0, V), as an ndarray; `source` is where V comes from, for the message."""
    idx = np.asarray(idx)
    if not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"{name}: expected integer token ids, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= V):
        got = f"[{idx.min()}, {idx.max()}]"
        raise ValueError(f"{name}: expected ids in [0, V) with V={V} from {source}, got values in {got}")
    return idx


def _linear_params(weight, bias):
    """Check weight (M, D) and bias (M,); return both as arrays."""
    weight = check_shape("weight", weight, ("M", "D"))
    return weight, check_shape("bias", bias, ("M",), {"M": (weight.shape[0], "weight")})


def _linear_backward(dout, cache):
    """Gradients of x Wᵀ + b for x of shape (..., D): dx (..., D), dW summed over every leading axis."""
    x, weight = cache.x, cache.weight
    M, D = weight.shape
    dtype = float_dtype(x, weight)
    dout = check_upstream("dout", dout, x.shape[:-1] + (M,), dtype)
    rows = dout.reshape(-1, M)  # (N*T, M)
    return dout @ weight, rows.T @ x.reshape(-1, D), rows.sum(axis=0)
