"""Bag of character n-grams: a text as a fixed-length vector of counts, word order thrown away.

The non-sequential baseline every sequence classifier must beat. A text becomes the counts of its
character n-grams for each order n in `orders`; boundary marks make the first and last characters
n-grams of their own, so with orders (1, 2) "Novák" gives

    1-grams  N o v á k           2-grams  ^N No ov vá ák k$

Order 1 is a pure bag of characters (any anagram gets the same vector); order 2 keeps which
character follows which, but nothing longer range. NumPy only.
"""

from collections import Counter
from numbers import Integral

import numpy as np


def char_ngrams(text, n, boundary=("^", "$")):
    """The character n-grams of `text`, in order of position.

    Args:
        text: a str. n: order (>= 1). boundary: (start mark, end mark) added before and after the
            text for n >= 2 (a 1-gram of a mark says nothing), or None for no marks.
    Returns:
        list of str of length n: len(text) - n + 1 of them, plus 2 when marks are added.
    """
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {type(text).__name__}")
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n: expected an integer >= 1, got {n!r}")
    if boundary is not None and n >= 2:
        start, end = boundary
        text = start + text + end
    return [text[i : i + n] for i in range(len(text) - n + 1)]


class BagOfNgrams:
    """Counts of character n-grams as features; fit(texts) picks the features, transform counts them.

        >>> bag = BagOfNgrams(orders=(1, 2)).fit(["ab", "b"])
        >>> bag.features
        ['b', 'a', 'b$', '^a', 'ab', '^b']
        >>> bag.transform(["ba"]).tolist()
        [[1.0, 1.0, 0.0, 0.0, 0.0, 1.0]]
    """

    def __init__(self, orders=(1, 2), min_count=1, boundary=("^", "$")):
        """Args:
        orders: the n-gram orders to count, e.g. (1,) for a bag of characters, (1, 2) to add bigrams.
        min_count: keep n-grams seen at least this many times in the texts given to fit.
        boundary: start and end marks for orders >= 2 (see char_ngrams), or None.
        """
        orders = tuple(orders)
        if not orders or any(isinstance(n, bool) or not isinstance(n, Integral) or n < 1 for n in orders):
            raise ValueError(f"orders: expected positive integers, got {orders!r}")
        if isinstance(min_count, bool) or not isinstance(min_count, Integral) or min_count < 1:
            raise ValueError(f"min_count: expected an integer >= 1, got {min_count!r}")
        self.orders, self.min_count, self.boundary = orders, min_count, boundary
        self.features = None

    def _grams(self, text):
        return [g for n in self.orders for g in char_ngrams(text, n, self.boundary)]

    def fit(self, texts):
        """Choose the features: n-grams of `texts` seen >= min_count times. Returns self.

        Features are ordered by order n (as in `orders`), then by count (descending), then by first
        occurrence, so the same texts always give the same columns.
        """
        texts = list(texts)
        counts = [Counter(g for t in texts for g in char_ngrams(t, n, self.boundary)) for n in self.orders]
        # sorted() is stable: equal counts keep first-occurrence order (Counter keeps insertion order).
        self.features = [g for c in counts for g, k in sorted(c.items(), key=lambda item: -item[1])
                         if k >= self.min_count]
        self.index = {g: j for j, g in enumerate(self.features)}
        return self

    def transform(self, texts):
        """Feature counts of each text: (M, F) float32, F = len(features); unseen n-grams are ignored."""
        if self.features is None:
            raise RuntimeError("call fit(texts) before transform")
        texts = list(texts)
        out = np.zeros((len(texts), len(self.features)), dtype=np.float32)  # (M, F)
        for i, text in enumerate(texts):
            for g in self._grams(text):
                j = self.index.get(g)
                if j is not None:
                    out[i, j] += 1.0
        return out

    def fit_transform(self, texts):
        """fit(texts) then transform(texts)."""
        texts = list(texts)
        return self.fit(texts).transform(texts)
