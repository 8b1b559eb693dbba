"""Bag of character n-grams: the n-grams themselves, the feature order, and the counts."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text.bag_of_ngrams import BagOfNgrams, char_ngrams


def test_char_ngrams_with_and_without_boundary_marks():
    assert char_ngrams("Novák", 1) == list("Novák")  # marks never form 1-grams
    assert char_ngrams("Novák", 2) == ["^N", "No", "ov", "vá", "ák", "k$"]
    assert char_ngrams("ab", 3, boundary=None) == []
    assert char_ngrams("ab", 3, boundary=("<", ">")) == ["<ab", "ab>"]


@settings(deadline=None, max_examples=60)
@given(text=st.text(alphabet="abcxyz", max_size=12), n=st.integers(1, 4))
def test_char_ngrams_count_and_overlap(text, n):
    grams = char_ngrams(text, n)
    padded = text if n == 1 else "^" + text + "$"
    assert len(grams) == max(len(padded) - n + 1, 0)
    assert all(len(g) == n for g in grams)
    for a, b in zip(grams, grams[1:], strict=False):  # consecutive n-grams overlap in n - 1 characters
        assert a[1:] == b[:-1]


def test_features_are_ordered_by_order_then_count_then_first_occurrence():
    bag = BagOfNgrams(orders=(1, 2)).fit(["ab", "b"])
    assert bag.features == ["b", "a", "b$", "^a", "ab", "^b"]


def test_transform_counts_and_ignores_unseen_ngrams():
    bag = BagOfNgrams(orders=(1,)).fit(["aab", "c"])
    X = bag.transform(["aaa", "zz", "cab"])
    assert X.dtype == np.float32 and X.shape == (3, 3)
    np.testing.assert_array_equal(X, [[3, 0, 0], [0, 0, 0], [1, 1, 1]])


def test_bag_of_characters_cannot_tell_anagrams_apart_but_bigrams_can():
    names = ["amor", "roma"]
    unigrams = BagOfNgrams(orders=(1,)).fit(names).transform(names)
    bigrams = BagOfNgrams(orders=(1, 2)).fit(names).transform(names)
    np.testing.assert_array_equal(unigrams[0], unigrams[1])
    assert not np.array_equal(bigrams[0], bigrams[1])


def test_min_count_drops_rare_ngrams_and_fit_transform_equals_fit_then_transform():
    texts = ["aab", "abb", "c"]
    bag = BagOfNgrams(orders=(1, 2), min_count=2)
    X = bag.fit_transform(texts)
    assert "c" not in bag.features and "ab" in bag.features
    np.testing.assert_array_equal(X, BagOfNgrams(orders=(1, 2), min_count=2).fit(texts).transform(texts))


@settings(deadline=None, max_examples=40)
@given(texts=st.lists(st.text(alphabet="abc", max_size=8), min_size=1, max_size=6))
def test_row_sums_count_every_ngram_of_a_training_text(texts):
    bag = BagOfNgrams(orders=(1, 2, 3)).fit(texts)
    X = bag.transform(texts)
    expected = [sum(len(char_ngrams(t, n)) for n in (1, 2, 3)) for t in texts]
    np.testing.assert_array_equal(X.sum(axis=1), expected)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"orders": ()}, "positive integers"), ({"orders": (0,)}, "positive integers"),
     ({"min_count": 0}, "min_count")],
)
def test_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BagOfNgrams(**kwargs)


def test_transform_before_fit_and_bad_text():
    with pytest.raises(RuntimeError, match="fit"):
        BagOfNgrams().transform(["a"])
    with pytest.raises(ValueError, match="str"):
        char_ngrams(["a"], 1)
    with pytest.raises(ValueError, match="n:"):
        char_ngrams("a", 0)
