"""Exercise 03 (the LSTM and GRU cells): the checks pass the reference implementations, name the typical
mistakes, and the grader gives half-done work its partial score."""

from pathlib import Path

import exercise_variants
import numpy as np
import pytest

import course_lib.numpy as cnp
from course_lib.grading.compare import CheckFailed
from course_lib.grading.exercises import ex03_lstm_gru
from course_lib.grading.runner import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "03_lstm_and_gru"


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


@pytest.mark.parametrize("repeat", range(5))
def test_checks_pass_the_reference_implementations(repeat):
    ex03_lstm_gru.check_sigmoid(cnp.sigmoid)
    ex03_lstm_gru.check_lstm_step_forward(cnp.lstm_step_forward)
    ex03_lstm_gru.check_lstm_step_backward(cnp.lstm_step_forward, cnp.lstm_step_backward)
    ex03_lstm_gru.check_gru_step_forward(cnp.gru_step_forward)
    ex03_lstm_gru.check_gru_step_backward(cnp.gru_step_forward, cnp.gru_step_backward)


def _ifog_lstm(x, h_prev, c_prev, params):
    """An LSTM that reads the gate blocks in the order i, f, o, g (CS231n's and Keras's)."""
    H = h_prev.shape[1]
    swapped = {key: np.concatenate([v[: 2 * H], v[3 * H :], v[2 * H : 3 * H]]) for key, v in params.items()}
    return cnp.lstm_step_forward(x, h_prev, c_prev, swapped)


def _tensorflow_lstm(x, h_prev, c_prev, params):
    """An LSTM that reads the gate blocks in TensorFlow's order i, g, f, o."""
    H = h_prev.shape[1]
    swapped = {
        key: np.concatenate([v[:H], v[2 * H : 3 * H], v[H : 2 * H], v[3 * H :]]) for key, v in params.items()
    }
    return cnp.lstm_step_forward(x, h_prev, c_prev, swapped)


def _lstm_without_tanh(x, h_prev, c_prev, params):
    _, c_next, cache = cnp.lstm_step_forward(x, h_prev, c_prev, params)
    return cache.o * c_next, c_next, cache


def _lstm_backward_without_h_path(dh_next, dc_next, cache):
    """Drops dh_next ⊙ o ⊙ tanh'(c) from dc: subtracting it from dc_next beforehand does exactly that."""
    return cnp.lstm_step_backward(dh_next, dc_next - dh_next * cache.o * (1 - cache.tanh_c**2), cache)


def _gru_z_swapped(x, h_prev, params):
    _, cache = cnp.gru_step_forward(x, h_prev, params)
    return cache.z * cache.n + (1 - cache.z) * h_prev, cache


def _gru_backward_without_direct_path(dh_next, cache):
    dx, dh_prev, grads = cnp.gru_step_backward(dh_next, cache)
    return dx, dh_prev - dh_next * cache.z, grads


MISTAKES = {
    "textbook-sigmoid": (ex03_lstm_gru.check_sigmoid, (lambda a: 1 / (1 + np.exp(-a)),), "overflow"),
    "float64-sigmoid": (
        ex03_lstm_gru.check_sigmoid, (lambda a: cnp.sigmoid(a.astype(np.float64)),), "expected dtype float32"
    ),
    "ifog-order": (ex03_lstm_gru.check_lstm_step_forward, (_ifog_lstm,), "torch's order i, f, g, o"),
    "tensorflow-order": (
        ex03_lstm_gru.check_lstm_step_forward, (_tensorflow_lstm,), "TensorFlow's gate order"
    ),
    "no-tanh-of-c": (
        ex03_lstm_gru.check_lstm_step_forward, (_lstm_without_tanh,), "h_next = o ⊙ tanh(c_next)"
    ),
    "lstm-backward-one-path": (
        ex03_lstm_gru.check_lstm_step_backward, (cnp.lstm_step_forward, _lstm_backward_without_h_path),
        "c_next reaches the loss through h_next too",
    ),
    "cho-gru": (
        ex03_lstm_gru.check_gru_step_forward, (cnp.cho_gru_step_forward,), "applies r after the matmul"
    ),
    "z-swapped": (ex03_lstm_gru.check_gru_step_forward, (_gru_z_swapped,), "(1 - z) ⊙ n + z ⊙ h_prev"),
    "gru-backward-no-direct-path": (
        ex03_lstm_gru.check_gru_step_backward, (cnp.gru_step_forward, _gru_backward_without_direct_path),
        "add dh_next ⊙ z to dh_prev",
    ),
    "gru-backward-on-a-wrong-forward": (
        ex03_lstm_gru.check_gru_step_backward, (cnp.cho_gru_step_forward, cnp.gru_step_backward),
        "object has no attribute 'hn'",  # the reference backward cannot read that cache
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, functions, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        for _ in range(3):  # a mistake that H = 1 can hide must show within 3 runs
            check(*functions)
    assert feedback in str(failure.value)


def test_lstm_backward_names_the_upstream_case():
    with pytest.raises(CheckFailed) as failure:
        ex03_lstm_gru.check_lstm_step_backward(cnp.lstm_step_forward, _lstm_backward_without_h_path)
    assert str(failure.value).startswith("lstm_step_backward(N=")
    assert "dh_next and dc_next random" in str(failure.value)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # The LSTM done; the GRU written as on the lecture's slide (Cho et al.'s reset), its backward a stub.
    cho_gru = (
        "def gru_step_forward(x, h_prev, params):\n"
        "    H = h_prev.shape[1]\n"
        "    W_hh, b_hh = params['weight_hh'], params['bias_hh']\n"
        "    gi = x @ params['weight_ih'].T + params['bias_ih']\n"
        "    rz = sigmoid(gi[:, :2 * H] + h_prev @ W_hh[:2 * H].T + b_hh[:2 * H])\n"
        "    r, z = rz[:, :H], rz[:, H:]\n"
        "    n = np.tanh(gi[:, 2 * H:] + (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:])\n"
        "    return (1 - z) * n + z * h_prev, None\n"
    )
    fill = ["sigmoid", "lstm_step_forward", "lstm_step_backward"]
    path = build_variant(tmp_path, fill=fill, replace={"gru_step_forward": cho_gru})
    report = grade_notebook(path, timeout=30)
    assert (report.score, report.max_score) == (1 + 2 + 3, 11)
    assert {t.id for t in report.tasks if t.passed} == set(fill)
    gru = report.task("gru_step_forward")
    assert gru.verdict == "failed" and "applies r after the matmul" in gru.feedback
    backward = report.task("gru_step_backward")
    # Graded on its own, not blamed on the wrong forward: the backward is still the stub.
    assert backward.verdict == "not implemented"
    assert "gru_step_backward is not implemented yet" in backward.feedback
