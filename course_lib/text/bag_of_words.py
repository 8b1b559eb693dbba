"""Bag of word n-grams: a text as the set (or counts) of its words and word pairs, order thrown away.

The linear baseline for word-level classification. Each text is a list of tokens; its features
are its n-grams for each order n in `orders`, with boundary tokens so that the first and last
words are bigrams of their own. With orders (1, 2), ["not", "good"] gives

    1-grams  not  good            2-grams  <s> not   not good   good </s>

The bigram "not good" is how a bag model sees negation at all. Features are returned as id lists
(id 0 is reserved for padding), which `course_lib.torch.models_bag.BagClassifier` sums into logits:
logistic regression on a vocabulary of tens of thousands of n-grams without building the dense
(M, F) matrix. NumPy only.
"""

from collections import Counter
from numbers import Integral

import numpy as np

BOUNDARY = ("<s>", "</s>")


def word_ngrams(tokens, n, boundary=BOUNDARY):
    """The word n-grams of `tokens` in order of position, each joined by one space.

    Args:
        tokens: list of str. n: order (>= 1). boundary: (start, end) tokens added for n >= 2,
            or None for no marks.
    Returns:
        list of str: len(tokens) - n + 1 of them, plus 2 when marks are added (none if too short).
    """
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n: expected an integer >= 1, got {n!r}")
    tokens = list(tokens)
    if any(not isinstance(t, str) for t in tokens):
        raise ValueError("tokens: expected a list of str")
    if boundary is not None and n >= 2:
        tokens = [boundary[0], *tokens, boundary[1]]
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


class BagOfWordNgrams:
    """Word n-gram features: fit(token lists) picks them, encode/transform maps a text to them.

        >>> bag = BagOfWordNgrams(orders=(1, 2)).fit([["not", "good"], ["good"]])
        >>> bag.features[:3]
        ['good', 'not', 'good </s>']
        >>> bag.encode(["not", "good"])
        [1, 2, 3, 4, 5]
    """

    def __init__(self, orders=(1, 2), min_count=1, binary=True, boundary=BOUNDARY):
        """Args:
        orders: the n-gram orders, e.g. (1,) for a bag of words, (1, 2) to add word pairs.
        min_count: keep n-grams seen in at least this many training texts.
        binary: encode each feature once per text (presence), not once per occurrence (counts).
        boundary: start and end tokens for orders >= 2, or None.
        """
        orders = tuple(orders)
        if not orders or any(isinstance(n, bool) or not isinstance(n, Integral) or n < 1 for n in orders):
            raise ValueError(f"orders: expected positive integers, got {orders!r}")
        if isinstance(min_count, bool) or not isinstance(min_count, Integral) or min_count < 1:
            raise ValueError(f"min_count: expected an integer >= 1, got {min_count!r}")
        self.orders, self.min_count, self.binary, self.boundary = orders, min_count, binary, boundary
        self.features = None

    def _grams(self, tokens):
        return [g for n in self.orders for g in word_ngrams(tokens, n, self.boundary)]

    def fit(self, token_lists):
        """Choose the features: n-grams found in >= min_count texts. Returns self.

        Ordered by order n, then by document frequency (descending), then by first occurrence, so
        the same texts always give the same ids. Feature j has id j + 1 (0 is padding).
        """
        doc_freq = [Counter() for _ in self.orders]
        for tokens in token_lists:
            for k, n in enumerate(self.orders):
                doc_freq[k].update(dict.fromkeys(word_ngrams(tokens, n, self.boundary), 1))
        self.features = [g for c in doc_freq for g, k in sorted(c.items(), key=lambda item: -item[1])
                         if k >= self.min_count]
        self.index = {g: j + 1 for j, g in enumerate(self.features)}
        return self

    def __len__(self):
        """Number of ids, padding included: len(features) + 1."""
        self._check_fitted()
        return len(self.features) + 1

    def encode(self, tokens):
        """Feature ids of one text: ascending when binary, else one per occurrence; unseen n-grams dropped."""
        self._check_fitted()
        ids = [self.index[g] for g in self._grams(tokens) if g in self.index]
        return sorted(set(ids)) if self.binary else ids

    def transform(self, token_lists):
        """Dense feature values (M, F) float32: presence (binary) or counts; column j is features[j]."""
        token_lists = list(token_lists)
        out = np.zeros((len(token_lists), len(self.features) if self.features else 0), dtype=np.float32)
        for i, tokens in enumerate(token_lists):
            for j in self.encode(tokens):
                out[i, j - 1] += 1.0
        return out

    def _check_fitted(self):
        if self.features is None:
            raise RuntimeError("call fit(token_lists) before encoding")
