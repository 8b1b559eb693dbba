"""Exercise 11 (sentiment of reviews): the checks pass right implementations, name the typical mistakes,
grade a right backward behind a wrong forward, and the grader gives half-done work its partial score."""

import exercise_variants
import numpy as np
import pytest

from course_lib.grading.compare import CheckFailed, NotImplementedYet, StudentError
from course_lib.grading.exercises import ex11_sentiment as ex11
from course_lib.grading.runner import grade_notebook

NAME = "11_sentiment_of_reviews"
NEGATIONS = {"not", "n't", "no", "never", "nothing", "nor", "neither", "without"}
ENDS = {".", ",", "!", "?", ";", ":"}


def make_mark_negation(ends=ENDS, cue=False, toggle=False, window=None, suffix="_NEG"):
    def mark_negation(tokens):
        out, inside, left = [], False, 0
        for t in tokens:
            if t in ends:
                inside = False
                out.append(t)
            elif t in NEGATIONS:
                inside = not inside if (toggle and inside) else True
                left = window
                out.append(t + suffix if cue and inside else t)
            elif inside and (window is None or left > 0):
                out.append(t + suffix)
                left = None if window is None else left - 1
            else:
                out.append(t)
        return out

    return mark_negation


def _valid(out, lengths):
    return (np.arange(out.shape[1])[None, :] < np.asarray(lengths)[:, None])[:, :, None]


def make_pool(fill=-np.inf, mask=True, mean=False):
    def masked_max_pool(out, lengths):
        valid = _valid(out, lengths)
        if mean:
            return (np.where(valid, out, 0).sum(1) / np.asarray(lengths)[:, None]).astype(out.dtype), (
                out,
                lengths,
            )
        filled = np.where(valid, out, fill) if mask else out
        return filled.max(axis=1).astype(out.dtype), (out, lengths)

    return masked_max_pool


masked_max_pool = make_pool()


def make_backward(kind="argmax"):
    def masked_max_pool_backward(dpooled, cache):
        out, lengths = cache
        valid = _valid(out, lengths)
        if kind == "everywhere":
            return np.broadcast_to(dpooled[:, None, :], out.shape) * valid
        where = np.argmax(np.where(valid, out, -np.inf) if kind == "argmax" else out, axis=1)  # (N, H)
        dout = np.zeros(out.shape, dtype=dpooled.dtype)
        np.put_along_axis(dout, where[:, None, :], dpooled[:, None, :], axis=1)
        return dout

    return masked_max_pool_backward


def _in_place_negation(tokens):
    tokens[:] = make_mark_negation()(tokens)
    return tokens


def _in_place_pool(out, lengths):
    out[~_valid(out, lengths)[:, :, 0]] = -np.inf
    return out.max(axis=1), (out, lengths)


def test_checks_pass_right_implementations():
    ex11.check_mark_negation(make_mark_negation())
    ex11.check_masked_max_pool(masked_max_pool)
    ex11.check_masked_max_pool_backward(masked_max_pool, make_backward())


def test_the_pooling_matches_torch_and_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    out, lengths = ex11._pool_inputs(5, 7, 3, np.float64, rng)
    pooled, argmax = ex11.masked_max_pool_reference(out, lengths)
    x = torch.tensor(out, requires_grad=True)
    valid = torch.from_numpy(_valid(out, lengths))
    expected = x.masked_fill(~valid, float("-inf")).amax(dim=1)
    assert np.array_equal(pooled, expected.detach().numpy())
    upstream = rng.standard_normal(pooled.shape)
    expected.backward(torch.from_numpy(upstream))
    assert np.array_equal(ex11.masked_max_pool_backward_reference(upstream, argmax, 7), x.grad.numpy())


def test_mark_negation_reference_on_a_review():
    tokens = "i did n't like it , but the tea is not bad at all !".split()
    marked = ex11.mark_negation_reference(tokens)
    assert marked == "i did n't like_NEG it_NEG , but the tea is not bad_NEG at_NEG all_NEG !".split()
    assert tokens[3] == "like"  # a new list


