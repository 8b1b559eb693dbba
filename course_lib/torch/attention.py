"""Attention over a padded memory as torch.nn modules: dot-product, general (Luong) and additive (Bahdanau).

    scores   e[n, t, s] = score(q[n, t], k[n, s])
    weights  a[n, t]    = softmax over s of e[n, t], masked      a[n, t, s] = 0 exactly where mask is False
    context  c[n, t]    = Σ_s a[n, t, s] v[n, s]

    DotProductAttention(scale)          e = scale · qᵀk      scale None: 1/√D, as scaled_dot_product_attention
    GeneralAttention(Dq, Dk)            e = qᵀ W k           weight (Dq, Dk)
    AdditiveAttention(Dq, Dk, A)        e = wᵀ tanh(W_q q + W_k k)   weight_query (A, Dq), weight_key (A, Dk),
                                                                   weight_score (A,)

forward(query, keys, values, mask=None) -> (context, weights), batch-first:
    query (N, Dq) for one decoder step, or (N, T, Dq);  keys (N, S, Dk);  values (N, S, Dv);
    mask (N, S) or (N, T, S) bool, True at real positions (torch's boolean attn_mask convention), None: all;
    context (N, Dv) or (N, T, Dv);  weights (N, S) or (N, T, S).
Parameter names are course_lib.numpy.attention's params keys: a state_dict copies to and from NumPy.
"""

import math

import torch
from torch import Tensor, nn

SCORES = ("dot", "general", "additive")


def masked_softmax(scores: Tensor, mask: Tensor | None = None) -> Tensor:
    """Softmax over the last axis with masked positions at exactly 0.

    Args:
        scores: (N, T, S).  mask: (N, S) or (N, T, S) bool, True at real positions, at least one per row.
    Returns:
        weights: (N, T, S).
    """
    if mask is None:
        return scores.softmax(dim=-1)
    mask = mask.unsqueeze(1) if mask.dim() == 2 else mask  # (N, 1 or T, S)
    return scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)  # exp(-inf) = 0 exactly


def check_attention_inputs(query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None,
                           query_size: int | None, key_size: int | None) -> Tensor:
    """Raise a ValueError naming the expected and received shape or dtype; return the query as (N, T, Dq).

    query_size, key_size: the sizes the module was built for (None: any).
    """
    if query.dim() not in (2, 3):
        raise ValueError(f"query: expected (N, Dq) or (N, T, Dq), got shape {tuple(query.shape)}")
    q = query.unsqueeze(1) if query.dim() == 2 else query  # (N, T, Dq)
    N, T, Dq = q.shape
    if query_size is not None and Dq != query_size:
        raise ValueError(f"query: expected last size Dq={query_size} (query_size), "
                         f"got shape {tuple(query.shape)}")
    Dk = key_size if key_size is not None else "Dk"
    if keys.dim() != 3 or keys.shape[0] != N or (key_size is not None and keys.shape[2] != key_size):
        raise ValueError(f"keys: expected (N, S, Dk) with N={N} from query and Dk={Dk}, "
                         f"got shape {tuple(keys.shape)}")
    S = keys.shape[1]
    if values.dim() != 3 or values.shape[:2] != (N, S):
        raise ValueError(f"values: expected (N, S, Dv) with N={N}, S={S} from keys, "
                         f"got shape {tuple(values.shape)}")
    for name, tensor in (("keys", keys), ("values", values)):
        if tensor.dtype != query.dtype:
            raise ValueError(f"{name}: expected dtype {query.dtype} (the query's), got {tensor.dtype}")
    if mask is not None:
        _check_mask(mask, N, T, S)
    return q


def _check_mask(mask: Tensor, N: int, T: int, S: int) -> None:
    """A bool (N, S) or (N, T, S) mask with at least one True position per query."""
    if mask.dtype != torch.bool:
        raise ValueError(f"mask: expected dtype torch.bool (True at real positions), got {mask.dtype}")
    if tuple(mask.shape) not in ((N, S), (N, T, S)):
        raise ValueError(f"mask: expected (N, S) or (N, T, S) with N={N}, T={T}, S={S}, "
                         f"got shape {tuple(mask.shape)}")
    if not mask.any(dim=-1).all():
        raise ValueError("mask: every query needs at least one True position, got a row of all False")


