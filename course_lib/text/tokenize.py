"""Character- and word-level tokenizers with every normalisation choice made explicit.

Three tokenizers, from least to most opinionated:

    char_tokenize(text)          every Unicode character is a token (after NFC normalisation)
    text_to_word_sequence(text)  Keras's rule: lower-case, replace punctuation by spaces, split on spaces
    word_tokenize(text)          a regular-expression tokenizer with documented switches for case,
                                 punctuation, numbers and contractions

Decisions, stated once so the notebooks can point at them:
- Unicode: text is NFC-normalised first, so "é" typed as e + combining accent is one character.
  Curly apostrophes (’ ‘) become ASCII "'" in `word_tokenize`, so "don’t" and "don't" are one word.
- Case: `word_tokenize` lower-cases by default (as Keras does); `char_tokenize` keeps case by default,
  because a character model that writes text should be able to write capitals.
- Punctuation: dropped by default (Keras); `punctuation="keep"` makes every mark its own token.
- Numbers: "3.14", "1,000" and "2024" are one token each; `numbers="mask"` maps them all to "<num>",
  `numbers="drop"` removes them. Alphanumeric words ("covid-19", "19th", "mp3") are words, not numbers.
- Contractions: kept whole by default ("don't" is one token, like Keras, whose filters leave "'" alone);
  `contractions="split"` follows the Penn Treebank: "don't" -> "do", "n't"; "it's" -> "it", "'s";
  "can't" -> "ca", "n't". Other inner apostrophes ("o'clock", "rock'n'roll") never split.
- Hyphens inside a word keep it whole ("state-of-the-art"); Keras instead splits on "-".
"""

import re
import unicodedata

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
NUMBER_TOKEN = "<num>"

# A number: digits with inner "." or "," groups, not followed by a letter or digit ("19th" is a word).
_NUMBER = r"\d+(?:[.,]\d+)*(?![^\W_])"
# A word: letters/digits joined by single inner apostrophes or hyphens.
_WORD = r"[^\W_]+(?:['-][^\W_]+)*"
# Punctuation: any single character that is neither a word character nor space (and "_").
_PUNCT = r"[^\w\s]|_"
_TOKEN_RE = re.compile(f"(?P<number>{_NUMBER})|(?P<word>{_WORD})|(?P<punct>{_PUNCT})")
# Penn Treebank contraction suffixes, longest first so "n't" wins over "'t".
_CONTRACTION_RE = re.compile(r"(?i)^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$")


def _check_text(text):
    if not isinstance(text, str):
        raise ValueError(f"expected text as a str, got {type(text).__name__}: {text!r:.60}")


def char_tokenize(text, lower=False, keep_whitespace=True):
    """Split text into characters (after NFC normalisation).

    Args:
        text: a str. lower: lower-case first. keep_whitespace: keep spaces, tabs and newlines as tokens.
    Returns:
        list of one-character str; "".join of it is the normalised text when keep_whitespace is True.
    """
    _check_text(text)
    text = unicodedata.normalize("NFC", text)
    if lower:
        text = text.lower()
    return [c for c in text if keep_whitespace or not c.isspace()]


def text_to_word_sequence(text, filters=KERAS_FILTERS, lower=True, split=" "):
    """Keras's `text_to_word_sequence`: lower-case, replace each filter character by `split`, split.

    The apostrophe is not in the default filters, so "don't" stays one token, and "-" is, so
    "state-of-the-art" becomes four tokens. No Unicode normalisation (Keras does none).

    Args:
        text: a str. filters: characters replaced by `split`. lower: lower-case first. split: separator.
    Returns:
        list of non-empty str tokens.
    """
    _check_text(text)
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [token for token in text.split(split) if token]


def _split_contraction(word):
    match = _CONTRACTION_RE.match(word)
    if match is None:
        return [word]
    stem, suffix = match.groups()
    return [stem, suffix]


def word_tokenize(text, lower=True, punctuation="drop", numbers="keep", contractions="keep"):
    """Split text into words with documented rules (see the module docstring).

    Args:
        text: a str.
        lower: lower-case the text (after NFC normalisation).
        punctuation: "drop" (default, as Keras) or "keep" (each mark is a token).
        numbers: "keep" ("3.14" is one token), "mask" (every number becomes "<num>") or "drop".
        contractions: "keep" ("don't") or "split" (Penn Treebank: "do", "n't").
    Returns:
        list of str tokens, in text order.
    """
    _check_text(text)
    _check_choice("punctuation", punctuation, ("drop", "keep"))
    _check_choice("numbers", numbers, ("keep", "mask", "drop"))
    _check_choice("contractions", contractions, ("keep", "split"))
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")
    if lower:
        text = text.lower()
    tokens = []
    for match in _TOKEN_RE.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "number":
            if numbers != "drop":
                tokens.append(NUMBER_TOKEN if numbers == "mask" else token)
        elif kind == "word":
            tokens.extend(_split_contraction(token) if contractions == "split" else [token])
        elif punctuation == "keep":
            tokens.append(token)
    return tokens


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