MISTAKES = {
    "scope-never-ends": (ex11.check_mark_negation, (make_mark_negation(ends=set()),), "the scope ends at"),
    "only-full-stop-ends": (
        ex11.check_mark_negation,
        (make_mark_negation(ends={"."}),),
        "every token of SCOPE_END",
    ),
    "cue-marked": (ex11.check_mark_negation, (make_mark_negation(cue=True),), "the negation word itself"),
    "double-negation-cancels": (
        ex11.check_mark_negation,
        (make_mark_negation(toggle=True),),
        "neither ends nor",
    ),
    "next-word-only": (ex11.check_mark_negation, (make_mark_negation(window=1),), "not only the next one"),
    "other-suffix": (ex11.check_mark_negation, (make_mark_negation(suffix="_neg"),), "append the suffix"),
    "negation-in-place": (
        ex11.check_mark_negation,
        (_in_place_negation,),
        "modified its input in place",
    ),
    "pool-no-mask": (
        ex11.check_masked_max_pool,
        (make_pool(mask=False),),
        "must not take part in the maximum",
    ),
    "pool-fill-zero": (ex11.check_masked_max_pool, (make_pool(fill=0.0),), "not 0"),
    "pool-mean": (ex11.check_masked_max_pool, (make_pool(mean=True),), "not their mean"),
    "pool-in-place": (ex11.check_masked_max_pool, (_in_place_pool,), "modified its input in place"),
    "backward-everywhere": (
        ex11.check_masked_max_pool_backward,
        (masked_max_pool, make_backward("everywhere")),
        "to the one step where the maximum was taken",
    ),
    "backward-argmax-over-padding": (
        ex11.check_masked_max_pool_backward,
        (masked_max_pool, make_backward("unmasked")),
        "the argmax must run over the valid steps",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, functions, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        check(*functions)
    assert feedback in str(failure.value)


def test_a_right_backward_earns_its_points_behind_a_wrong_forward():
    wrong_forward = make_pool(mask=False)  # the max over all steps, padding included
    with pytest.raises(CheckFailed):
        ex11.check_masked_max_pool(wrong_forward)
    ex11.check_masked_max_pool_backward(wrong_forward, make_backward("unmasked"))  # right for its own forward
    with pytest.raises(CheckFailed, match="checked against central differences"):
        ex11.check_masked_max_pool_backward(wrong_forward, make_backward("everywhere"))


def test_stub_is_reported_as_not_implemented():
    def stub(tokens):
        raise NotImplementedError("walk through the tokens")

    with pytest.raises(NotImplementedYet, match="hint: walk"):
        ex11.check_mark_negation(stub)


def test_an_exception_in_the_student_code_is_feedback():
    with pytest.raises(StudentError, match="raised"):
        ex11.check_masked_max_pool(lambda *args: 1 / 0)


def _predictor(labels_for):
    return lambda texts: np.array([labels_for(t) for t in texts], dtype=np.int64)


def test_the_classifier_check_needs_more_than_the_majority_class():
    with pytest.raises(CheckFailed, match="always 'great' scores 0.400"):
        ex11.check_predict_sentiment(_predictor(lambda text: 1))


def test_the_classifier_check_accepts_the_true_labels_and_rejects_their_opposite():
    texts, labels = ex11.held_out_reviews()
    truth = dict(zip(texts, labels.tolist(), strict=True))
    ex11.check_predict_sentiment(_predictor(truth.__getitem__))
    with pytest.raises(CheckFailed, match="macro-F1 0.000"):
        ex11.check_predict_sentiment(_predictor(lambda text: 1 - truth[text]))


def test_the_classifier_check_names_what_it_returned():
    texts, labels = ex11.held_out_reviews()
    with pytest.raises(CheckFailed, match="expected integer labels, got dtype float64"):
        ex11.check_predict_sentiment(lambda texts: np.full(len(texts), 0.7))
    with pytest.raises(CheckFailed, match="one label per review"):
        ex11.check_predict_sentiment(lambda texts: np.zeros(3, dtype=np.int64))
    with pytest.raises(CheckFailed, match="must not depend on the other reviews"):
        ex11.check_predict_sentiment(lambda texts: np.full(len(texts), int(len(texts) > 1)))


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    done = {"mark_negation", "masked_max_pool"}
    report = grade_notebook(exercise_variants.build_variant(tmp_path, NAME, fill=done), timeout=60)
    assert (report.score, report.max_score) == (2 + 2, 10)
    assert {t.id for t in report.tasks if t.passed} == done
    for task in ("masked_max_pool_backward", "predict_sentiment"):
        assert report.task(task).verdict == "not implemented"


@pytest.mark.slow
def test_a_scope_that_never_ends_fails_with_its_hint_in_a_graded_notebook(tmp_path):
    wrong = (
        "def mark_negation(tokens):\n"
        "    out, inside = [], False\n"
        "    for t in tokens:\n"
        "        out.append(t + '_NEG' if inside and t not in ex11_sentiment.NEGATIONS else t)\n"
        "        inside = inside or t in ex11_sentiment.NEGATIONS\n"
        "    return out\n"
    )
    tasks = ["masked_max_pool", "masked_max_pool_backward", "predict_sentiment"]
    path = exercise_variants.build_variant(tmp_path, NAME, fill=tasks, replace={"mark_negation": wrong})
    report = grade_notebook(path, timeout=60)
    task = report.task("mark_negation")
    assert task.verdict == "failed" and "the scope ends at the next punctuation token" in task.feedback
    assert report.score == 10 - 2
