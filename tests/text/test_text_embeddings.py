"""Nearest neighbours by cosine similarity and the PCA projection, against brute force."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.text import Vocab, cosine_similarity, nearest_neighbours, nearest_tokens, pca, project_2d

# Rows: 0 east, 1 north-east, 2 north, 3 west, 4 twice east (same direction as 0), 5 zero vector.
TABLE = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [-1.0, 0.0], [2.0, 0.0], [0.0, 0.0]])


def test_neighbours_of_an_id_exclude_itself_and_rank_by_cosine():
    ids, similarities = nearest_neighbours(TABLE, 0, k=3)
    np.testing.assert_array_equal(ids, [4, 1, 2])  # 2 and 5 tie at 0: the smaller id first
    np.testing.assert_allclose(similarities, [1.0, np.sqrt(0.5), 0.0])
    ids, _ = nearest_neighbours(TABLE, 0, k=1, exclude_self=False)
    np.testing.assert_array_equal(ids, [0])  # ties with 4: ascending id


def test_vector_queries_and_batches():
    ids, similarities = nearest_neighbours(TABLE, np.array([0.0, 3.0]), k=2)
    np.testing.assert_array_equal(ids, [2, 1])
    ids, similarities = nearest_neighbours(TABLE, [0, 3], k=2)
    assert ids.shape == similarities.shape == (2, 2)
    np.testing.assert_array_equal(ids[1], [2, 5])  # west: everything else is <= 0; 2 and 5 tie at 0
    ids, _ = nearest_neighbours(TABLE, np.array([[1.0, 0.1]]), k=1, exclude=[0, 4])
    assert ids.shape == (1, 1) and ids[0, 0] == 1


def exact_cosine(a, b):
    """cos(a, b) from exact rational arithmetic on the floats (0 for a zero vector): no underflow."""
    dot = sum(Fraction(x) * Fraction(y) for x, y in zip(a, b, strict=True))
    squares = sum(Fraction(x) ** 2 for x in a) * sum(Fraction(y) ** 2 for y in b)
    sign = (dot > 0) - (dot < 0)  # from the exact value: float(dot) may underflow to 0
    return 0.0 if squares == 0 else sign * math.sqrt(dot**2 / squares)


def test_tiny_and_huge_vectors_have_cosine_one_with_themselves():
    # found by hypothesis: rows near 1e-160 square to subnormals, and the cosine came out as 1.000002
    for value in (2.40253682e-160, 1e-300, 3e200):
        table = np.array([[value, value / 3], [value, value / 3], [-value, 0.0]])
        _, similarities = nearest_neighbours(table, 0, k=2)
        np.testing.assert_allclose(similarities, [1.0, -0.9486832980505138], atol=1e-12)


@settings(deadline=None, max_examples=40)
@given(
    table=hnp.arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 4)), elements=st.floats(-5, 5)),
    data=st.data(),
)
def test_neighbours_match_brute_force(table, data):
    V = len(table)
    query = data.draw(st.integers(0, V - 1))
    k = data.draw(st.integers(0, V - 1))
    ids, similarities = nearest_neighbours(table, query, k=k)
    assert query not in ids and len(set(ids.tolist())) == k
    assert np.all(np.diff(similarities) <= 1e-12)
    for i, similarity in zip(ids, similarities, strict=True):
        np.testing.assert_allclose(similarity, exact_cosine(table[i], table[query]), atol=1e-9)
    others = np.setdiff1d(np.arange(V), np.append(ids, query))
    all_similarities = cosine_similarity(table[query], table)[0]
    if k and len(others):
        assert all_similarities[others].max() <= similarities[-1] + 1e-12


def test_bad_queries_raise_value_error():
    with pytest.raises(ValueError, match="k <= 5"):
        nearest_neighbours(TABLE, 0, k=6)
    with pytest.raises(ValueError, match=r"\[0, 6\)"):
        nearest_neighbours(TABLE, 6)
    with pytest.raises(ValueError, match="integer ids"):
        nearest_neighbours(TABLE, "king")
    with pytest.raises(ValueError, match="one size"):
        nearest_neighbours(TABLE, np.ones(3))
    with pytest.raises(ValueError, match=r"\(V, E\)"):
        nearest_neighbours(np.ones(3), 0)


def test_nearest_tokens_uses_the_vocab():
    vocab = Vocab(["east", "north-east", "north", "west", "far-east"], unk=None)
    embeddings = np.vstack([np.zeros(2), TABLE[:5]])  # row 0: <pad>
    assert [token for token, _ in nearest_tokens(vocab, embeddings, "east", k=2)] == [
        "far-east",
        "north-east",
    ]


def test_pca_matches_the_covariance_eigendecomposition(rng):
    x = rng.normal(size=(40, 5)) @ rng.normal(size=(5, 5))
    result = pca(x, 3)
    assert result.projected.shape == (40, 3) and result.components.shape == (3, 5)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(x, rowvar=False))
    order = np.argsort(eigenvalues)[::-1]
    np.testing.assert_allclose(
        result.explained_variance_ratio, eigenvalues[order[:3]] / eigenvalues.sum(), rtol=1e-7
    )
    overlap = np.abs(result.components @ eigenvectors[:, order[:3]])
    np.testing.assert_allclose(overlap, np.eye(3), atol=1e-7)  # same axes up to sign
    np.testing.assert_allclose(result.components @ result.components.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(result.projected.mean(axis=0), 0, atol=1e-12)
    largest = result.components[np.arange(3), np.abs(result.components).argmax(axis=1)]
    assert np.all(largest > 0)  # the sign convention that makes PCA deterministic


def test_full_rank_pca_reconstructs_and_project_2d_shape(rng):
    x = rng.normal(size=(6, 3))
    result = pca(x, 3)
    np.testing.assert_allclose(result.projected @ result.components + result.mean, x, atol=1e-12)
    assert project_2d(x).shape == (6, 2)
    line = np.outer(np.arange(5.0), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(pca(line, 2).explained_variance_ratio, [1.0, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="n_components"):
        pca(x, 4)
