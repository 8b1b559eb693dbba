"""Exercise 02 (the RNN forward and backward): the checks pass the reference implementations, name the
typical mistakes, and the grader gives half-done work its partial score."""

from pathlib import Path

import exercise_variants
import numpy as np
import pytest

import course_lib.numpy as cnp
from course_lib.check import numerical_gradient
from course_lib.grading.compare import CheckFailed, NotImplementedYet
from course_lib.grading.exercises import ex02_rnn
from course_lib.grading.runner import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "02_rnn_forward_backward"


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


@pytest.mark.parametrize("repeat", range(5))
def test_checks_pass_the_reference_implementations(repeat):
    # Each run draws new sizes and values: the references must pass every time (no flaky check).
    ex02_rnn.check_rnn_step_forward(cnp.rnn_step_forward)
    ex02_rnn.check_numerical_gradient(numerical_gradient)
    ex02_rnn.check_rnn_step_backward(cnp.rnn_step_forward, cnp.rnn_step_backward)
    ex02_rnn.check_rnn_forward(cnp.rnn_forward)
    ex02_rnn.check_rnn_backward(cnp.rnn_forward, cnp.rnn_backward)


def _pre_activation(x, h, p):
    return x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]


def _no_carry_backward(dout, cache):
    """rnn_backward that forgets the gradient coming back from step t + 1."""
    steps = [
        cnp.rnn_step_backward(dout[:, t], cnp.rnn_step_forward(cache.x[t], cache.hs[t], cache.params)[1])
        for t in range(dout.shape[1])
    ]
    grads = {key: sum(step[2][key] for step in steps) for key in steps[0][2]}
    return np.stack([step[0] for step in steps], axis=1), steps[0][1], grads


def _last_only_backward(dout, cache):
    last = np.zeros_like(dout)
    last[:, -1] = dout[:, -1]
    return cnp.rnn_backward(last, cache)


def _transposed_dh_prev(dh_next, cache):
    dx, _, grads = cnp.rnn_step_backward(dh_next, cache)
    da = dh_next * (1 - cache.h_next**2)
    return dx, da @ cache.params["weight_hh"].T, grads


def _float32_steps(f, x, df=None, eps=1e-6):
    """Central differences on a copy that keeps x's dtype: float32 cannot resolve eps."""
    x = x.copy()
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = np.asarray(f(x), dtype=np.float64)
        x[i] = old - eps
        f_minus = np.asarray(f(x), dtype=np.float64)
        x[i] = old
        grad[i] = np.sum((f_plus - f_minus) if df is None else (f_plus - f_minus) * df) / (2 * eps)
    return grad


def _one_sided(f, x, df=None, eps=1e-6):
    """A forward difference: the slip the feedback must name (and show enough digits of)."""
    x = np.array(x, dtype=np.float64)
    base = f(x)
    df = np.ones_like(base) if df is None else df
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        moved = x.copy()
        moved[i] += eps
        grad[i] = np.sum(df * (f(moved) - base)) / eps
    return grad


def _early_states(x, h0, p):
    """rnn_forward that stores each state before its step updates it."""
    out, cache = cnp.rnn_forward(x, h0, p)
    start = np.zeros_like(out[:, 0]) if h0 is None else h0
    return np.concatenate([start[:, None], out[:, :-1]], axis=1), cache


MISTAKES = {
    "one-sided-differences": (
        ex02_rnn.check_numerical_gradient, (_one_sided,), "that is a one-sided difference"
    ),
    "states-one-step-early": (
        ex02_rnn.check_rnn_forward, (_early_states,), "store h once step t has updated it, not before"
    ),
    "no-tanh": (
        ex02_rnn.check_rnn_step_forward, (lambda x, h, p: (_pre_activation(x, h, p), None),),
        "apply tanh to the pre-activation",
    ),
    "one-bias": (
        ex02_rnn.check_rnn_step_forward,
        (lambda x, h, p: (np.tanh(_pre_activation(x, h, p) - p["bias_hh"]), None),),
        "add both biases",
    ),
    "no-cache": (
        ex02_rnn.check_rnn_step_forward, (lambda x, h, p: cnp.rnn_step_forward(x, h, p)[0],),
        "should return a tuple (h_next, cache)",
    ),
    "fixed-eps": (
        ex02_rnn.check_numerical_gradient, (lambda f, x, df=None, eps=1e-6: numerical_gradient(f, x, df),),
        "use the eps you are given",
    ),
    "float32-copy": (
        ex02_rnn.check_numerical_gradient, (_float32_steps,), "perturb a float64 copy of x",
    ),
    "transposed-dh_prev": (
        ex02_rnn.check_rnn_step_backward, (cnp.rnn_step_forward, _transposed_dh_prev),
        "dh_prev: max error",
    ),
    "wrong-backward-behind-a-wrong-forward": (
        ex02_rnn.check_rnn_step_backward,
        (lambda x, h, p: _without_bias_hh(cnp.rnn_step_forward, x, h, p), _transposed_dh_prev),
        "your rnn_step_forward is wrong here",
    ),
    "time-major-out": (
        ex02_rnn.check_rnn_forward,
        (lambda x, h0, p: (np.swapaxes(cnp.rnn_forward(x, h0, p)[0], 0, 1), None),),
        "out is batch-first",
    ),
    "last-dout-only": (
        ex02_rnn.check_rnn_backward, (cnp.rnn_forward, _last_only_backward), "not only at the last",
    ),
    "no-carry": (
        ex02_rnn.check_rnn_backward, (cnp.rnn_forward, _no_carry_backward), "carry the gradient back",
    ),
}


