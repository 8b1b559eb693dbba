"""Attention over a padded memory in NumPy, forward and backward by hand.

    scores   e[n, t, s] = score(q[n, t], k[n, s])              one per (query, key) pair
    weights  a[n, t]    = softmax over s of e[n, t], masked      a[n, t, s] = 0 exactly where mask is False
    context  c[n, t]    = Σ_s a[n, t, s] v[n, s]

Three score functions, each an op pair of its own:
    dot       e = scale · qᵀk                      scale None: 1/√D (scaled dot product); 1.0: Luong's "dot"
    general   e = qᵀ W k                           W (Dq, Dk)                       (Luong et al., 2015)
    additive  e = wᵀ tanh(W_q q + W_k k)           W_q (A, Dq), W_k (A, Dk), w (A,)  (Bahdanau et al., 2014)

Shapes: query (N, T, Dq), T queries per example (a decoder step is T = 1; attention_forward also takes
(N, Dq)); keys (N, S, Dk) and values (N, S, Dv), the encoder outputs, right-padded to S; mask (N, S) or
(N, T, S), True at real positions (torch's boolean attn_mask convention). Parameter names are those of
course_lib.torch.attention's modules, so a state_dict copies straight into the params dict.
"""

from typing import NamedTuple

import numpy as np

from course_lib.numpy._checks import check_shape, check_upstream, float_dtype

SCORES = ("dot", "general", "additive")


class MaskedSoftmaxCache(NamedTuple):
    weights: np.ndarray  # (N, T, S), exactly 0 at masked positions


class DotScoresCache(NamedTuple):
    query: np.ndarray  # (N, T, D)
    keys: np.ndarray  # (N, S, D)
    scale: float


class GeneralScoresCache(NamedTuple):
    query: np.ndarray  # (N, T, Dq)
    keys: np.ndarray  # (N, S, Dk)
    qw: np.ndarray  # (N, T, Dk) query @ W
    params: dict


class AdditiveScoresCache(NamedTuple):
    query: np.ndarray  # (N, T, Dq)
    keys: np.ndarray  # (N, S, Dk)
    z: np.ndarray  # (N, T, S, A) tanh(W_q q + W_k k)
    params: dict


class AttentionCache(NamedTuple):
    score: str  # "dot", "general" or "additive"
    scores: NamedTuple  # the score function's cache
    weights: np.ndarray  # (N, T, S) attention weights, rows sum to 1
    values: np.ndarray  # (N, S, Dv)
    single: bool  # True when the query was (N, Dq): context and dquery drop the T axis


def masked_softmax_forward(scores, mask=None):
    """Softmax over the last axis that ignores masked positions: they get weight exactly 0.

    a[..., s] = exp(e_s - m) / Σ_{s' real} exp(e_s' - m),  m = max over real s;  a[..., s] = 0 where masked.

    Args:
        scores: (N, T, S).  mask: (N, S) or (N, T, S) bool, True at real positions, at least one per row;
            None means all real.
    Returns:
        weights: (N, T, S).  cache: MaskedSoftmaxCache for masked_softmax_backward.
    """
    scores = check_shape("scores", scores, ("N", "T", "S"))
    N, T, S = scores.shape
    mask = check_mask(mask, N, T, S)  # (N, T, S) bool
    masked = np.where(mask, scores, -np.inf)  # exp(-inf) = 0 exactly
    shifted = masked - masked.max(axis=-1, keepdims=True)  # every row has a real entry: finite max
    e = np.exp(shifted)
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights, MaskedSoftmaxCache(weights)


def masked_softmax_backward(dweights, cache):
    """Backward of masked_softmax_forward: de_s = a_s (da_s - Σ_s' a_s' da_s').

    Args:
        dweights: (N, T, S), upstream gradient with respect to the weights.
    Returns:
        dscores: (N, T, S), exactly 0 at masked positions (their weight is 0).
    """
    a = cache.weights
    da = check_upstream("dweights", dweights, a.shape, a.dtype)
    return a * (da - np.sum(a * da, axis=-1, keepdims=True))


def dot_scores_forward(query, keys, scale=None):
    """e = scale · q kᵀ for every (query, key) pair.

    Args:
        query: (N, T, D).  keys: (N, S, D).  scale: a float; None means 1/√D.
    Returns:
        scores: (N, T, S).  cache: DotScoresCache for dot_scores_backward.
    """
    query, keys, dtype = _score_inputs(query, keys, same_size=True)
    scale = float(1.0 / np.sqrt(query.shape[-1]) if scale is None else scale)  # a Python float keeps float32
    scores = scale * (query @ np.swapaxes(keys, 1, 2))  # (N, T, S)
    return scores, DotScoresCache(query, keys, scale)


