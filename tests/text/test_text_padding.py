"""pad_sequences against a hand-written reference of Keras's documented behaviour; lengths, masks, unpad."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text import lengths_from_padded, mask_from_lengths, pad_sequences, unpad

SLIDE_SEQUENCES = [[2, 1, 4, 5], [2, 1, 6, 7], [3, 1, 4, 5], [8, 3, 9, 6, 7, 11, 10]]
MIXED = [[1, 2, 3, 4, 5, 6, 7], [], [8], [9, 10, 11]]


def keras_reference(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    """Keras's documented rule, written as plainly as possible (lists, no NumPy)."""
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    rows = []
    for sequence in sequences:
        kept = list(sequence)
        if len(kept) > maxlen:
            kept = kept[len(kept) - maxlen :] if truncating == "pre" else kept[:maxlen]
        fill = [value] * (maxlen - len(kept))
        rows.append(fill + kept if padding == "pre" else kept + fill)
    return rows


def test_slide_example_is_pre_padded_to_4_by_7():
    padded = pad_sequences(SLIDE_SEQUENCES)
    assert padded.shape == (4, 7) and padded.dtype == np.int32
    np.testing.assert_array_equal(padded[:3, :3], 0)
    np.testing.assert_array_equal(padded[0], [0, 0, 0, 2, 1, 4, 5])
    np.testing.assert_array_equal(padded[3], [8, 3, 9, 6, 7, 11, 10])


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
        ({"value": -1}, [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]),
        ({"padding": "post"}, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
        ({"maxlen": 2}, [[0, 1], [2, 3], [5, 6]]),
    ],
    ids=["default", "value", "post", "maxlen"],
)
def test_keras_docstring_examples(kwargs, expected):
    padded = pad_sequences([[1], [2, 3], [4, 5, 6]], **kwargs)
    np.testing.assert_array_equal(padded, expected)
    assert padded.dtype == np.int32


COMBINATIONS = list(itertools.product(["pre", "post"], ["pre", "post"], [None, 0, 1, 3, 7, 10], [0, -1]))


@pytest.mark.parametrize(
    "padding, truncating, maxlen, value",
    COMBINATIONS,
    ids=[f"pad={p}-trunc={t}-maxlen={m}-value={v}" for p, t, m, v in COMBINATIONS],
)
def test_every_padding_truncating_maxlen_value_matches_reference(padding, truncating, maxlen, value):
    padded = pad_sequences(MIXED, maxlen, "int64", padding, truncating, value)
    expected = keras_reference(MIXED, maxlen, padding, truncating, value)
    assert padded.shape == (len(MIXED), len(expected[0]))
    np.testing.assert_array_equal(padded, np.array(expected, dtype=np.int64).reshape(padded.shape))


@settings(deadline=None, max_examples=60)
@given(
    sequences=st.lists(st.lists(st.integers(-1000, 1000), max_size=8), max_size=6),
    maxlen=st.none() | st.integers(0, 10),
    padding=st.sampled_from(["pre", "post"]),
    truncating=st.sampled_from(["pre", "post"]),
    value=st.integers(-5, 5),
)
def test_matches_reference_on_random_sequences(sequences, maxlen, padding, truncating, value):
    padded = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=value)
    expected = keras_reference(sequences, maxlen, padding, truncating, value)
    T = maxlen if maxlen is not None else max((len(s) for s in sequences), default=0)
    assert padded.shape == (len(sequences), T)
    assert padded.tolist() == expected


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64", "int8"])
def test_output_has_the_requested_dtype(dtype):
    padded = pad_sequences([[1, 2], [3]], dtype=dtype, value=7)
    assert padded.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(padded, [[1, 2], [7, 3]])


def test_float_dtype_keeps_float_values_and_float_padding():
    padded = pad_sequences([[0.5, 1.5], [2.5]], dtype="float32", padding="post", value=np.nan)
    np.testing.assert_array_equal(padded, np.array([[0.5, 1.5], [2.5, np.nan]], dtype=np.float32))