def _without_bias_hh(forward, x, h, p):
    """forward run without bias_hh, returning a cache that holds the params it was given (a typical slip)."""
    out, cache = forward(x, h, {**p, "bias_hh": np.zeros_like(p["bias_hh"])})
    return out, cache._replace(params=p)


def _plus_one(forward, x, h, p):
    """forward's output plus 1 (a wrong forward whose gradients equal the reference's), with its own cache."""
    out, cache = forward(x, h, p)
    return out + 1, cache


@pytest.mark.parametrize(
    ("check", "forward"),
    [
        (ex02_rnn.check_rnn_step_backward, lambda x, h, p: _without_bias_hh(cnp.rnn_step_forward, x, h, p)),
        (ex02_rnn.check_rnn_step_backward, lambda x, h, p: _plus_one(cnp.rnn_step_forward, x, h, p)),
        (ex02_rnn.check_rnn_backward, lambda x, h, p: _without_bias_hh(cnp.rnn_forward, x, h, p)),
        (ex02_rnn.check_rnn_backward, lambda x, h, p: _plus_one(cnp.rnn_forward, x, h, p)),
    ],
    ids=["step-missing-bias_hh", "step-plus-one", "sequence-missing-bias_hh", "sequence-plus-one"],
)
def test_a_right_backward_earns_its_points_behind_a_wrong_forward(check, forward):
    backward = cnp.rnn_step_backward if check is ex02_rnn.check_rnn_step_backward else cnp.rnn_backward
    step = cnp.rnn_step_forward if check is ex02_rnn.check_rnn_step_backward else cnp.rnn_forward
    forward_check = ex02_rnn.check_rnn_forward
    if step is cnp.rnn_step_forward:
        forward_check = ex02_rnn.check_rnn_step_forward
    with pytest.raises(CheckFailed):
        forward_check(lambda x, h, p: forward(x, h, p))  # the forward is wrong ...
    check(forward, backward)  # ... and the right backward behind it passes


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, functions, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        for _ in range(3):  # a mistake that the sizes can hide (T = 1, H = 1) must show within 3 runs
            check(*functions)
    assert feedback in str(failure.value)


def test_feedback_shows_enough_digits_to_tell_the_numbers_apart():
    with pytest.raises(CheckFailed) as failure:
        ex02_rnn.check_numerical_gradient(_one_sided)
    expected, got = str(failure.value).split("(expected ")[1].split(")")[0].split(", got ")
    assert expected != got and float(expected) != float(got)


def test_feedback_names_the_array_the_position_and_gives_each_hint_once():
    with pytest.raises(CheckFailed) as failure:
        ex02_rnn.check_rnn_backward(cnp.rnn_forward, _no_carry_backward)
    text = str(failure.value)
    assert text.startswith("rnn_backward(N=") and "dx: max error" in text and " at [" in text
    assert text.count("carry the gradient back") == 1
    assert "also wrong: weight_hh, bias_ih, bias_hh" in text


def test_stub_is_reported_as_not_implemented():
    def stub(x, h_prev, params):
        raise NotImplementedError("compute a")

    with pytest.raises(NotImplementedYet, match="hint: compute a"):
        ex02_rnn.check_rnn_step_forward(stub)


def test_a_backward_check_says_when_it_waits_for_the_forward_stub():
    def stub(x, h0, params):
        raise NotImplementedError("loop over t")

    with pytest.raises(NotImplementedYet) as failure:
        ex02_rnn.check_rnn_backward(stub, cnp.rnn_backward)
    assert str(failure.value) == (
        "rnn_forward is not implemented yet (hint: loop over t); "
        "the check of rnn_backward runs it first, for its cache"
    )


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # The forward passes and the numerical gradient done, both backward passes still stubs.
    done = {"rnn_step_forward", "numerical_gradient", "rnn_forward"}
    report = grade_notebook(build_variant(tmp_path, fill=done), timeout=30)
    assert (report.score, report.max_score) == (2 + 2 + 2, 12)
    assert {t.id for t in report.tasks if t.passed} == done
    for task in ("rnn_step_backward", "rnn_backward"):
        assert report.task(task).verdict == "not implemented"
        assert f"{task} is not implemented yet" in report.task(task).feedback


@pytest.mark.slow
def test_wrong_bptt_fails_with_a_hint_and_the_rest_passes(tmp_path):
    no_carry = (
        "def rnn_backward(dout, cache):\n"
        "    steps = [rnn_step_backward(dout[:, t], cache[t]) for t in range(dout.shape[1])]\n"
        "    grads = {key: sum(s[2][key] for s in steps) for key in steps[0][2]}\n"
        "    return np.stack([s[0] for s in steps], axis=1), steps[0][1], grads\n"
    )
    tasks = ["rnn_step_forward", "numerical_gradient", "rnn_step_backward", "rnn_forward"]
    path = build_variant(tmp_path, fill=tasks, replace={"rnn_backward": no_carry})
    report = grade_notebook(path, timeout=30)
    assert report.score == 12 - 3
    bptt = report.task("rnn_backward")
    assert bptt.verdict == "failed"
    assert "carry the gradient back" in bptt.feedback