def dot_scores_backward(dscores, cache):
    """Backward of dot_scores_forward. dscores: (N, T, S). Returns dquery (N, T, D), dkeys (N, S, D)."""
    q, k = cache.query, cache.keys
    de = check_upstream("dscores", dscores, (q.shape[0], q.shape[1], k.shape[1]), q.dtype)
    dquery = cache.scale * (de @ k)  # (N, T, D)
    dkeys = cache.scale * (np.swapaxes(de, 1, 2) @ q)  # (N, S, D)
    return dquery, dkeys


def general_scores_forward(query, keys, params):
    """e = qᵀ W k (Luong's "general" score), computed as (q W) kᵀ.

    Args:
        query: (N, T, Dq).  keys: (N, S, Dk).  params: {"weight": (Dq, Dk)}.
    Returns:
        scores: (N, T, S).  cache: GeneralScoresCache for general_scores_backward.
    """
    query, keys, dtype = _score_inputs(query, keys, params)
    W = _param(params, "weight", ("Dq", "Dk"), query, keys).astype(dtype, copy=False)
    qw = query @ W  # (N, T, Dk)
    scores = qw @ np.swapaxes(keys, 1, 2)  # (N, T, S)
    return scores, GeneralScoresCache(query, keys, qw, params)


def general_scores_backward(dscores, cache):
    """Backward of general_scores_forward. dscores: (N, T, S).

    Returns:
        dquery: (N, T, Dq).  dkeys: (N, S, Dk).  grads: {"weight": (Dq, Dk)}.
    """
    q, k, qw = cache.query, cache.keys, cache.qw
    de = check_upstream("dscores", dscores, (q.shape[0], q.shape[1], k.shape[1]), q.dtype)
    W = cache.params["weight"].astype(q.dtype, copy=False)
    dqw = de @ k  # (N, T, Dk)
    dkeys = np.swapaxes(de, 1, 2) @ qw  # (N, S, Dk)
    dW = np.einsum("ntq,ntk->qk", q, dqw)  # (Dq, Dk)
    return dqw @ W.T, dkeys, {"weight": dW}


def additive_scores_forward(query, keys, params):
    """e = wᵀ tanh(W_q q + W_k k) (Bahdanau's additive score), for every (query, key) pair.

    Args:
        query: (N, T, Dq).  keys: (N, S, Dk).
        params: weight_query (A, Dq), weight_key (A, Dk), weight_score (A,).
    Returns:
        scores: (N, T, S).  cache: AdditiveScoresCache for additive_scores_backward.
    """
    query, keys, dtype = _score_inputs(query, keys, params)
    Wq = _param(params, "weight_query", ("A", "Dq"), query, keys).astype(dtype, copy=False)
    A = Wq.shape[0]
    Wk = _param(params, "weight_key", ("A", "Dk"), query, keys, A).astype(dtype, copy=False)
    w = _param(params, "weight_score", ("A",), query, keys, A).astype(dtype, copy=False)
    pq = query @ Wq.T  # (N, T, A)
    pk = keys @ Wk.T  # (N, S, A)
    z = np.tanh(pq[:, :, None, :] + pk[:, None, :, :])  # (N, T, S, A)
    return z @ w, AdditiveScoresCache(query, keys, z, params)  # scores (N, T, S)


def additive_scores_backward(dscores, cache):
    """Backward of additive_scores_forward. dscores: (N, T, S).

    Returns:
        dquery: (N, T, Dq).  dkeys: (N, S, Dk).  grads: weight_query, weight_key, weight_score.
    """
    q, k, z = cache.query, cache.keys, cache.z
    de = check_upstream("dscores", dscores, z.shape[:3], z.dtype)
    w = cache.params["weight_score"].astype(z.dtype, copy=False)
    da = de[..., None] * w * (1 - z * z)  # (N, T, S, A) gradient at W_q q + W_k k
    dpq, dpk = da.sum(axis=2), da.sum(axis=1)  # (N, T, A), (N, S, A)
    grads = {
        "weight_query": np.einsum("nta,ntd->ad", dpq, q),
        "weight_key": np.einsum("nsa,nsd->ad", dpk, k),
        "weight_score": np.einsum("nts,ntsa->a", de, z),
    }
    Wq = cache.params["weight_query"].astype(z.dtype, copy=False)
    Wk = cache.params["weight_key"].astype(z.dtype, copy=False)
    return dpq @ Wq, dpk @ Wk, grads


