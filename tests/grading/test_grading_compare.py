"""Feedback helpers and exercise 01's checks, in-process: the right answer passes, each typical
mistake fails with a message that names what is wrong."""

import numpy as np
import pytest

from course_lib.grading.compare import (
    CheckFailed,
    NotImplementedYet,
    StudentError,
    array_mismatch,
    call,
    fail_if,
    int_mismatch,
    raises_mismatch,
    unpack,
)
from course_lib.grading.exercises import ex01_windows as ex01


def test_array_mismatch_reports_type_shape_dtype_then_values():
    expected = np.zeros((4, 5))
    assert array_mismatch("dh", expected.copy(), expected) is None
    assert array_mismatch("dh", (1, 2), expected) == "dh: expected a numpy.ndarray, got tuple"
    assert array_mismatch("dh", np.zeros((5, 4)), expected) == "dh: expected shape (4, 5), got (5, 4)"
    assert array_mismatch("dh", np.zeros((4, 5), np.float32), expected) == (
        "dh: expected dtype float64, got float32"
    )
    wrong = expected.copy()
    wrong[0, 2], wrong[3, 1] = 0.32, 1e-3
    assert array_mismatch("dh", wrong, expected) == (
        "dh: max error 3.2e-01 at [0, 2] (expected 0, got 0.32); 2 of 20 entries outside tolerance"
    )
    wrong[1, 1] = np.nan
    assert "max error inf at [1, 1]" in array_mismatch("dh", wrong, expected)


def test_array_mismatch_is_exact_for_integers_and_uses_dtype_tolerances_for_floats():
    ids = np.arange(6).reshape(2, 3)
    other = ids.copy()
    other[1, 0] = 9
    assert array_mismatch("X", other, ids) == "X: 1 of 6 entries differ; first at [1, 0]: expected 3, got 9"
    x = np.ones(3, np.float32)
    assert array_mismatch("x", x + np.float32(1e-6), x) is None  # within float32's tolerance
    assert array_mismatch("x", np.ones(3) + 1e-6, np.ones(3)) is not None  # not within float64's


def test_int_mismatch():
    assert int_mismatch("n", np.int64(7), 7) is None
    assert int_mismatch("n", 7.0, 7) == "n: expected an int, got float 7.0"
    assert int_mismatch("n", True, 1) == "n: expected an int, got bool True"
    assert int_mismatch("n", 8, 7) == "n: expected 7, got 8"


def test_call_turns_student_failures_into_feedback():
    def stub(x):
        raise NotImplementedError("use np.sum")

    with pytest.raises(NotImplementedYet, match=r"f is not implemented yet \(hint: use np.sum\)"):
        call("f", stub, 1)
    with pytest.raises(StudentError, match=r"f\(2\) raised ZeroDivisionError: division by zero"):
        call("f", lambda x: x / 0, 2)
    with pytest.raises(StudentError, match="called exit"):
        call("f", lambda x: exit(), 2)
    with pytest.raises(CheckFailed, match="f should be a function, got int 3"):
        call("f", 3, 1)

    def in_place(x):
        x[0] = 99
        return x

    with pytest.raises(StudentError, match="modified its input in place"):
        call("f", in_place, np.zeros(3))


def test_unpack_fail_if_and_raises_mismatch():
    assert unpack("f", (1, 2), ("X", "y")) == (1, 2)
    with pytest.raises(CheckFailed, match=r"f should return a tuple \(X, y\), got numpy.ndarray"):
        unpack("f", np.zeros(2), ("X", "y"))
    fail_if("case", None, None)
    with pytest.raises(CheckFailed, match="^case: a; b$"):
        fail_if("case", "a", None, "b")

    def strict(n):
        if n < 1:
            raise ValueError("n")
        return n

    assert raises_mismatch("g", strict, ValueError, 0) is None
    assert raises_mismatch("g", strict, ValueError, 2) == "g(2) should raise ValueError, but returned 2"
    assert "raised KeyError" in raises_mismatch("g", lambda n: {}[n], ValueError, 0)


