"""Bag of word n-grams: the n-grams, the feature ids, presence versus counts, and the errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text.bag_of_words import BagOfWordNgrams, word_ngrams


def test_word_ngrams_with_and_without_boundaries():
    assert word_ngrams(["not", "good"], 1) == ["not", "good"]
    assert word_ngrams(["not", "good"], 2) == ["<s> not", "not good", "good </s>"]
    assert word_ngrams(["a"], 3, boundary=None) == []
    assert word_ngrams([], 2) == ["<s> </s>"]


@settings(deadline=None, max_examples=60)
@given(tokens=st.lists(st.sampled_from(["a", "bb", "c"]), max_size=10), n=st.integers(1, 4))
def test_word_ngrams_count_and_overlap(tokens, n):
    grams = word_ngrams(tokens, n)
    padded = len(tokens) + (2 if n >= 2 else 0)
    assert len(grams) == max(padded - n + 1, 0)
    assert all(len(g.split(" ")) == n for g in grams)
    for a, b in zip(grams, grams[1:], strict=False):  # neighbours share n - 1 words
        assert a.split(" ")[1:] == b.split(" ")[:-1]


def test_features_ordered_by_order_then_document_frequency():
    bag = BagOfWordNgrams(orders=(1, 2)).fit([["not", "good"], ["good"]])
    assert bag.features == ["good", "not", "good </s>", "<s> not", "not good", "<s> good"]
    assert len(bag) == 7  # six features and the padding id 0


def test_document_frequency_counts_a_text_once():
    bag = BagOfWordNgrams(orders=(1,), min_count=2).fit([["tasty", "tasty", "tasty"], ["bland"]])
    assert bag.features == []  # "tasty" occurs three times but in one text only
    bag = BagOfWordNgrams(orders=(1,), min_count=2).fit([["tasty"], ["tasty", "bland"]])
    assert bag.features == ["tasty"]


def test_encode_presence_or_counts_and_unseen_ngrams_dropped():
    texts = [["not", "good"], ["good"]]
    binary = BagOfWordNgrams(orders=(1, 2)).fit(texts)
    assert binary.encode(["not", "good"]) == [1, 2, 3, 4, 5]
    assert binary.encode(["good", "good", "awful"]) == [1, 6]  # "good" and "<s> good", once each
    counts = BagOfWordNgrams(orders=(1,), binary=False).fit(texts)
    assert counts.encode(["good", "good", "awful"]) == [1, 1]


def test_transform_matches_encode():
    texts = [["a", "b", "a"], ["b"], ["c", "a"]]
    for binary in (True, False):
        bag = BagOfWordNgrams(orders=(1, 2), binary=binary).fit(texts)
        X = bag.transform(texts + [["zzz"]])
        assert X.dtype == np.float32 and X.shape == (4, len(bag.features))
        for row, tokens in zip(X, texts, strict=False):
            expected = np.bincount(np.array(bag.encode(tokens)) - 1, minlength=len(bag.features))
            np.testing.assert_array_equal(row, expected)
        assert X[3].sum() == 0
    assert BagOfWordNgrams(orders=(1,), binary=False).fit(texts).transform([["a", "a"]])[0, 0] == 2


@pytest.mark.parametrize(("kwargs", "match"), [({"orders": ()}, "orders"), ({"orders": (0,)}, "orders"),
                                               ({"min_count": 0}, "min_count")])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BagOfWordNgrams(**kwargs)


def test_encode_before_fit_raises():
    with pytest.raises(RuntimeError, match="fit"):
        BagOfWordNgrams().encode(["a"])
    with pytest.raises(ValueError, match="list of str"):
        word_ngrams("not a list of words".split() + [3], 1)