def attention_forward(query, keys, values, mask=None, params=None, score="dot", scale=None):
    """Attention of each query over the real positions of the memory: scores, masked softmax, weighted sum.

    c = Σ_s a_s v_s,   a = masked_softmax(score(q, k)).

    Args:
        query: (N, T, Dq), or (N, Dq) for one query per example.  keys: (N, S, Dk).  values: (N, S, Dv).
        mask: (N, S) or (N, T, S) bool, True at real positions; None means all real.
        params: for "general" {"weight"}, for "additive" {"weight_query", "weight_key", "weight_score"};
            None for "dot".  score: "dot", "general" or "additive".  scale: for "dot" only (None: 1/√D).
    Returns:
        context: (N, T, Dv), or (N, Dv) for a 2-D query.  cache: AttentionCache; cache.weights (N, T, S)
        holds the attention weights.
    """
    if score not in SCORES:
        raise ValueError(f"score: expected one of {SCORES}, got {score!r}")
    if score != "dot" and scale is not None:
        raise ValueError(f"scale: only the 'dot' score takes one, got scale={scale!r} for score={score!r}")
    if np.ndim(query) not in (2, 3):
        raise ValueError(f"query: expected (N, T, Dq) or (N, Dq), got shape {np.shape(query)}")
    single = np.ndim(query) == 2
    query = np.asarray(query)[:, None] if single else query  # (N, T, Dq)
    if score == "dot":
        scores, score_cache = dot_scores_forward(query, keys, scale)
    else:
        forward = general_scores_forward if score == "general" else additive_scores_forward
        scores, score_cache = forward(query, keys, params)
    N, T, S = scores.shape
    values = check_shape("values", values, ("N", "S", "Dv"), {"N": (N, "query"), "S": (S, "keys")})
    weights, _ = masked_softmax_forward(scores, mask)
    context = weights @ values.astype(weights.dtype, copy=False)  # (N, T, Dv)
    cache = AttentionCache(score, score_cache, weights, values, single)
    return (context[:, 0] if single else context), cache


def attention_backward(dcontext, cache):
    """Backward of attention_forward.

    Args:
        dcontext: (N, T, Dv), or (N, Dv) for a 2-D query: upstream gradient with respect to the context.
    Returns:
        dquery: shaped like the query.  dkeys: (N, S, Dk).  dvalues: (N, S, Dv).
        grads: dict keyed like params ({} for "dot"). When keys and values are the same array (the encoder
        outputs), its gradient is dkeys + dvalues.
    """
    a, v = cache.weights, cache.values
    N, T, S = a.shape
    shape = (N, v.shape[-1]) if cache.single else (N, T, v.shape[-1])
    dc = check_upstream("dcontext", dcontext, shape, a.dtype).reshape(N, T, -1)  # (N, T, Dv)
    da = dc @ np.swapaxes(v, 1, 2).astype(a.dtype, copy=False)  # (N, T, S)
    dvalues = np.swapaxes(a, 1, 2) @ dc  # (N, S, Dv)
    dscores = masked_softmax_backward(da, MaskedSoftmaxCache(a))
    if cache.score == "dot":
        dquery, dkeys = dot_scores_backward(dscores, cache.scores)
        grads = {}
    else:
        backward = general_scores_backward if cache.score == "general" else additive_scores_backward
        dquery, dkeys, grads = backward(dscores, cache.scores)
    return (dquery[:, 0] if cache.single else dquery), dkeys, dvalues, grads


def check_mask(mask, N, T, S):
    """A boolean mask (N, S) or (N, T, S), True at real positions, as (N, T, S); None means all real.

    Every query needs at least one real position, else its softmax would divide by zero.
    """
    if mask is None:
        return np.ones((N, T, S), dtype=bool)
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise ValueError(f"mask: expected dtype bool (True at real positions), got {mask.dtype}")
    if mask.shape not in ((N, S), (N, T, S)):
        raise ValueError(f"mask: expected (N, S) or (N, T, S) with N={N}, T={T}, S={S} from the scores, "
                         f"got shape {mask.shape}")
    mask = np.broadcast_to(mask[:, None, :] if mask.ndim == 2 else mask, (N, T, S))
    empty = np.argwhere(~mask.any(axis=-1))
    if len(empty):
        raise ValueError(f"mask: every query needs at least one True position, got none for (n, t) = "
                         f"{tuple(int(i) for i in empty[0])}")
    return mask


def _score_inputs(query, keys, params=None, same_size=False):
    """Validate query (N, T, Dq) and keys (N, S, Dk) (Dk = Dq when same_size); return them and the dtype."""
    query = check_shape("query", query, ("N", "T", "Dq"))
    N, _, Dq = query.shape
    known = {"N": (N, "query")}
    if same_size:
        known["Dk"] = (Dq, "query")
    keys = check_shape("keys", keys, ("N", "S", "Dk"), known)
    if params is not None and not isinstance(params, dict):
        raise ValueError(f"params: expected a dict of weights, got {type(params).__name__}")
    dtype = float_dtype(query, keys, *(params or {}).values())
    return query.astype(dtype, copy=False), keys.astype(dtype, copy=False), dtype


def _param(params, name, dims, query, keys, A=None):
    """params[name], checked against Dq from the query, Dk from the keys and A from weight_query."""
    if params is None or name not in params:
        raise ValueError(f"params: missing key {name!r}; got keys {sorted(params or {})}")
    known = {"Dq": (query.shape[-1], "query"), "Dk": (keys.shape[-1], "keys")}
    if A is not None:
        known["A"] = (A, "weight_query")
    return check_shape(name, params[name], dims, known)
