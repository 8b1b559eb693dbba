"""Exercise 06, from text to a padded batch of ids: tasks, reference answers and checks.

Notebook: solutions/06_nlp_preprocessing.ipynb (exercises/ is generated from it). References from
course_lib.text: word_tokenize with its defaults (the tokenizer's rules), Vocab (ids 0 = <pad>,
1 = <unk>, then by count with Keras's first-occurrence tie-break), Vocab.encode, and pad_sequences
(Keras's semantics). Inputs are fresh random texts and corpora built from fragments that exercise
every rule, plus the edge cases: empty texts, streams and sequences, max_size = 2, maxlen = 0.
"""

import re
import unicodedata
from collections import Counter

import numpy as np

from course_lib.grading.compare import (
    CheckFailed,
    StudentError,
    call,
    check_rng,
    describe,
    fail_if,
    mismatch,
    raises_mismatch,
    type_name,
)
from course_lib.grading.registry import Exercise, Task
from course_lib.text import Vocab, word_tokenize
from course_lib.text import pad_sequences as pad_sequences_reference

PAD, UNK = "<pad>", "<unk>"

# Fragments of random test texts: each list exercises one rule of the tokenizer.
WORDS = ["the", "Network", "RNN", "neural", "Über", "café", "naïve", "x", "I", "LSTM", "gates"]
DECOMPOSED = ["cafe\u0301", "nai\u0308ve"]  # é and ï as a letter plus a combining accent (NFC joins them)
CONTRACTIONS = ["don't", "it's", "can't", "I\u2019m", "won\u2019t", "o'clock", "rock'n'roll"]
HYPHENATED = ["state-of-the-art", "long-term", "covid-19", "e-mail", "many-to-one"]
NUMBERS = ["3.14", "1,000", "2024", "42", "0.5", "1,234.56"]
ALPHANUMERIC = ["mp3", "19th", "2nd", "h2o", "GPT4"]
UNDERSCORED = ["__init__", "x_1", "batch_first"]
SEPARATORS = [" ", " ", " ", "  ", "\n", ", ", ". ", "! ", "? ", " (", ") ", "; ", ": ", ' "', '" ', " - ",
              "\t", " \u2014 ", "... ", " / ", " #"]
FRAGMENTS = [WORDS, DECOMPOSED, CONTRACTIONS, HYPHENATED, NUMBERS, ALPHANUMERIC, UNDERSCORED]
FIXED_TEXTS = [
    "I love neural network",
    "Don\u2019t panic: it's 3.14, not 3!",
    "State-of-the-art RNNs (1997) beat n-grams... sometimes.",
    "",
    "  \n\t ",
    "self.x_1 = __init__(batch_first=True)",
    "Un cafe\u0301 nai\u0308ve: 19th-century mp3s, covid-19 and 1,234.56 (e.g. o\u2019clock)",
]
# The slide's four sentences, tokenized: counts with ties that neither alphabetical order breaks right.
SLIDE_STREAMS = [
    ["i", "love", "neural", "network"],
    ["i", "love", "deep", "learning"],
    ["you", "love", "neural", "network"],
    ["do", "you", "think", "deep", "learning", "is", "good"],
]

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def random_text(rng, n_fragments=None):
    """A text of random fragments joined by random separators (every rule of the tokenizer in play)."""
    n_fragments = int(rng.integers(4, 14)) if n_fragments is None else n_fragments
    pieces = []
    for _ in range(n_fragments):
        group = FRAGMENTS[int(rng.integers(len(FRAGMENTS)))]
        pieces += [group[int(rng.integers(len(group)))], SEPARATORS[int(rng.integers(len(SEPARATORS)))]]
    return "".join(pieces).strip(" ")


def _token_hint(expected, actual, text):
    """Which rule a wrong token breaks, judged from the text, the expected token and what came instead."""
    if actual is not None and actual != actual.lower():
        return "lower-case the text"
    if (actual and "\u2019" in actual) or (expected and "'" in expected and "\u2019" in text):
        return "replace the curly apostrophe \u2019 by ' first"
    decomposed = unicodedata.normalize("NFD", expected or "")
    if actual and decomposed != expected and decomposed.startswith(actual):
        return "normalise the text to NFC first (unicodedata.normalize), so that é is one character"
    if expected is None:
        return "punctuation, the underscore and whitespace only separate tokens: they are never tokens"
    if "'" in expected:
        return "an apostrophe between letters keeps a word whole (don't, o'clock)"
    if "-" in expected:
        return "a hyphen between letters or digits keeps a word whole (state-of-the-art)"
    if _NUMBER.fullmatch(expected):
        return "a number with inner . or , groups is one token (3.14, 1,000)"
    if actual and _NUMBER.fullmatch(actual) and expected.startswith(actual):
        return "digits followed by a letter are part of a word (19th, mp3), not a number"
    return None


