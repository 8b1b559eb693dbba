"""Byte-level BPE: merges on a hand-checkable corpus, round trips on any text, persistence."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text import BPETokenizer, train_bpe
from course_lib.text.bpe import SPLIT_PATTERN

CORPUS = (
    "the cat sat on the mat. the dog sat on the log. "
    "a recurrent network reads the sequence one token at a time, and the hidden state carries the past. "
) * 3


@pytest.fixture(scope="module")
def tokenizer():
    tokenizer = BPETokenizer()
    tokenizer.train(CORPUS, 300)
    return tokenizer


def test_merges_follow_pair_counts_on_a_tiny_corpus():
    # Chunks: "ab", " ab", " ab". Pairs: (a, b) x3, (space, a) x2 -> merge (a, b) first.
    merges = train_bpe("ab ab ab", 260)
    assert merges == [(97, 98), (32, 256)]  # then " " + "ab"; no pairs left after that
    tokenizer = BPETokenizer(merges)
    assert tokenizer.encode("ab ab") == [256, 257]
    assert tokenizer.token_strings([256, 257]) == ["ab", " ab"]


def test_ties_go_to_the_smallest_pair():
    assert train_bpe("ba ab", 257) == [(32, 97)]  # (b, a), (space, a) and (a, b) each once


def test_train_returns_the_requested_number_of_merges(tokenizer):
    assert len(tokenizer.merges) == 300 - 256 and tokenizer.vocab_size == 300
    assert BPETokenizer().train(CORPUS, 300) == tokenizer.merges  # deterministic
    assert train_bpe("a", 300) == []  # nothing to merge: fewer merges, never an error


def test_merges_compress_the_training_text(tokenizer):
    ids = tokenizer.encode(CORPUS)
    assert len(ids) < len(CORPUS.encode("utf-8")) / 2
    assert all(0 <= i < tokenizer.vocab_size for i in ids)


@settings(deadline=None, max_examples=80)
@given(text=st.text(max_size=50))
def test_decode_encode_round_trip_on_any_text(tokenizer, text):
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == text
    assert len(ids) <= len(text.encode("utf-8"))


@settings(deadline=None, max_examples=80)
@given(text=st.text(max_size=50))
def test_chunks_cover_the_text(text):
    assert "".join(re.findall(SPLIT_PATTERN, text)) == text


def test_save_and_load(tmp_path, tokenizer):
    path = tmp_path / "bpe.json"
    tokenizer.save(path)
    loaded = BPETokenizer.load(path)
    assert loaded.merges == tokenizer.merges
    assert loaded.encode("the cat") == tokenizer.encode("the cat")


def test_bpe_bad_input_raises_value_error(tokenizer):
    with pytest.raises(ValueError, match="256"):
        train_bpe(CORPUS, 100)
    with pytest.raises(ValueError, match="integer id"):
        tokenizer.decode([1.5])
    with pytest.raises(ValueError, match=r"\[0, 300\)"):
        tokenizer.decode([300])
    with pytest.raises(ValueError, match="str"):
        tokenizer.encode(["the"])
    with pytest.raises(ValueError, match="not yet defined"):
        BPETokenizer([(256, 97)])
