"""Vocab: Keras's ordering on the lecture example, specials, limits, round trips, JSON."""

import doctest
import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text import Vocab, char_tokenize, text_to_word_sequence
from course_lib.text import vocab as vocab_module

SENTENCES = [
    "I love neural network",
    "I love deep learning",
    "You love neural network",
    "Do you think deep learning is good?",
]
# What keras.preprocessing.text.Tokenizer().fit_on_texts(SENTENCES) gives: counts into an OrderedDict
# (first occurrence), then a stable sort by count, descending.
KERAS_WORD_INDEX = {
    "love": 1,
    "i": 2,
    "neural": 3,
    "network": 4,
    "deep": 5,
    "learning": 6,
    "you": 7,
    "do": 8,
    "think": 9,
    "is": 10,
    "good": 11,
}
KERAS_SEQUENCES = [[2, 1, 3, 4], [2, 1, 5, 6], [7, 1, 3, 4], [8, 7, 9, 5, 6, 10, 11]]
# The slide's index: not reproducible by Keras (you-3 jumps ahead of neural, good-10 ahead of is).
SLIDE_WORD_INDEX = {
    "love": 1, "i": 2, "you": 3, "neural": 4, "network": 5, "deep": 6,
    "learning": 7, "do": 8, "think": 9, "good": 10, "is": 11,
}  # fmt: skip


@pytest.fixture
def streams():
    return [text_to_word_sequence(sentence) for sentence in SENTENCES]


def test_lecture_example_gives_keras_word_index(streams):
    vocab = Vocab.build(streams, unk=None)
    assert vocab.get_itos()[0] == "<pad>"
    assert {token: i for token, i in vocab.get_stoi().items() if i > 0} == KERAS_WORD_INDEX
    assert vocab.encode_batch(streams) == KERAS_SEQUENCES


def test_slide_ordering_differs_from_keras(streams):
    vocab = Vocab.build(streams, unk=None)
    differing = {token for token, i in SLIDE_WORD_INDEX.items() if vocab[token] != i}
    assert differing == {"you", "neural", "network", "deep", "learning", "good", "is"}
    # "you" and "i" both occur twice; "i" occurs first, then "neural", "network", "deep", "learning".
    assert vocab.counts["you"] == vocab.counts["neural"] == 2


def test_oov_token_takes_index_1_like_keras(streams):
    vocab = Vocab.build(streams)  # unk="<unk>" by default
    assert vocab.unk_id == 1 and vocab.id_to_token(1) == "<unk>"
    assert {token: vocab[token] - 1 for token in KERAS_WORD_INDEX} == KERAS_WORD_INDEX
    assert vocab.encode(["i", "hate", "rnns"]) == [3, 1, 1]


def test_without_unk_unknown_tokens_raise_or_are_skipped(streams):
    vocab = Vocab.build(streams, unk=None)
    assert vocab.unk_id is None and "<unk>" not in vocab
    with pytest.raises(KeyError, match="hate"):
        vocab.encode(["i", "hate"])
    assert vocab.encode(["i", "hate", "love"], skip_unknown=True) == [2, 1]  # Keras texts_to_sequences