def tokens_mismatch(actual, expected, text=""):
    """None if the token lists agree, else where they first differ (and the rule that explains it)."""
    if not isinstance(actual, list) or not all(isinstance(token, str) for token in actual):
        return f"expected a list of str, got {type_name(actual)} {describe(actual)}"
    if actual == expected:
        return None
    i = next((i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e), None)
    if i is None:
        i = min(len(actual), len(expected))
    want = expected[i] if i < len(expected) else None
    got = actual[i] if i < len(actual) else None
    hint = _token_hint(want, got, text)
    return (
        f"expected {len(expected)} tokens {describe(expected)}, got {len(actual)}; first difference at "
        f"token {i}: expected {want!r}, got {got!r}" + (f" ({hint})" if hint else "")
    )


def check_tokenize(tokenize):
    """tokenize(text) -> list of str, equal to course_lib.text.word_tokenize(text) with its defaults."""
    rng = check_rng("ex06_nlp_preprocessing.check_tokenize")
    texts = FIXED_TEXTS + [random_text(rng) for _ in range(30)]
    for text in texts:
        out = call("tokenize", tokenize, text)
        fail_if(f"tokenize({text!r})", tokens_mismatch(out, word_tokenize(text), text))


def build_vocab_reference(token_streams, min_freq=1, max_size=None):
    """{token: id}: 0 = <pad>, 1 = <unk>, then tokens seen >= min_freq times by count, ties in order of first
    occurrence; at most max_size entries in all (the two specials included); None for no limit."""
    return Vocab(token_streams, min_freq=min_freq, max_size=max_size, pad=PAD, unk=UNK).get_stoi()


def random_streams(rng, n_streams=None, n_words=None):
    """Token streams over a small vocabulary with skewed counts, so that ties and rare tokens both occur."""
    n_streams = int(rng.integers(3, 9)) if n_streams is None else n_streams
    n_words = int(rng.integers(6, 15)) if n_words is None else n_words
    words = [f"w{i}" for i in rng.permutation(40)[:n_words]]
    weights = 1.0 / np.arange(1, n_words + 1)
    weights /= weights.sum()
    return [[words[i] for i in rng.choice(n_words, size=int(rng.integers(0, 9)), p=weights)]
            for _ in range(n_streams)]


def _vocab_hints(token_streams, min_freq, max_size):
    """(wrong vocabulary, hint) of typical mistakes."""
    counts = Counter(token for stream in token_streams for token in stream)  # first-occurrence order
    limit = None if max_size is None else max_size - 2  # room left after the specials
    kept = [token for token, count in counts.items() if count >= min_freq]
    ties = "ties keep the order of first occurrence: a stable sort of the tokens as first seen"
    alphabetical = sorted(kept, key=lambda t: (-counts[t], t))
    reverse_alphabetical = sorted(kept, key=lambda t: (counts[t], t), reverse=True)
    by_count = sorted(kept, key=lambda t: -counts[t])
    above = [t for t in sorted(counts, key=lambda t: -counts[t]) if counts[t] > min_freq]
    return [
        (_with_specials(alphabetical[:limit]), ties),
        (_with_specials(reverse_alphabetical[:limit]), ties),
        (_with_specials(above[:limit]), "keep tokens seen at least min_freq times (count >= min_freq)"),
        (_with_specials(by_count[:max_size]), "max_size counts every entry, the two specials included"),
    ]


def _with_specials(tokens):
    """{<pad>: 0, <unk>: 1, then the tokens in order}."""
    return {PAD: 0, UNK: 1, **{token: i + 2 for i, token in enumerate(tokens)}}


def vocab_mismatch(actual, expected, hints=()):
    """None if the dicts are equal, else the first wrong entry (and a hint when a known mistake matches)."""
    if not isinstance(actual, dict):
        return f"expected a dict {{token: id}}, got {type_name(actual)} {describe(actual)}"
    if actual == expected:
        return None
    hint = next((text for wrong, text in hints if actual == wrong), None)
    suffix = f" ({hint})" if hint else ""
    if actual.get(PAD) != 0 or actual.get(UNK) != 1:
        got = f"{PAD!r}: {actual.get(PAD)}, {UNK!r}: {actual.get(UNK)}"
        return f"ids 0 and 1 are {PAD!r} and {UNK!r}, got {got}"
    missing = [t for t in expected if t not in actual]
    extra = [t for t in actual if t not in expected]
    if missing or extra:
        return (f"expected {len(expected)} entries, got {len(actual)}; missing {describe(missing)}, "
                f"unexpected {describe(extra)}{suffix}")
    order = sorted(expected, key=expected.get)
    token = next(t for t in order if actual[t] != expected[t])
    return f"{token!r}: expected id {expected[token]}, got {actual[token]}{suffix}"


