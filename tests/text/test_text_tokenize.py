"""Tokenizers: Keras's word rule, the course's documented word rules, characters."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text import char_tokenize, text_to_word_sequence, word_tokenize


def test_keras_rule_lowercases_and_drops_punctuation_but_not_apostrophes():
    text = "Hello, World!  It's state-of-the-art: 3.14\tok?"
    expected = ["hello", "world", "it's", "state", "of", "the", "art", "3", "14", "ok"]
    assert text_to_word_sequence(text) == expected
    assert text_to_word_sequence("A-B", filters="", lower=False) == ["A-B"]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, ["don't", "panic", "it's", "3.14", "not", "1,000", "state-of-the-art", "covid-19", "19th"]),
        (
            {"contractions": "split"},
            [
                "do",
                "n't",
                "panic",
                "it",
                "'s",
                "3.14",
                "not",
                "1,000",
                "state-of-the-art",
                "covid-19",
                "19th",
            ],
        ),
        (
            {"numbers": "mask"},
            ["don't", "panic", "it's", "<num>", "not", "<num>", "state-of-the-art", "covid-19", "19th"],
        ),
        ({"numbers": "drop"}, ["don't", "panic", "it's", "not", "state-of-the-art", "covid-19", "19th"]),
        (
            {"punctuation": "keep"},
            [
                "don't",
                "panic",
                "!",
                "it's",
                "3.14",
                ",",
                "not",
                "1,000",
                "—",
                "state-of-the-art",
                "covid-19",
                "19th",
                ".",
            ],
        ),
    ],
    ids=["default", "split-contractions", "mask-numbers", "drop-numbers", "keep-punctuation"],
)
def test_word_tokenize_documented_rules(kwargs, expected):
    text = "Don’t panic! It's 3.14, not 1,000 — State-of-the-art covid-19 19th."
    assert word_tokenize(text, **kwargs) == expected


def test_word_tokenize_keeps_case_on_request_and_splits_penn_treebank_contractions():
    assert word_tokenize("We'll SEE", lower=False) == ["We'll", "SEE"]
    assert word_tokenize("can't I'm they're o'clock", contractions="split") == [
        "ca", "n't", "i", "'m", "they", "'re", "o'clock",
    ]  # fmt: skip


def _normalised(text):
    return unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")


@settings(deadline=None, max_examples=80)
@given(text=st.text(max_size=60))
def test_keeping_everything_loses_only_whitespace(text):
    tokens = word_tokenize(text, lower=False, punctuation="keep")
    assert "".join(tokens) == "".join(_normalised(text).split())
    assert all(token and not any(c.isspace() for c in token) for token in tokens)


@settings(deadline=None, max_examples=60)
@given(text=st.text(max_size=60))
def test_char_tokenize_round_trips_normalised_text(text):
    tokens = char_tokenize(text)
    assert "".join(tokens) == unicodedata.normalize("NFC", text)
    assert all(len(token) == 1 for token in tokens)


def test_char_tokenize_normalises_combining_accents_and_can_drop_whitespace():
    assert char_tokenize("Cafe\u0301 ok") == ["C", "a", "f", "é", " ", "o", "k"]
    assert char_tokenize("A b\n", lower=True, keep_whitespace=False) == ["a", "b"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: word_tokenize(["not", "a", "str"]),
        lambda: char_tokenize(b"bytes"),
        lambda: text_to_word_sequence(None),
        lambda: word_tokenize("x", numbers="round"),
        lambda: word_tokenize("x", punctuation="strip"),
        lambda: word_tokenize("x", contractions="expand"),
    ],
    ids=["list", "bytes", "none", "numbers", "punctuation", "contractions"],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError, match="expected|must be one of"):
        call()
