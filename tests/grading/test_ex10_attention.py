"""Exercise 10 (attention): the checks pass right implementations, name the typical mistakes, grade a right
backward behind a wrong forward, and the grader gives half-done work its partial score."""

import math

import exercise_variants
import numpy as np
import pytest

from course_lib.grading.compare import CheckFailed, NotImplementedYet, StudentError
from course_lib.grading.exercises import ex10_attention as ex10
from course_lib.grading.runner import grade_notebook

NAME = "10_attention"


def masked_softmax(scores, mask):
    s = np.where(mask, scores, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def make_attention(softmax=masked_softmax, scale=True, extra_dim=False):
    def attention_forward(q, k, v, mask):
        scores = np.einsum("nd,nsd->ns", q, k)
        if scale:
            scores = scores / math.sqrt(q.shape[-1])
        w = softmax(scores, mask)
        c = np.einsum("ns,nsv->nv", w, v)
        return (c[:, None] if extra_dim else c), w, (q, k, v, w)

    return attention_forward


attention_forward = make_attention()


def make_backward(scale=True, full_jacobian=True):
    def attention_backward(dc, cache):
        q, k, v, w = cache
        dv = w[:, :, None] * dc[:, None, :]
        da = np.einsum("nv,nsv->ns", dc, v)
        de = w * (da - (w * da).sum(-1, keepdims=True)) if full_jacobian else w * da
        if scale:
            de = de / math.sqrt(q.shape[-1])
        return np.einsum("ns,nsd->nd", de, k), de[:, :, None] * q[:, None, :], dv

    return attention_backward


attention_backward = make_backward()


def make_decoder(order="hc", query="h_next", attend=attention_forward, transposed=False):
    def decoder_step(x, h_prev, enc, mask, p):
        h = np.tanh(x @ p["weight_ih"].T + p["bias_ih"] + h_prev @ p["weight_hh"].T + p["bias_hh"])
        c, w, _ = attend(h if query == "h_next" else h_prev, enc, enc, mask)
        both = np.concatenate([h, c] if order == "hc" else [c, h], axis=1)
        W = p["weight_out"] if transposed else p["weight_out"].T
        return both @ W + p["bias_out"], h, w

    return decoder_step


def _wrong_axis(scores, mask):
    e = np.exp(np.where(mask, scores, -np.inf))
    with np.errstate(invalid="ignore"):
        return e / e.sum(axis=0, keepdims=True)


def _mask_after(scores, mask):
    return _softmax(scores) * mask


def _no_mask(scores, mask):
    return _softmax(scores)


def _fill(value):
    return lambda scores, mask: _softmax(np.where(mask, scores, value))


def _in_place(scores, mask):
    scores[~mask] = -np.inf
    return _softmax(scores)


def _float64_scale(q, k, v, mask):
    scores = np.einsum("nd,nsd->ns", q, k) / np.sqrt(q.shape[-1])  # a float64 NumPy scalar
    w = masked_softmax(scores, mask)
    return np.einsum("ns,nsv->nv", w, v), w, (q, k, v, w)


def test_checks_pass_right_implementations():
    ex10.check_masked_softmax(masked_softmax)
    ex10.check_attention_forward(attention_forward)
    ex10.check_attention_backward(attention_forward, attention_backward)
    ex10.check_decoder_step(make_decoder())


def test_a_finite_fill_of_minus_1e9_is_exact_enough():
    # exp(-1e9 - max) underflows to exactly 0 in float32 and float64: not a mistake
    ex10.check_masked_softmax(_fill(-1e9))


MISTAKES = {
    "softmax-wrong-axis": (ex10.check_masked_softmax, (_wrong_axis,), "softmax over the wrong axis"),
    "mask-after-softmax": (ex10.check_masked_softmax, (_mask_after,), "apply the mask before the softmax"),
    "mask-not-applied": (ex10.check_masked_softmax, (_no_mask,), "the mask is not applied"),
    "masked-scores-set-to-0": (ex10.check_masked_softmax, (_fill(0.0),), "must get weight exactly 0"),
    "masked-scores-set-to-minus-10": (
        ex10.check_masked_softmax,
        (_fill(-10.0),),
        "set their scores to -np.inf",
    ),
    "transposed-weights": (
        ex10.check_masked_softmax,
        (lambda s, m: masked_softmax(s, m).T,),
        "weights are (N, S), like scores",
    ),
    "in-place": (ex10.check_masked_softmax, (_in_place,), "modified its input in place"),
    "no-scale": (ex10.check_attention_forward, (make_attention(scale=False),), "scale the scores by 1/√D"),
    "attention-wrong-axis": (
        ex10.check_attention_forward,
        (make_attention(softmax=_wrong_axis),),
        "softmax over the wrong axis",
    ),
    "attention-mask-after-softmax": (
        ex10.check_attention_forward,
        (make_attention(softmax=_mask_after),),
        "apply the mask before the softmax",
    ),
    "attention-no-mask": (
        ex10.check_attention_forward,
        (make_attention(softmax=_no_mask),),
        "the mask is not applied",
    ),
    "context-shape": (
        ex10.check_attention_forward,
        (make_attention(extra_dim=True),),
        "context is (N, Dv), not (N, 1, Dv)",
    ),
    "float64-scale": (ex10.check_attention_forward, (_float64_scale,), "math.sqrt(D)"),
    "backward-no-scale": (
        ex10.check_attention_backward,
        (attention_forward, make_backward(scale=False)),
        "scale their gradient too",
    ),
    "backward-softmax-diagonal-only": (
        ex10.check_attention_backward,
        (attention_forward, make_backward(full_jacobian=False)),
        "the second term is missing",
    ),
    "decoder-concatenation-order": (
        ex10.check_decoder_step,
        (make_decoder(order="ch"),),
        "concatenate [h_next, context] in this order",
    ),
    "decoder-attends-with-h_prev": (
        ex10.check_decoder_step,
        (make_decoder(query="h_prev"),),
        "attend with the new state h_next",
    ),
    "decoder-no-scale": (
        ex10.check_decoder_step,
        (make_decoder(attend=make_attention(scale=False)),),
        "scale the scores by 1/√D",
    ),
    "decoder-transposed-weight_out": (
        ex10.check_decoder_step,
        (make_decoder(transposed=True),),
        "multiply by its transpose",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, functions, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        check(*functions)
    assert feedback in str(failure.value)


def test_a_right_backward_earns_its_points_behind_a_wrong_forward():
    wrong_forward = make_attention(scale=False)
    with pytest.raises(CheckFailed):
        ex10.check_attention_forward(wrong_forward)
    ex10.check_attention_backward(wrong_forward, make_backward(scale=False))  # right for its own forward
    with pytest.raises(CheckFailed, match="checked against central differences"):
        ex10.check_attention_backward(wrong_forward, attention_backward)


def test_stub_is_reported_as_not_implemented():
    def stub(scores, mask):
        raise NotImplementedError("np.where(mask, scores, -np.inf)")

    with pytest.raises(NotImplementedYet, match="hint: np.where"):
        ex10.check_masked_softmax(stub)


def test_an_exception_in_the_student_code_is_feedback():
    with pytest.raises(StudentError, match="raised"):
        ex10.check_decoder_step(lambda *args: 1 / 0)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    done = {"masked_softmax", "attention_forward"}
    report = grade_notebook(exercise_variants.build_variant(tmp_path, NAME, fill=done), timeout=30)
    assert (report.score, report.max_score) == (2 + 3, 10)
    assert {t.id for t in report.tasks if t.passed} == done
    for task in ("attention_backward", "decoder_step"):
        assert report.task(task).verdict == "not implemented"


@pytest.mark.slow
def test_softmax_over_the_wrong_axis_fails_with_its_hint_in_a_graded_notebook(tmp_path):
    wrong = (
        "def masked_softmax(scores, mask):\n"
        "    e = np.exp(np.where(mask, scores, -np.inf))\n"
        "    return e / e.sum(axis=0, keepdims=True)\n"
    )
    tasks = ["attention_forward", "attention_backward", "decoder_step"]
    path = exercise_variants.build_variant(tmp_path, NAME, fill=tasks, replace={"masked_softmax": wrong})
    report = grade_notebook(path, timeout=30)
    softmax_task = report.task("masked_softmax")
    assert softmax_task.verdict == "failed" and "softmax over the wrong axis" in softmax_task.feedback
    assert report.score < 10