def test_lookups_len_and_contains(streams):
    vocab = Vocab.build(streams, bos="<bos>", eos="<eos>")
    assert len(vocab) == 4 + 11
    assert vocab.get_itos()[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert "love" in vocab and "hate" not in vocab
    assert vocab["love"] == vocab.token_to_id("love") == 4
    assert vocab.id_to_token(4) == "love"
    assert vocab["hate"] == vocab.unk_id


def test_bos_and_eos_are_added_and_stripped(streams):
    vocab = Vocab.build(streams, bos="<bos>", eos="<eos>")
    ids = vocab.encode(["i", "love"])
    assert ids[0] == vocab.bos_id and ids[-1] == vocab.eos_id and len(ids) == 4
    assert vocab.encode(["i", "love"], add_special=False) == ids[1:-1]
    assert vocab.decode(ids) == ["i", "love"]
    assert vocab.decode(ids, skip_special=False) == ["<bos>", "i", "love", "<eos>"]
    assert vocab.decode([0, 0] + ids) == ["i", "love"]  # padding is skipped too


def test_min_freq_and_max_size(streams):
    frequent = Vocab.build(streams, min_freq=2, unk=None)
    assert frequent.get_itos()[1:] == ["love", "i", "neural", "network", "deep", "learning", "you"]
    small = Vocab.build(streams, max_size=4)  # <pad>, <unk> and the two most frequent tokens
    assert small.get_itos() == ["<pad>", "<unk>", "love", "i"]
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build(streams, max_size=1)
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build(streams, min_freq=0)


tokens_strategy = st.lists(
    st.sampled_from(list("abcdefgh")) | st.text("xyz", min_size=2, max_size=3), max_size=30
)


@settings(deadline=None, max_examples=60)
@given(streams=st.lists(tokens_strategy, max_size=5), max_size=st.none() | st.integers(2, 8))
def test_order_is_count_descending_then_first_occurrence(streams, max_size):
    vocab = Vocab.build(streams, max_size=max_size)
    counts = Counter(token for stream in streams for token in stream)
    first_seen = {}
    for token in (token for stream in streams for token in stream):
        first_seen.setdefault(token, len(first_seen))
    expected = sorted(counts, key=lambda token: (-counts[token], first_seen[token]))
    if max_size is not None:
        expected = expected[: max_size - 2]
        assert len(vocab) <= max_size
    assert vocab.get_itos() == ["<pad>", "<unk>", *expected]


@settings(deadline=None, max_examples=60)
@given(streams=st.lists(tokens_strategy, min_size=1, max_size=5), data=st.data())
def test_decode_encode_round_trip_for_in_vocabulary_tokens(streams, data):
    vocab = Vocab.build(streams, bos="<s>", eos="</s>")
    known = sorted({token for stream in streams for token in stream})
    sentence = data.draw(st.lists(st.sampled_from(known), max_size=10)) if known else []
    ids = vocab.encode(sentence)
    assert all(0 < i < len(vocab) for i in ids)
    assert vocab.decode(ids) == sentence


@settings(deadline=None, max_examples=60)
@given(text=st.text(max_size=40))
def test_character_vocab_round_trips_text(text):
    vocab = Vocab.build([char_tokenize(text)], unk=None)
    assert "".join(vocab.decode(vocab.encode(char_tokenize(text)))) == "".join(char_tokenize(text))


def test_save_and_load_round_trip(tmp_path, streams):
    vocab = Vocab.build([*streams, ["café", "naïve", "日本"]], bos="<bos>", eos=None)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    loaded = Vocab.load(path)
    assert loaded == vocab
    assert loaded.get_itos() == vocab.get_itos() and loaded.specials == vocab.specials
    assert loaded.counts == vocab.counts
    assert json.loads(path.read_text(encoding="utf-8"))["itos"][3] == "love"


def test_load_rejects_other_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"itos": ["a"]}))
    with pytest.raises(ValueError, match="format"):
        Vocab.load(path)


@pytest.mark.parametrize(
    "bad_id", [1.5, "3", None, -1, 99, True], ids=["float", "str", "none", "negative", "big", "bool"]
)
def test_decode_rejects_non_integer_or_out_of_range_ids(streams, bad_id):
    vocab = Vocab.build(streams)
    with pytest.raises(ValueError, match="expected an"):
        vocab.decode([2, bad_id])


def test_decode_accepts_numpy_integers_and_integral_floats(streams):
    vocab = Vocab.build(streams, unk=None)
    assert vocab.decode(np.array([2, 1])) == ["i", "love"]
    assert vocab.decode(np.array([2.0, 1.0])) == ["i", "love"]


def test_constructor_counts_streams_and_accepts_keras_oov_token(streams):
    assert Vocab(streams, unk=None) == Vocab.build(streams, unk=None)
    assert Vocab(streams, oov_token=None).unk_id is None
    keras_oov = Vocab(streams, oov_token="<OOV>")
    assert keras_oov.get_itos()[:3] == ["<pad>", "<OOV>", "love"]
    assert keras_oov.encode(["i", "hate"]) == [3, 1]


def test_a_flat_token_list_is_one_stream():
    assert Vocab(["b", "a", "b", " "], unk=None).get_itos() == ["<pad>", "b", "a", " "]


def test_explicit_order_with_from_itos():
    vocab = Vocab.from_itos(["z", "y", "<unk>"], bos="<s>")
    assert vocab.get_itos() == ["<pad>", "<unk>", "<s>", "z", "y"]
    assert vocab.counts == {}


@pytest.mark.parametrize(
    "corpus, match",
    [
        (["I love rnns"], "raw text"),
        ([[1, 2]], "int"),
        ([["a"], "b"], "mixes"),
        ([["a"], 3], "expected token sequences"),
    ],
    ids=["raw-text", "int-tokens", "mixed", "non-iterable"],
)
def test_bad_corpora_raise_value_error(corpus, match):
    with pytest.raises(ValueError, match=match):
        Vocab(corpus)


def test_bad_specials_and_raw_text_to_encode():
    with pytest.raises(ValueError, match="tokenize"):
        Vocab([["a"]]).encode("a")
    with pytest.raises(ValueError, match="distinct"):
        Vocab([["a"]], unk="<pad>")
    with pytest.raises(ValueError, match="pad must be a str"):
        Vocab([["a"]], pad=None)


def test_module_docstring_examples_run():
    failures, attempted = doctest.testmod(vocab_module)
    assert attempted > 0 and failures == 0