REFERENCES = [
    (ex01.check_window_features, ex01.window_features_reference),
    (ex01.check_embed_window, ex01.embed_window_reference),
    (ex01.check_bag_of_words, ex01.bag_of_words_reference),
    (ex01.check_order_blind_pair, ("The dog bit the man", "the man bit THE dog")),
    (ex01.check_mlp_first_layer_params, ex01.mlp_first_layer_params_reference),
    (ex01.check_rnn_layer_params, ex01.rnn_layer_params_reference),
]


@pytest.mark.parametrize("check, answer", REFERENCES, ids=lambda v: getattr(v, "__name__", "pair"))
def test_reference_answers_pass(check, answer):
    check(answer)


def _no_value_error(token_ids, window):
    M = len(token_ids) - window
    return np.stack([token_ids[j : j + M] for j in range(window)], axis=1), token_ids[window:]


MISTAKES = [
    (
        ex01.check_window_features,
        lambda ids, w: ex01.window_features_reference(ids, w)[0],
        "should return a tuple",
    ),
    (
        ex01.check_window_features,
        lambda ids, w: tuple(a.T for a in ex01.window_features_reference(ids, w)),
        "X:",
    ),
    (
        ex01.check_window_features,
        lambda ids, w: tuple(a.astype(np.int64) for a in ex01.window_features_reference(ids, w)),
        "expected dtype int32, got int64",
    ),
    (ex01.check_window_features, _no_value_error, "should raise ValueError"),
    (ex01.check_embed_window, lambda X, E: E[X], "result: expected shape"),
    (ex01.check_embed_window, lambda X, E: E[X].transpose(0, 2, 1).reshape(len(X), -1), "max error"),
    (ex01.check_embed_window, lambda X, E: E[X].reshape(len(X), -1).astype(np.float64), "expected dtype"),
    (ex01.check_bag_of_words, lambda ids, V: np.bincount(ids), "counts: expected"),
    (ex01.check_bag_of_words, lambda ids, V: list(np.bincount(ids, minlength=V)), "expected a numpy.ndarray"),
    (ex01.check_order_blind_pair, ("the dog bit the man", "The dog bit the man"), "same order"),
    (ex01.check_order_blind_pair, ("the dog bit the man", "the man bit a dog"), "bags of words differ"),
    (ex01.check_order_blind_pair, "the dog bit the man", "tuple of two str"),
    (ex01.check_mlp_first_layer_params, lambda w, d, h: w * d * h, "(the bias: one per hidden unit)"),
    (ex01.check_rnn_layer_params, lambda d, h, n_biases=1: h * d + n_biases * h, "W_hh are H x H"),
    (ex01.check_rnn_layer_params, lambda d, h, n_biases=1: h * h + h * d + h, "n_biases=2): expected 20200"),
    (ex01.check_rnn_layer_params, lambda d, h, n_biases=1: d * d + h * d + n_biases * h, "expected"),
    (ex01.check_rnn_layer_params, lambda d, h, bias=True: h * h + h * d + h, "unexpected keyword argument"),
]


@pytest.mark.parametrize(
    "check, answer, message", MISTAKES, ids=[f"mistake{i}" for i in range(len(MISTAKES))]
)
def test_typical_mistakes_fail_with_a_precise_message(check, answer, message):
    with pytest.raises(AssertionError) as failure:
        check(answer)
    assert message in str(failure.value)


def test_mismatch_names_the_known_mistake_for_integer_and_float_arrays():
    from course_lib.grading.compare import mismatch

    ids = np.array([1, 2, 4], dtype=np.int32)
    off_by_one = np.array([1, 2, 3], dtype=np.int32)
    found = mismatch("ids", off_by_one, ids, hints=[(off_by_one, "off by one")])
    assert found.hint == "off by one" and found.endswith("(off by one)")
    assert mismatch("ids", ids.copy(), ids, hints=[(off_by_one, "off by one")]) is None

    expected = np.array([0.5, -0.25])
    wrong = -expected + 1e-7  # a known mistake matches within the looser hint tolerance
    assert mismatch("h", wrong, expected, hints=[(-expected, "sign flipped")]).hint == "sign flipped"
    assert mismatch("h", expected * 3, expected, hints=[(-expected, "sign flipped")]).hint is None
