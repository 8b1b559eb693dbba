"""Is a generated tune new? Copy rates against a reference collection, and header statistics.

    ngram_copy_rate(samples, reference, n)   share of the samples' character n-grams found in the reference
    longest_copy(sample, reference)          the longest stretch of the sample that appears in the reference
    header_distribution(tunes, field)        {value: share} of an ABC header field (M, K, L)
    total_variation(p, q)                    ½ Σ |p(v) − q(v)|: 0 identical, 1 disjoint

A model that memorises its training tunes has copy rates near 1 for long n-grams; real new tunes
from the same tradition share short phrases but few long ones. Compare a model's samples with
held-out tunes, never with 0.
"""

from collections import Counter

from course_lib.music.abc import split_tune


def _ngrams(text: str, n: int) -> list[str]:
    return [text[i : i + n] for i in range(len(text) - n + 1)]


def ngram_copy_rate(samples, reference, n: int = 12) -> float:
    """Fraction of the character n-grams of `samples` (list of str) found in `reference` (list of str)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    known = {g for text in reference for g in _ngrams(text, n)}
    grams = [g for text in samples for g in _ngrams(text, n)]
    return sum(g in known for g in grams) / len(grams) if grams else 0.0


def longest_copy(sample: str, reference: str) -> str:
    """The longest substring of `sample` that also occurs in `reference` (first one if tied)."""
    best_start, best = 0, 0
    for i in range(len(sample)):
        while i + best < len(sample) and sample[i : i + best + 1] in reference:
            best_start, best = i, best + 1
    return sample[best_start : best_start + best]


def header_distribution(tunes, field: str) -> dict:
    """Share of each value of header `field` ("M", "K", "L") among ABC texts; missing counts as None.

    Keys are normalised as the parser reads them: spaces removed, the mode of K in lower case
    ("AMix" and "Amix" are one key).
    """
    counts = Counter()
    for text in tunes:
        value = split_tune(text)[0].get(field)
        if value is not None:
            value = value.replace(" ", "")
            if field == "K" and value:
                value = value[:2] + value[2:].lower() if value[1:2] in "#b" else value[0] + value[1:].lower()
        counts[value] += 1
    total = sum(counts.values())
    return {k: v / total for k, v in counts.most_common()} if total else {}


def total_variation(p: dict, q: dict) -> float:
    """½ Σ_v |p(v) − q(v)| over the union of both supports."""
    return 0.5 * sum(abs(p.get(v, 0.0) - q.get(v, 0.0)) for v in set(p) | set(q))
