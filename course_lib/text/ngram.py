"""Count-based character n-gram language models: the baseline every neural language model must beat.

An n-gram model makes the Markov assumption: the next character depends only on the previous n - 1,

    P(x_1 .. x_T) = Π_t P(x_t | x_<t)  ≈  Π_t P(x_t | x_{t-n+1} .. x_{t-1}),

and estimates each conditional by counting. c(s) is how often the string s occurs in the training
text, ctx a context of length n - 1 and V the vocabulary size. Two smoothings:

    add_k        P(w | ctx) = (c(ctx w) + k) / (c(ctx) + k V)          k = 1 is Laplace, k = 0 is counting
    kneser_ney   P(w | ctx) = max(c(ctx w) - d, 0) / c(ctx) + d N1+(ctx •) / c(ctx) · P_low(w | ctx[1:])

Kneser-Ney is interpolated (Chen & Goodman 1998): the discount d taken from every seen character is
given to the next-shorter context, whose counts are continuation counts N1+(• ctx' w), the number of
distinct characters seen before ctx' w, rather than raw counts. The recursion ends at the uniform
distribution 1/V. A context never seen in training gets P_low (Kneser-Ney) or uniform (add-k).

Here c(ctx) = Σ_w c(ctx w) counts the context only where a character follows it. At the start of a
text, where fewer than n - 1 characters precede x_t, the model uses the context it has: the
(len(ctx) + 1)-gram estimate from the same training counts. Everything is float64 NumPy.
"""

import math
from collections import Counter

import numpy as np

SMOOTHINGS = ("add_k", "kneser_ney")


