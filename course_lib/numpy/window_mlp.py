"""The fixed-window MLP language model (Bengio et al. 2003): the baseline of the window-vs-RNN lecture.

    e = [embedding[idx[:, 0]], ..., embedding[idx[:, w-1]]]      (N, w·E) concatenated embeddings
    h = tanh(e W_hiddenᵀ + b_hidden)                             (N, H)
    logits = h W_outᵀ + b_out                                    (N, V)

The first layer alone has w·E·H weights, which is the lecture's point: a window of 100 words of
100-dimensional embeddings into 100 hidden units is already a million weights, and it grows with w.
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._checks import check_sizes
from course_lib.numpy.init import xavier_uniform
from course_lib.numpy.layers import (
    AffineCache,
    EmbeddingCache,
    affine_backward,
    affine_forward,
    embedding_backward,
    embedding_forward,
)

WINDOW_MLP_KEYS = ("embedding", "weight_hidden", "bias_hidden", "weight_out", "bias_out")


class WindowMLPCache(NamedTuple):
    embedding: EmbeddingCache
    hidden: AffineCache
    h: np.ndarray  # (N, H) tanh activations
    out: AffineCache


def init_window_mlp_params(V, E, window, H, rng, dtype=np.float64):
    """Params for window_mlp_forward: embedding (V, E) ~ N(0, 1) as torch.nn.Embedding, Glorot weights
    weight_hidden (H, window·E) and weight_out (V, H), zero biases bias_hidden (H,) and bias_out (V,)."""
    check_sizes(V=V, E=E, window=window, H=H)
    return {
        "embedding": rng.standard_normal((V, E)).astype(dtype),
        "weight_hidden": xavier_uniform((H, window * E), rng, gain=5 / 3, dtype=dtype),  # 5/3: tanh's gain
        "bias_hidden": np.zeros(H, dtype=dtype),
        "weight_out": xavier_uniform((V, H), rng, dtype=dtype),
        "bias_out": np.zeros(V, dtype=dtype),
    }


def window_mlp_forward(idx, params):
    """Next-token logits from the previous w tokens.

    Args:
        idx: (N, w) integer token ids, oldest first. params: embedding (V, E), weight_hidden (H, w·E),
            bias_hidden (H,), weight_out (V, H), bias_out (V,).
    Returns:
        logits: (N, V).  cache: WindowMLPCache for window_mlp_backward.
    """
    missing = [key for key in WINDOW_MLP_KEYS if key not in params]
    if missing:
        raise ValueError(f"params: missing keys {missing}; a window MLP needs {', '.join(WINDOW_MLP_KEYS)}")
    idx = np.asarray(idx)
    if idx.ndim != 2:
        raise ValueError(f"idx: expected (N, w) token ids, got shape {idx.shape}")
    emb, emb_cache = embedding_forward(idx, params["embedding"])  # (N, w, E)
    e = emb.reshape(len(idx), -1)  # (N, w·E) the window's embeddings side by side
    a, hidden_cache = affine_forward(e, params["weight_hidden"], params["bias_hidden"])  # (N, H)
    h = np.tanh(a)
    logits, out_cache = affine_forward(h, params["weight_out"], params["bias_out"])  # (N, V)
    return logits, WindowMLPCache(emb_cache, hidden_cache, h, out_cache)


def window_mlp_backward(dlogits, cache):
    """Backward of window_mlp_forward; dlogits: (N, V), upstream gradient of the logits.

    Returns:
        grads: dict keyed and shaped like params (token ids get no gradient).
    """
    dh, dW_out, db_out = affine_backward(dlogits, cache.out)  # (N, H)
    da = dh * (1 - cache.h**2)  # through tanh
    de, dW_hidden, db_hidden = affine_backward(da, cache.hidden)  # (N, w·E)
    demb = de.reshape(cache.embedding.idx.shape + (-1,))  # (N, w, E)
    return {
        "embedding": embedding_backward(demb, cache.embedding),
        "weight_hidden": dW_hidden,
        "bias_hidden": db_hidden,
        "weight_out": dW_out,
        "bias_out": db_out,
    }