def _vocab_cases(rng):
    streams = random_streams(rng)
    total = sum(map(len, streams))
    return [
        (SLIDE_STREAMS, 1, None),
        (SLIDE_STREAMS, 1, 6),
        (SLIDE_STREAMS, 2, None),
        (streams, 1, None),
        (streams, 2, None),
        (streams, 1, int(rng.integers(3, 7))),
        (random_streams(rng, 6, 12), 2, 5),
        (streams, total + 1, None),  # no token is frequent enough
        (streams, 1, 2),  # room for the specials only
        ([], 1, None),  # an empty corpus
        ([[], ["solo"], []], 1, None),  # empty streams and a single token
    ]


def check_build_vocab(build_vocab):
    """build_vocab(token_streams, min_freq=1, max_size=None) -> {token: id}, as course_lib.text.Vocab."""
    rng = check_rng("ex06_nlp_preprocessing.check_build_vocab")
    for streams, min_freq, max_size in _vocab_cases(rng):
        out = call("build_vocab", build_vocab, streams, min_freq, max_size)
        expected = build_vocab_reference(streams, min_freq, max_size)
        shown = f"build_vocab({describe(streams)}, min_freq={min_freq}, max_size={max_size})"
        fail_if(shown, vocab_mismatch(out, expected, _vocab_hints(streams, min_freq, max_size)))


def encode_reference(tokens, vocab):
    """[vocab[t] for t in tokens], with the <unk> id, 1, for tokens not in vocab."""
    return [vocab.get(token, vocab[UNK]) for token in tokens]


def ids_mismatch(actual, expected):
    """None if `actual` is a list of the expected ints, else the first difference."""
    if not isinstance(actual, list):
        return f"expected a list of int, got {type_name(actual)} {describe(actual)}"
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in actual):
        return f"expected a list of int, got {describe(actual)}"
    if actual == expected:
        return None
    if len(actual) != len(expected):
        return f"expected {len(expected)} ids (one per token), got {len(actual)}"
    i = next(i for i, (a, e) in enumerate(zip(actual, expected, strict=True)) if a != e)
    hint = " (a token not in the vocabulary gets the id of <unk>, 1)" if expected[i] == 1 else ""
    return f"id {i}: expected {expected[i]}, got {actual[i]}{hint}"


def check_encode(encode):
    """encode(tokens, vocab) -> list of int: known tokens, unknown ones (<unk>), an empty list."""
    rng = check_rng("ex06_nlp_preprocessing.check_encode")
    streams = random_streams(rng, 8, 14)
    vocab = build_vocab_reference(streams, 2)
    known = [t for t in vocab if t not in (PAD, UNK)]
    unknown = ["zzz", "w99", "<UNK>", "the"]
    mixed = [str(rng.choice(known + unknown)) for _ in range(int(rng.integers(5, 12)))]
    for tokens in [mixed, known[:3], unknown, [], [known[0]]]:
        out = call("encode", encode, tokens, vocab)
        fail_if(f"encode({describe(tokens)}, vocab of {len(vocab)} entries)",
                ids_mismatch(out, encode_reference(tokens, vocab)))


def oov_rate_reference(token_streams, vocab):
    """Fraction of all tokens of the streams that are not in vocab; 0.0 when there are no tokens."""
    tokens = [token for stream in token_streams for token in stream]
    return sum(token not in vocab for token in tokens) / len(tokens) if tokens else 0.0


def check_oov_rate(oov_rate):
    """oov_rate(token_streams, vocab) -> float in [0, 1]; 0.0 for no tokens."""
    rng = check_rng("ex06_nlp_preprocessing.check_oov_rate")
    train = random_streams(rng, 8, 14)
    vocab = build_vocab_reference(train, 2)
    known = next(token for token in vocab if token not in (PAD, UNK))
    cases = [random_streams(rng, 6, 20), train, [["zzz", "yyy"], []], [], [[], []], [[UNK, "w1"]],
             [["zzz"], [known] * 3]]  # 1 of 4 tokens unknown, while the mean of the two streams' rates is 1/2
    for streams in cases:
        out = call("oov_rate", oov_rate, streams, vocab)
        expected = oov_rate_reference(streams, vocab)
        shown = f"oov_rate({describe(streams)}, vocab of {len(vocab)} entries)"
        if isinstance(out, bool) or not isinstance(out, (float, int, np.floating, np.integer)):
            raise CheckFailed(f"{shown}: expected a float, got {type_name(out)} {describe(out)}")
        if not abs(float(out) - expected) <= 1e-12:
            per_stream = np.mean([oov_rate_reference([s], vocab) for s in streams if s]) if streams else 0.0
            hint = " (count tokens over all streams together, not a mean of per-stream rates)" if (
                abs(float(out) - per_stream) <= 1e-12) else ""
            raise CheckFailed(f"{shown}: expected {expected:.6g}, got {float(out):.6g}{hint}")