class NGramLM:
    """A character n-gram language model; fit(text) counts, then score with bits_per_char or sample.

    >>> lm = NGramLM(2, k=1.0).fit("aab", vocab="ab")
    >>> round(float(lm.prob("b", context="a")), 4)  # (c("ab") + 1) / (c("a•") + 2) = 2 / 4
    0.5
    """

    def __init__(self, n, k=1.0, smoothing="add_k", discount=0.75):
        """Args:
        n: order, >= 1 (n = 1 ignores context, n = 3 conditions on the previous 2 characters).
        k: pseudo-count added to every count by add_k smoothing (>= 0).
        smoothing: "add_k" or "kneser_ney".
        discount: d of Kneser-Ney, in (0, 1].
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        if not k >= 0:
            raise ValueError(f"k must be >= 0, got {k!r}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")
        if not 0 < discount <= 1:
            raise ValueError(f"discount must be in (0, 1], got {discount!r}")
        self.n, self.k, self.smoothing, self.discount = n, float(k), smoothing, float(discount)
        self.vocab = None

    def __repr__(self):
        param = f"k={self.k:g}" if self.smoothing == "add_k" else f"discount={self.discount:g}"
        return f"NGramLM(n={self.n}, {param}, smoothing={self.smoothing!r})"

    def fit(self, text, vocab=None):
        """Count the n-grams of `text` (every order 1..n). Returns self.

        Args:
            text: the training str.  vocab: the characters the model can predict (any iterable of
                single characters); None means the characters of `text`. It must contain every
                character of `text`; pass the full alphabet to score held-out text with new characters.
        """
        _check_str("text", text)
        self.vocab = sorted(set(text) if vocab is None else set(vocab))
        self.index = {c: i for i, c in enumerate(self.vocab)}
        if not self.vocab or any(len(c) != 1 for c in self.vocab):
            raise ValueError("vocab must be a non-empty collection of single characters")
        self._check_chars("text", text)
        grams = [Counter(text[i : i + m] for i in range(len(text) - m + 1)) for m in range(1, self.n + 1)]
        # counts[m][ctx]: (V,) raw counts of the character after context ctx of length m.
        self.counts = [self._table((g[:-1], g[-1], c) for g, c in grams[m].items()) for m in range(self.n)]
        # continuation[m][ctx][w]: distinct characters seen before ctx + w (Kneser-Ney's lower orders).
        self.continuation = [
            self._table((g[1:-1], g[-1], 1) for g in grams[m + 1]) for m in range(self.n - 1)
        ]
        self._cache, self._lower_cache = {}, {}
        return self

    def with_smoothing(self, smoothing=None, k=None, discount=None):
        """The same counts read with another smoothing (no recount): a new NGramLM sharing the tables.

        Arguments left as None keep this model's values.
        """
        if self.vocab is None:
            raise RuntimeError("the model is not fitted: call fit(text) first")
        other = NGramLM(
            self.n,
            self.k if k is None else k,
            self.smoothing if smoothing is None else smoothing,
            self.discount if discount is None else discount,
        )
        other.vocab, other.index = self.vocab, self.index
        other.counts, other.continuation = self.counts, self.continuation
        other._cache, other._lower_cache = {}, {}
        return other

    def with_order(self, n):
        """The model of order n <= self.n read from the same counts (no recount), same smoothing.

        Fitting order N counts every order 1..N, and the tables of orders 1..n are exactly what
        fitting order n would count: one fit at the highest order serves a whole sweep over n.
        """
        if self.vocab is None:
            raise RuntimeError("the model is not fitted: call fit(text) first")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.n:
            raise ValueError(f"n must be an integer in 1..{self.n}, got {n!r}")
        other = NGramLM(n, self.k, self.smoothing, self.discount)
        other.vocab, other.index = self.vocab, self.index
        other.counts, other.continuation = self.counts[:n], self.continuation[: n - 1]
        other._cache, other._lower_cache = {}, {}
        return other

    def _check_chars(self, name, text):
        """ValueError unless fitted and every character of the str `text` is in the vocabulary."""
        if self.vocab is None:
            raise RuntimeError("the model is not fitted: call fit(text) first")
        _check_str(name, text)
        unknown = sorted({c for c in text if c not in self.index})
        if unknown:
            shown = "".join(unknown[:10])
            raise ValueError(
                f"{name} has characters outside the model's vocabulary: {shown!r}; "
                "fit with vocab=... (the full alphabet) to score text with new characters"
            )

    def _table(self, rows):
        """{context: (V,) float64 counts} from (context, next character, count) rows."""
        table, V = {}, len(self.vocab)
        for context, char, count in rows:
            counts = table.get(context)
            if counts is None:
                counts = table[context] = np.zeros(V)
            counts[self.index[char]] += count
        return table

    def distribution(self, context=""):
        """P(next character | context) over the vocabulary: (V,) float64 summing to 1.

        Only the last n - 1 characters of `context` matter; a shorter context uses what it has.
        """
        self._check_chars("context", context)
        return self._distribution(self._context(context)).copy()

    def prob(self, char, context=""):
        """P(char | context), a float."""
        self._check_chars("char", char)
        self._check_chars("context", context)
        if len(char) != 1:
            raise ValueError(f"char must be one character, got {char!r}")
        return float(self._distribution(self._context(context))[self.index[char]])

    def log_prob(self, text, context=""):
        """Natural log of P(text | context) = Σ_t ln P(text[t] | context + text[:t]); -inf if any P is 0."""
        self._check_chars("text", text)
        self._check_chars("context", context)
        full = self._context(context) + text
        start = len(full) - len(text)
        n, index = self.n, self.index
        probs = [
            self._distribution(full[max(0, p - n + 1) : p])[index[full[p]]] for p in range(start, len(full))
        ]
        with np.errstate(divide="ignore"):
            return float(np.log(np.array(probs)).sum())

    def bits_per_char(self, text, context=""):
        """Cross-entropy of the model on `text` in bits per character: -log2 P(text | context) / len(text).

        Perplexity per character is 2 ** bits_per_char; a uniform model over V characters scores log2 V.
        """
        if len(text) == 0:
            raise ValueError("text must not be empty")
        return -self.log_prob(text, context) / (len(text) * math.log(2))

    def sample(self, length, rng, prompt=""):
        """Generate `length` characters after `prompt`, each drawn from distribution(text so far).

        Args:
            length: characters to add (>= 0).  rng: np.random.Generator.  prompt: text to continue.
        Returns:
            prompt + the new characters.
        """
        self._check_chars("prompt", prompt)
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"length must be an integer >= 0, got {length!r}")
        text = prompt
        for _ in range(length):
            p = self._distribution(self._context(text))  # (V,)
            text += self.vocab[rng.choice(len(self.vocab), p=p)]
        return text

    def _context(self, context):
        """The last n - 1 characters of `context` (all of it when shorter)."""
        return context[max(0, len(context) - self.n + 1) :]

    def _distribution(self, context):
        """Cached (V,) distribution for a context of length <= n - 1 (do not modify the result)."""
        if context not in self._cache:
            if self.smoothing == "add_k":
                self._cache[context] = self._add_k(context)
            else:
                self._cache[context] = self._kneser_ney(context, self.counts)
        return self._cache[context]

    def _add_k(self, context):
        counts = self.counts[len(context)].get(context)
        V = len(self.vocab)
        if counts is None or (self.k == 0 and counts.sum() == 0):
            return np.full(V, 1.0 / V)  # an unseen context says nothing: uniform
        return (counts + self.k) / (counts.sum() + self.k * V)

    def _kneser_ney(self, context, tables):
        """Interpolated Kneser-Ney: raw counts at the top order, continuation counts below."""
        V = len(self.vocab)
        lower = np.full(V, 1.0 / V) if not context else self._lower(context[1:])
        counts = tables[len(context)].get(context)
        if counts is None:
            return lower  # unseen context: all the mass goes to the shorter context
        total = counts.sum()
        seen = np.count_nonzero(counts)  # N1+(ctx •)
        d = self.discount
        return np.maximum(counts - d, 0.0) / total + (d * seen / total) * lower

    def _lower(self, context):
        """Cached lower-order (continuation-count) Kneser-Ney distribution; shared by many contexts."""
        if context not in self._lower_cache:
            self._lower_cache[context] = self._kneser_ney(context, self.continuation)
        return self._lower_cache[context]


def _check_str(name, value):
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a str, got {type(value).__name__}")
