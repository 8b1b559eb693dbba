"""Exercise 06 (tokenizer, vocabulary, encoding, padding): the checks pass correct implementations, name
the typical mistakes, and the grader gives half-done work its partial score."""

import re
import unicodedata
from collections import Counter
from pathlib import Path

import exercise_variants
import numpy as np
import pytest

from course_lib.grading.compare import CheckFailed, NotImplementedYet
from course_lib.grading.exercises import ex06_nlp_preprocessing as ex06
from course_lib.grading.runner import grade_notebook
from course_lib.text import pad_sequences as library_pad_sequences
from course_lib.text import word_tokenize

ROOT = Path(__file__).resolve().parents[2]
NAME = "06_nlp_preprocessing"
NUMBER, WORD = r"\d+(?:[.,]\d+)*(?![^\W_])", r"[^\W_]+(?:['-][^\W_]+)*"


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


def regex_tokenize(text, normalise=True, curly=True, lower=True, pattern=f"{NUMBER}|{WORD}"):
    """The rules with re.findall; the switches drop one rule each, to make the typical mistakes."""
    if normalise:
        text = unicodedata.normalize("NFC", text)
    if curly:
        text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.findall(pattern, text.lower() if lower else text)


def pad_sequences_keras(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    """Keras's own algorithm, including its maxlen = 0 bug (s[-0:] keeps everything)."""
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError("bad option")
    T = max((len(s) for s in sequences), default=0) if maxlen is None else maxlen
    batch = np.full((len(sequences), T), value, dtype=np.int32)
    for i, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = list(sequence)[-T:] if truncating == "pre" else list(sequence)[:T]
        if padding == "pre":
            batch[i, -len(kept) :] = kept
        else:
            batch[i, : len(kept)] = kept
    return batch


def library_padding(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    return library_pad_sequences(sequences, maxlen, "int32", padding, truncating, value)


def vocab_alphabetical_ties(token_streams, min_freq=1, max_size=None):
    counts = Counter(token for stream in token_streams for token in stream)
    ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    ranked = ranked if max_size is None else ranked[: max_size - 2]
    return {"<pad>": 0, "<unk>": 1, **{t: i + 2 for i, t in enumerate(ranked)}}


def vocab_max_size_without_specials(token_streams, min_freq=1, max_size=None):
    counts = Counter(token for stream in token_streams for token in stream)
    ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=counts.get, reverse=True)
    ranked = ranked if max_size is None else ranked[:max_size]
    return {"<pad>": 0, "<unk>": 1, **{t: i + 2 for i, t in enumerate(ranked)}}


@pytest.mark.parametrize("repeat", range(5))
def test_checks_pass_correct_implementations(repeat):
    ex06.check_tokenize(word_tokenize)
    ex06.check_tokenize(regex_tokenize)
    ex06.check_build_vocab(ex06.build_vocab_reference)
    ex06.check_encode(ex06.encode_reference)
    ex06.check_oov_rate(ex06.oov_rate_reference)
    ex06.check_pad_sequences(library_padding)


def test_random_texts_exercise_every_rule(rng):
    tokens = {token for _ in range(50) for token in word_tokenize(ex06.random_text(rng))}
    assert {"don't", "state-of-the-art", "3.14", "1,000", "19th", "café", "init"} <= tokens
    assert "i'm" in tokens  # from the curly apostrophe


MISTAKES = {
    "split-on-whitespace": (ex06.check_tokenize, lambda text: text.lower().split(), "first difference"),
    "no-lower": (ex06.check_tokenize, lambda text: regex_tokenize(text, lower=False), "lower-case the text"),
    "no-nfc": (ex06.check_tokenize, lambda text: regex_tokenize(text, normalise=False), "NFC"),
    "curly-apostrophe": (ex06.check_tokenize, lambda text: regex_tokenize(text, curly=False), "curly"),
    "numbers-as-words": (
        ex06.check_tokenize, lambda text: regex_tokenize(text, pattern=WORD), "a number with inner . or ,"
    ),
    "alphabetical-ties": (ex06.check_build_vocab, vocab_alphabetical_ties, "order of first occurrence"),
    "max-size-without-specials": (
        ex06.check_build_vocab, vocab_max_size_without_specials, "the two specials included"
    ),
    "oov-id-zero": (
        ex06.check_encode, lambda tokens, vocab: [vocab.get(t, 0) for t in tokens], "the id of <unk>"
    ),
    "mean-of-rates": (
        ex06.check_oov_rate,
        lambda streams, vocab: float(np.mean([ex06.oov_rate_reference([s], vocab) for s in streams if s]))
        if any(streams) else 0.0,
        "not a mean of per-stream rates",
    ),
    "keras-maxlen-zero": (ex06.check_pad_sequences, pad_sequences_keras, "maxlen = 0 keeps nothing"),
    "int64": (
        ex06.check_pad_sequences,
        lambda *args, **kwargs: library_padding(*args, **kwargs).astype(np.int64),
        "expected dtype int32, got int64",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, answer, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        for _ in range(3):  # random inputs must show the mistake within 3 runs
            check(answer)
    assert feedback in str(failure.value)


def test_padding_side_mistakes_are_named():
    def swapped(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
        other = {"pre": "post", "post": "pre"}
        return library_padding(sequences, maxlen, other[padding], truncating, value)

    with pytest.raises(CheckFailed, match='padding="pre" puts the padding before the sequence'):
        ex06.check_pad_sequences(swapped)


def test_stub_is_reported_as_not_implemented():
    def stub(text):
        raise NotImplementedError("normalise first")

    with pytest.raises(NotImplementedYet, match="hint: normalise first"):
        ex06.check_tokenize(stub)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # Tokenizer, encode and padding done; the vocabulary breaks ties alphabetically; oov_rate is a stub.
    alphabetical = (
        "def build_vocab(token_streams, min_freq=1, max_size=None):\n"
        "    counts = Counter(t for stream in token_streams for t in stream)\n"
        "    kept = [t for t, c in counts.items() if c >= min_freq]\n"
        "    ranked = sorted(kept, key=lambda t: (-counts[t], t))\n"
        "    ranked = ranked if max_size is None else ranked[: max_size - 2]\n"
        "    return {'<pad>': 0, '<unk>': 1, **{t: i + 2 for i, t in enumerate(ranked)}}\n"
    )
    done = ["tokenize", "encode", "pad_sequences"]
    path = build_variant(tmp_path, fill=done, replace={"build_vocab": alphabetical})
    report = grade_notebook(path, timeout=60)
    assert (report.score, report.max_score) == (2 + 1 + 3, 10)
    assert {t.id for t in report.tasks if t.passed} == set(done)
    vocab = report.task("build_vocab")
    assert vocab.verdict == "failed" and "ties keep the order of first occurrence" in vocab.feedback
    assert report.task("oov_rate").verdict == "not implemented"
