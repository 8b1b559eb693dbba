"""Edit distance between token sequences, and the error rates built on it (PER, WER, CER).

The Levenshtein distance d(r, h) is the fewest single-token substitutions, insertions and
deletions that turn the reference r into the hypothesis h, each costing 1. It is computed by
dynamic programming over prefixes (Wagner & Fischer 1974):

    D[i, 0] = i,   D[0, j] = j
    D[i, j] = min(D[i-1, j] + 1,                      delete r[i-1]
                  D[i, j-1] + 1,                      insert h[j-1]
                  D[i-1, j-1] + [r[i-1] != h[j-1]])   substitute (free when equal)
    d(r, h) = D[len(r), len(h)]

An error rate is the corpus-level ratio  Σ d(r_k, h_k) / Σ len(r_k)  (as speech recognition
reports WER): long references weigh more than short ones, and it can exceed 1 when hypotheses
are much longer than their references. On phonemes it is the phoneme error rate (PER).
"""


def edit_distance(reference, hypothesis):
    """Levenshtein distance between two sequences (str, list or tuple of hashable tokens).

    Args:
        reference, hypothesis: sequences; tokens are compared with ==.
    Returns:
        int, the fewest substitutions, insertions and deletions turning reference into hypothesis.
    """
    reference, hypothesis = list(reference), list(hypothesis)
    previous = list(range(len(hypothesis) + 1))  # row D[i-1, :], starting with D[0, j] = j
    for i, r in enumerate(reference, start=1):
        current = [i]  # D[i, 0] = i
        for j, h in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def error_rate(references, hypotheses):
    """Corpus error rate Σ edit_distance(r, h) / Σ len(r) over aligned pairs (PER, WER, CER).

    Args:
        references, hypotheses: equally long lists of sequences; the references' total length > 0.
    Returns:
        float >= 0; 0 means every hypothesis equals its reference.
    """
    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses):
        raise ValueError(
            f"expected as many hypotheses as references, got {len(hypotheses)} and {len(references)}"
        )
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("the references hold no tokens, so the error rate is undefined")
    return sum(edit_distance(r, h) for r, h in zip(references, hypotheses, strict=True)) / total