def random_sequences(rng, n=None):
    """Ragged lists of int ids in [1, 50), some empty, some longer than the others."""
    n = int(rng.integers(3, 8)) if n is None else n
    return [rng.integers(1, 50, size=int(rng.integers(0, 9))).tolist() for _ in range(n)]


def _pad_hints(sequences, maxlen, padding, truncating, value):
    """(wrong batch, hint) of typical mistakes."""
    other = {"pre": "post", "post": "pre"}
    hints = [
        (pad_sequences_reference(sequences, maxlen, "int32", other[padding], truncating, value),
         f'padding="{padding}" puts the padding {"before" if padding == "pre" else "after"} the sequence'),
        (pad_sequences_reference(sequences, maxlen, "int32", padding, other[truncating], value),
         f'truncating="{truncating}" drops the {"first" if truncating == "pre" else "last"} elements'),
    ]
    if maxlen == 0:
        whole = pad_sequences_reference(sequences, None, "int32", padding, truncating, value)
        hints.append((whole, "seq[-0:] is the whole list: maxlen = 0 must keep nothing"))
    return hints


def _pad_cases(rng):
    sequences = random_sequences(rng)
    longest = max(map(len, sequences))
    short = int(rng.integers(1, max(longest, 2)))
    return [
        (sequences, {}),
        (sequences, {"padding": "post"}),
        (sequences, {"maxlen": short}),
        (sequences, {"maxlen": short, "truncating": "post", "padding": "post"}),
        (sequences, {"maxlen": short, "truncating": "post"}),
        (sequences, {"maxlen": longest + 3, "value": -1}),
        ([np.array(s) for s in sequences], {"maxlen": short, "padding": "post", "value": 7}),  # arrays
        ([[], [], []], {}),  # only empty sequences
        ([[], [], [5]], {"maxlen": 4, "padding": "post"}),
        (sequences, {"maxlen": 0}),
        ([], {}),  # no sequences at all
        ([[3, 1, 4]], {"maxlen": 2}),  # one sequence
    ]


def check_pad_sequences(pad_sequences):
    """pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0) -> (N, T) int32."""
    rng = check_rng("ex06_nlp_preprocessing.check_pad_sequences")
    for sequences, options in _pad_cases(rng):
        try:
            out = call("pad_sequences", pad_sequences, sequences, **options)
        except StudentError as failure:
            if options.get("maxlen") == 0:
                hint = "seq[-0:] is the whole list: maxlen = 0 keeps nothing"
                raise CheckFailed(f"{failure} ({hint})") from None
            raise
        settings = {"maxlen": None, "padding": "pre", "truncating": "pre", "value": 0, **options}
        expected = pad_sequences_reference(sequences, settings["maxlen"], "int32", settings["padding"],
                                           settings["truncating"], settings["value"])
        hints = _pad_hints(sequences, settings["maxlen"], settings["padding"], settings["truncating"],
                           settings["value"])
        shown = ", ".join([describe(sequences), *(f"{k}={v!r}" for k, v in options.items())])
        fail_if(f"pad_sequences({shown})", mismatch("batch", out, expected, None, hints))
    for option in ({"padding": "middle"}, {"truncating": "both"}):
        fail_if("", raises_mismatch("pad_sequences", pad_sequences, ValueError, [[1, 2], [3]], **option))


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="06_nlp_preprocessing",
    title="From text to a padded batch: tokenizer, vocabulary, encoding, padding",
    tasks=(
        Task("tokenize", 2, ("tokenize",), check_tokenize, "a word tokenizer with documented rules"),
        Task("build_vocab", 3, ("build_vocab",), check_build_vocab, "a vocabulary with <pad> and <unk>"),
        Task("encode", 1, ("encode",), check_encode, "tokens to ids"),
        Task("oov_rate", 1, ("oov_rate",), check_oov_rate, "out-of-vocabulary rate"),
        Task("pad_sequences", 3, ("pad_sequences",), check_pad_sequences, "Keras's pad_sequences"),
    ),
    forbidden={
        "tokenize": ("course_lib.text.word_tokenize",),
        "build_vocab": ("course_lib.text.Vocab.build",),
        "encode": ("course_lib.text.Vocab.encode",),
        "pad_sequences": ("course_lib.text.pad_sequences",),
    },
)