def test_empty_sequences_give_rows_of_value():
    padded = pad_sequences([[], [1, 2], []], value=9)
    np.testing.assert_array_equal(padded, [[9, 9], [1, 2], [9, 9]])
    np.testing.assert_array_equal(pad_sequences([[], []]), np.zeros((2, 0)))


@pytest.mark.parametrize("maxlen, expected_shape", [(None, (0, 0)), (5, (0, 5)), (0, (0, 0))])
def test_no_sequences_give_zero_rows(maxlen, expected_shape):
    padded = pad_sequences([], maxlen=maxlen)
    assert padded.shape == expected_shape and padded.dtype == np.int32


def test_maxlen_zero_gives_zero_columns():
    assert pad_sequences(SLIDE_SEQUENCES, maxlen=0).shape == (4, 0)


def test_sequences_of_vectors_keep_their_sample_shape():
    sequences = [np.ones((2, 3)), np.full((4, 3), 2.0)]
    padded = pad_sequences(sequences, dtype="float32", padding="post")
    assert padded.shape == (2, 4, 3)
    np.testing.assert_array_equal(padded[0, 2:], 0)
    np.testing.assert_array_equal(padded[1], 2)


def test_object_dtype_pads_strings_like_keras():
    padded = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert padded.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_str_padding_value_like_keras():
    """Keras's test_pad_sequences_str: object dtype pads and truncates strings; int32 raises its message."""
    sequences = [["1"], ["1", "2"], ["1", "2", "3"]]
    padded = pad_sequences(sequences, maxlen=3, padding="pre", value="pad", dtype=object)
    assert padded.tolist() == [["pad", "pad", "1"], ["pad", "1", "2"], ["1", "2", "3"]]
    padded = pad_sequences(sequences, maxlen=2, truncating="post", value="pad", dtype="<U3")
    assert padded.tolist() == [["pad", "1"], ["1", "2"], ["1", "2"]]
    keras_message = ("`dtype` int32 is not compatible with `value`'s type: <class 'str'>\n"
                     "You should set `dtype=object` for variable length strings.")
    with pytest.raises(ValueError) as error:
        pad_sequences(sequences, maxlen=2, truncating="post", value="pad")
    assert str(error.value) == keras_message
    with pytest.raises(ValueError, match="`dtype` float32 is not compatible"):
        pad_sequences([["1"]], value="pad", dtype="float32")
    with pytest.raises(ValueError, match="`dtype` S3 is not compatible"):  # bytes, as in Keras
        pad_sequences([["1"]], value="pad", dtype="S3")
    # The one deliberate difference: the string "object" means dtype object (Keras rejects it).
    assert pad_sequences([["1"]], maxlen=2, value="pad", dtype="object").tolist() == [["pad", "1"]]


def test_input_is_not_modified():
    sequences = [np.array([1, 2, 3]), [4]]
    pad_sequences(sequences, maxlen=2, truncating="post")
    np.testing.assert_array_equal(sequences[0], [1, 2, 3])
    assert sequences[1] == [4]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": "middle"}, "padding"),
        ({"truncating": "both"}, "truncating"),
        ({"maxlen": -1}, "maxlen"),
        ({"maxlen": 2.5}, "maxlen"),
        ({"maxlen": "3"}, "maxlen"),
    ],
    ids=["padding", "truncating", "negative-maxlen", "float-maxlen", "str-maxlen"],
)
def test_invalid_options_raise_even_when_unused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences([[1, 2]], **kwargs)


