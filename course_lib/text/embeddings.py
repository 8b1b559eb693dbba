"""Looking inside an embedding table: cosine nearest neighbours and a 2-D PCA projection.

Both take a plain (V, E) NumPy array (for a torch model: `model.embedding.weight.detach().numpy()`).
"""

from typing import NamedTuple

import numpy as np


def _unit_rows(x):
    """Rows scaled to unit L2 norm; all-zero rows stay zero (their cosine similarity is 0).

    Each row is first divided by its largest absolute entry, so that squaring neither underflows
    (entries near 1e-160 would square to subnormals and lose digits) nor overflows (near 1e160).
    """
    largest = np.max(np.abs(x), axis=-1, keepdims=True, initial=0.0)
    x = x / np.where(largest == 0, 1.0, largest)  # entries in [-1, 1], the largest of each row ±1
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def cosine_similarity(a, b):
    """cos(a_i, b_j) = a_i·b_j / (‖a_i‖ ‖b_j‖), with 0 for zero vectors.

    Args:
        a: (M, E). b: (K, E).
    Returns:
        (M, K) similarities in [-1, 1].
    """
    a, b = np.atleast_2d(np.asarray(a, dtype=np.float64)), np.atleast_2d(np.asarray(b, dtype=np.float64))
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"expected vectors of one size, got {a.shape[-1]} and {b.shape[-1]}")
    return _unit_rows(a) @ _unit_rows(b).T


def nearest_neighbours(embeddings, queries, k=5, exclude_self=True, exclude=()):
    """The k rows of `embeddings` most cosine-similar to each query.

    Integer queries are ids (rows of `embeddings`); float queries are vectors (for analogies such as
    king - man + woman; pass the three ids in `exclude` to leave them out, as gensim does).

    Args:
        embeddings: (V, E).
        queries: an id, (Q,) ids, an (E,) vector or (Q, E) vectors.
        k: neighbours per query. exclude_self: leave out each id query itself (ignored for vectors).
        exclude: ids never returned.
    Returns:
        (ids, similarities): (k,) each for a single query, (Q, k) for a batch; most similar first,
        ties in ascending id order.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    if embeddings.ndim != 2:
        raise ValueError(f"expected embeddings of shape (V, E), got shape {embeddings.shape}")
    V = len(embeddings)
    vectors, ids, single = _query_vectors(embeddings, queries)  # (Q, E), (Q,) or None
    similarities = cosine_similarity(vectors, embeddings)  # (Q, V)
    allowed = np.ones_like(similarities, dtype=bool)  # (Q, V)
    allowed[:, list(exclude)] = False
    if ids is not None and exclude_self:
        allowed[np.arange(len(ids)), ids] = False
    candidates = int(allowed.sum(axis=1).min(initial=V))  # fewest candidates over the queries
    if k < 0 or k > candidates:
        raise ValueError(f"expected 0 <= k <= {candidates} (the candidates left), got k={k}")
    ranked = np.where(allowed, similarities, -np.inf)
    order = np.argsort(-ranked, axis=1, kind="stable")[:, :k]  # (Q, k); stable: ties by ascending id
    top = np.take_along_axis(similarities, order, axis=1)  # (Q, k)
    return (order[0], top[0]) if single else (order, top)


def _query_vectors(embeddings, queries):
    """(vectors (Q, E), ids (Q,) or None for vector queries, whether a single query was given)."""
    V, E = embeddings.shape
    queries = np.asarray(queries)
    by_id = queries.dtype.kind in "iu"
    if (by_id and queries.ndim > 1) or (not by_id and queries.dtype.kind != "f"):
        raise ValueError(
            f"expected integer ids (Q,) or float vectors (Q, {E}), got {queries.dtype} {queries.shape}"
        )
    if not by_id:
        return np.atleast_2d(queries), None, queries.ndim == 1
    ids = np.atleast_1d(queries)  # (Q,)
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"expected query ids in [0, {V}), got {ids.tolist()}")
    return embeddings[ids], ids, queries.ndim == 0


def nearest_tokens(vocab, embeddings, token, k=5):
    """[(token, similarity), ...] for the k nearest neighbours of `token` (excluding itself)."""
    ids, similarities = nearest_neighbours(embeddings, vocab.token_to_id(token), k)
    return [(vocab.id_to_token(i), float(s)) for i, s in zip(ids, similarities, strict=True)]


class PCAResult(NamedTuple):
    """projected (V, n): coordinates; components (n, E): unit axes; explained_variance_ratio (n,);
    mean (E,): subtracted before projecting."""

    projected: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    mean: np.ndarray


def pca(x, n_components=2):
    """Principal components via the SVD of the centred data, with scikit-learn's sign convention.

    x - mean = U S Wᵀ;  projected = (x - mean) W[:, :n];  ratio_i = S_i² / Σ S².
    Signs are fixed so the largest-magnitude entry of each component is positive (deterministic).

    Args:
        x: (V, E) with V >= 1. n_components: n <= min(V, E).
    Returns:
        PCAResult(projected (V, n), components (n, E), explained_variance_ratio (n,), mean (E,)).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or not 1 <= n_components <= min(x.shape):
        raise ValueError(f"expected x (V, E) with min(V, E) >= n_components={n_components}, got {x.shape}")
    mean = x.mean(axis=0)  # (E,)
    _, singular_values, components = np.linalg.svd(x - mean, full_matrices=False)  # (r,), (r, E)
    components = components[:n_components]  # (n, E)
    signs = np.sign(components[np.arange(n_components), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    variance = singular_values**2
    total = variance.sum()
    ratio = variance[:n_components] / total if total > 0 else np.zeros(n_components)
    return PCAResult((x - mean) @ components.T, components, ratio, mean)


def project_2d(embeddings):
    """(V, E) -> (V, 2) PCA coordinates, ready for a scatter plot."""
    return pca(embeddings, 2).projected