class _Attention(nn.Module):
    """Shared forward: check, score, masked softmax, weighted sum. Subclasses define score(q, keys)."""

    query_size: int | None = None
    key_size: int | None = None

    def score(self, query: Tensor, keys: Tensor) -> Tensor:  # (N, T, Dq), (N, S, Dk) -> (N, T, S)
        raise NotImplementedError

    def forward(self, query: Tensor, keys: Tensor, values: Tensor, mask: Tensor | None = None):
        """Context and weights; see the module docstring for shapes."""
        q = check_attention_inputs(query, keys, values, mask, self.query_size, self.key_size)
        weights = masked_softmax(self.score(q, keys), mask)  # (N, T, S)
        context = weights @ values  # (N, T, Dv)
        if query.dim() == 2:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class DotProductAttention(_Attention):
    """e = scale · qᵀk; scale None means 1/√D (Vaswani et al.), 1.0 is Luong's "dot". No parameters."""

    def __init__(self, scale: float | None = None):
        super().__init__()
        self.scale = scale

    def score(self, query, keys):
        if keys.shape[-1] != query.shape[-1]:
            raise ValueError(f"keys: expected last size Dk={query.shape[-1]} (= Dq, the query's) for a dot "
                             f"product, got shape {tuple(keys.shape)}")
        scale = 1.0 / math.sqrt(query.shape[-1]) if self.scale is None else self.scale
        return scale * (query @ keys.transpose(1, 2))  # (N, T, S)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class GeneralAttention(_Attention):
    """e = qᵀ W k (Luong's "general"); weight (Dq, Dk), initialised as nn.Linear(Dk, Dq)'s."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        self.query_size, self.key_size = query_size, key_size
        self.weight = nn.Parameter(torch.empty(query_size, key_size))
        bound = 1.0 / math.sqrt(key_size)
        nn.init.uniform_(self.weight, -bound, bound)

    def score(self, query, keys):
        return (query @ self.weight) @ keys.transpose(1, 2)  # (N, T, Dk) @ (N, Dk, S) -> (N, T, S)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}"


class AdditiveAttention(_Attention):
    """e = wᵀ tanh(W_q q + W_k k) (Bahdanau); each weight initialised uniform(±1/√fan_in), as nn.Linear."""

    def __init__(self, query_size: int, key_size: int, attn_size: int):
        super().__init__()
        self.query_size, self.key_size, self.attn_size = query_size, key_size, attn_size
        self.weight_query = nn.Parameter(torch.empty(attn_size, query_size))
        self.weight_key = nn.Parameter(torch.empty(attn_size, key_size))
        self.weight_score = nn.Parameter(torch.empty(attn_size))
        for weight, fan_in in ((self.weight_query, query_size), (self.weight_key, key_size),
                               (self.weight_score, attn_size)):
            nn.init.uniform_(weight, -1.0 / math.sqrt(fan_in), 1.0 / math.sqrt(fan_in))

    def score(self, query, keys):
        pq = query @ self.weight_query.T  # (N, T, A)
        pk = keys @ self.weight_key.T  # (N, S, A)
        z = torch.tanh(pq.unsqueeze(2) + pk.unsqueeze(1))  # (N, T, S, A)
        return z @ self.weight_score  # (N, T, S)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}, attn_size={self.attn_size}"


def make_attention(score: str, query_size: int, key_size: int, attn_size: int | None = None) -> _Attention:
    """The attention module for a score name: "dot" (scaled, needs query_size == key_size), "general",
    or "additive" (attn_size A; None means key_size)."""
    if score == "dot":
        if query_size != key_size:
            raise ValueError(f"dot attention needs query_size == key_size, got {query_size} and {key_size}")
        return DotProductAttention()
    if score == "general":
        return GeneralAttention(query_size, key_size)
    if score == "additive":
        return AdditiveAttention(query_size, key_size, attn_size if attn_size is not None else key_size)
    raise ValueError(f"score must be one of {SCORES}, got {score!r}")


class SelfAttention(nn.Module):
    """One self-attention layer: every position attends to every real position of the same sequence.

        q_t, k_t, v_t = W_q x_t + b_q, W_k x_t + b_k, W_v x_t + b_v
        y_t = W_o Σ_s a_ts v_s + b_o,   a_t = softmax over real s of q_tᵀ k_s / √H

    One head and no causal mask: the core of a transformer encoder layer (which adds several heads, a
    residual connection, layer normalisation and a position-wise feed-forward network).

    forward(x (N, T, D), mask (N, T) bool or None) -> (y (N, T, H), weights (N, T, T)).
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.query = nn.Linear(input_size, hidden_size)
        self.key = nn.Linear(input_size, hidden_size)
        self.value = nn.Linear(input_size, hidden_size)
        self.out = nn.Linear(hidden_size, hidden_size)
        self.attention = DotProductAttention()

    def forward(self, x: Tensor, mask: Tensor | None = None):
        if x.dim() != 3 or x.shape[-1] != self.query.in_features:
            D = self.query.in_features
            raise ValueError(f"x: expected (N, T, D) with D={D} (input_size), got shape {tuple(x.shape)}")
        context, weights = self.attention(self.query(x), self.key(x), self.value(x), mask)  # (N, T, H)
        return self.out(context), weights