@pytest.mark.parametrize(
    "sequences, match",
    [
        ([[1, 2.5]], "integer values"),
        ([[1, float("nan")]], "integer values"),
        ([[1, [2, 3]]], "ragged"),
        ([[1, 2], 3], "element 1"),
        (["abc"], "element 0"),
        ([[np.ones(2)], [np.ones(3)]], "shape"),
        ([["a", "b"]], "expected numbers"),
    ],
    ids=["fraction", "nan", "ragged", "scalar-element", "str-element", "sample-shape", "str-with-int-dtype"],
)
def test_bad_sequences_raise_value_error(sequences, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences(sequences)


def test_integral_floats_are_accepted_with_integer_dtype():
    np.testing.assert_array_equal(pad_sequences([[1.0, 2.0]]), [[1, 2]])


def test_values_that_do_not_fit_the_dtype_raise_instead_of_wrapping():
    with pytest.raises(ValueError, match="int8"):
        pad_sequences([np.array([300])], dtype="int8")
    with pytest.raises(ValueError, match="not compatible"):
        pad_sequences([[1]], value="x")
    with pytest.raises(ValueError, match="integer values"):
        pad_sequences([[1]], value=0.5)


sequences_strategy = st.lists(st.lists(st.integers(1, 50), max_size=7), min_size=1, max_size=6)


@settings(deadline=None, max_examples=60)
@given(sequences=sequences_strategy, padding=st.sampled_from(["pre", "post"]), extra=st.integers(0, 3))
def test_pad_then_unpad_restores_the_sequences(sequences, padding, extra):
    maxlen = max(len(s) for s in sequences) + extra
    padded = pad_sequences(sequences, maxlen=maxlen, padding=padding)
    lengths = lengths_from_padded(padded, value=0, padding=padding)
    np.testing.assert_array_equal(lengths, [len(s) for s in sequences])
    assert unpad(padded, lengths, padding=padding) == sequences
    mask = mask_from_lengths(lengths, maxlen, padding=padding)
    np.testing.assert_array_equal(mask, padded != 0)  # ids >= 1, so only padding is 0


@settings(deadline=None, max_examples=40)
@given(lengths=st.lists(st.integers(0, 6), max_size=6), padding=st.sampled_from(["pre", "post"]))
def test_mask_counts_the_lengths_on_the_right_side(lengths, padding):
    mask = mask_from_lengths(lengths, 6, padding=padding)
    assert mask.shape == (len(lengths), 6) and mask.dtype == bool
    np.testing.assert_array_equal(mask.sum(axis=1), lengths)
    real_side = mask[:, -1] if padding == "pre" else mask[:, 0]
    np.testing.assert_array_equal(real_side, np.array(lengths) > 0)


def test_lengths_allow_the_padding_value_away_from_the_padding_side():
    batch = np.array([[0, 0, 3, 0, 4], [5, 0, 0, 0, 0]])
    np.testing.assert_array_equal(lengths_from_padded(batch, padding="pre"), [3, 5])
    np.testing.assert_array_equal(lengths_from_padded(batch, padding="post"), [5, 1])


def test_lengths_from_feature_batches_and_nan_padding():
    batch = np.zeros((2, 3, 2))
    batch[0, 2] = [1.0, 0.0]  # a step is padding only when every feature equals value
    np.testing.assert_array_equal(lengths_from_padded(batch), [1, 0])
    nan_batch = pad_sequences([[1.0], [2.0, 3.0]], dtype="float64", padding="post", value=np.nan)
    np.testing.assert_array_equal(lengths_from_padded(nan_batch, value=np.nan, padding="post"), [1, 2])


def test_mask_default_maxlen_and_errors():
    np.testing.assert_array_equal(mask_from_lengths([1, 2]), [[False, True], [True, True]])
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        mask_from_lengths([3], maxlen=2)
    with pytest.raises(ValueError, match="integer"):
        mask_from_lengths([1.5], maxlen=2)
    with pytest.raises(ValueError, match="padding"):
        mask_from_lengths([1], 2, padding="left")


def test_unpad_checks_its_inputs():
    with pytest.raises(ValueError, match="2 lengths"):
        unpad(np.zeros((2, 3), dtype=int), [1])
    with pytest.raises(ValueError, match="shape"):
        unpad(np.zeros(3), [1])
