"""Exercise 04 (truncated BPTT and clipping): the checks pass the reference implementations, name the
typical mistakes, agree with PyTorch's clipping, and the grader gives half-done work its partial score."""

from pathlib import Path

import exercise_variants
import numpy as np
import pytest

import course_lib.numpy as cnp
from course_lib.grading.compare import CheckFailed
from course_lib.grading.exercises import ex04_tbptt
from course_lib.grading.runner import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "04_truncated_bptt_and_clipping"


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


def reference_tbptt(x, h0, params, loss_fn, k):
    result = cnp.truncated_bptt(x, h0, params, loss_fn, k, cell="rnn")
    return result.loss, result.grads, result.h


@pytest.mark.parametrize("repeat", range(3))
def test_checks_pass_the_reference_implementations(repeat):
    ex04_tbptt.check_clip_by_global_norm(cnp.clip_grad_norm)
    ex04_tbptt.check_clip_by_value(cnp.clip_grad_value)
    ex04_tbptt.check_truncated_bptt(reference_tbptt)
    ex04_tbptt.check_train_step(ex04_tbptt.train_step_reference)
    ex04_tbptt.check_train(ex04_tbptt.train_reference)


def test_reference_training_loop_clears_the_bound_with_a_margin():
    echo = {key: ex04_tbptt.ECHO[key] for key in ("V", "delay", "N", "L", "H")}
    ids, targets, params = ex04_tbptt.echo_problem(np.random.default_rng(ex04_tbptt.ECHO_SEED), **echo)
    run = [ex04_tbptt.ECHO[key] for key in ("k", "lr", "max_norm", "n_epochs")]
    _, losses, _ = ex04_tbptt.train_reference(params, ids, targets, *run)
    per_epoch = -(-ex04_tbptt.ECHO["L"] // ex04_tbptt.ECHO["k"])
    assert np.mean(losses[:per_epoch]) > 1.0  # starts near chance, ln 4
    assert np.mean(losses[-per_epoch:]) < ex04_tbptt.ECHO_BOUND / 3


@pytest.mark.slow
def test_clipping_references_agree_with_torch(rng):
    import torch  # only here: importing torch takes seconds
    grads = {"a": 3 * rng.standard_normal((4, 3)), "b": 3 * rng.standard_normal(5)}
    for clip_torch, clip_ours, limit in [
        (torch.nn.utils.clip_grad_norm_, cnp.clip_grad_norm, 0.5),
        (torch.nn.utils.clip_grad_value_, cnp.clip_grad_value, 0.1),
    ]:
        tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
        for tensor, g in zip(tensors, grads.values(), strict=True):
            tensor.grad = torch.from_numpy(g.copy())
        clip_torch(tensors, limit)
        ours, _ = clip_ours(grads, limit)
        for tensor, key in zip(tensors, grads, strict=True):
            np.testing.assert_allclose(ours[key], tensor.grad.numpy(), rtol=1e-12)


def _clip_in_place(grads, max_norm):
    clipped, norm = cnp.clip_grad_norm(grads, max_norm)
    for key in grads:
        grads[key][...] = clipped[key]
    return grads, norm


def _clip_each_array(grads, max_norm):
    clipped = {key: cnp.clip_grad_norm({key: g}, max_norm)[0][key] for key, g in grads.items()}
    return clipped, cnp.global_norm(grads)


def _norm_after_clipping(grads, max_norm):
    clipped, _ = cnp.clip_grad_norm(grads, max_norm)
    return clipped, cnp.global_norm(clipped)


def _tbptt_without_carry(x, h0, params, loss_fn, k):
    loss, grads = 0.0, None
    for sl in cnp.chunk_slices(x.shape[1], k):
        def chunk_loss(out, _, sl=sl):
            return loss_fn(out, sl)

        chunk = cnp.truncated_bptt(x[:, sl], h0, params, chunk_loss, k, cell="rnn")  # each from h0
        loss += chunk.loss
        grads = chunk.grads if grads is None else {key: grads[key] + chunk.grads[key] for key in grads}
    return loss, grads, chunk.h


def _tbptt_whole_sequence(x, h0, params, loss_fn, k):
    return reference_tbptt(x, h0, params, loss_fn, x.shape[1])


def _step_without_clipping(params, ids, targets, h, lr, max_norm):
    return ex04_tbptt.train_step_reference(params, ids, targets, h, lr, None)


def _train_carrying_h_across_epochs(params, ids, targets, k, lr, max_norm, n_epochs):
    losses, norms, h = [], [], None
    for _ in range(n_epochs):
        for sl in cnp.chunk_slices(ids.shape[1], k):
            params, loss, norm, h = ex04_tbptt.train_step_reference(params, ids[:, sl], targets[:, sl], h, lr,
                                                                    max_norm)
            losses.append(loss)
            norms.append(norm)
    return params, losses, norms


CLIP = ex04_tbptt.check_clip_by_global_norm
MISTAKES = {
    "clip-in-place": (CLIP, _clip_in_place, "modified its input in place (argument 1['weight_ih'] changed)"),
    "clip-each-array": (CLIP, _clip_each_array, "scale every array by the same"),
    "norm-after-clipping": (CLIP, _norm_after_clipping, "norm before clipping"),
    "value-by-norm": (ex04_tbptt.check_clip_by_value, cnp.clip_grad_norm, "clamp each entry"),
    "no-carry": (ex04_tbptt.check_truncated_bptt, _tbptt_without_carry, "carry the state"),
    "no-chunks": (ex04_tbptt.check_truncated_bptt, _tbptt_whole_sequence, "loss_fn was called for the steps"),
    "no-clipping": (ex04_tbptt.check_train_step, _step_without_clipping, "clip the gradients"),
    "h-across-epochs": (ex04_tbptt.check_train, _train_carrying_h_across_epochs, "every epoch starts again"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, function, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        check(function)
    assert feedback in str(failure.value)


def test_train_step_hint_for_the_norm_after_clipping_is_robust():
    def norm_after(params, ids, targets, h, lr, max_norm):
        step = ex04_tbptt.train_step_reference(params, ids, targets, h, lr, max_norm)
        new_params, loss, norm, h_last = step
        scale = 1.0 if max_norm is None else min(1.0, max_norm / (norm + 1e-6))
        return new_params, loss, norm * scale, h_last

    for _ in range(20):  # fresh random cases each time: the hint must never depend on them
        with pytest.raises(CheckFailed, match="return the norm before clipping"):
            ex04_tbptt.check_train_step(norm_after)


def test_train_feedback_names_the_first_wrong_update():
    with pytest.raises(CheckFailed) as failure:
        ex04_tbptt.check_train(_train_carrying_h_across_epochs)
    assert "losses[3] (epoch 1, chunk 0): expected " in str(failure.value)


def test_train_that_does_not_learn_fails_the_bound():
    def frozen(params, ids, targets, k, lr, max_norm, n_epochs):  # right for 2 epochs, then stops updating
        trained = min(n_epochs, 2)
        final, losses, norms = ex04_tbptt.train_reference(params, ids, targets, k, lr, max_norm, trained)
        last, repeat = -len(cnp.chunk_slices(ids.shape[1], k)), n_epochs - trained
        return final, losses + losses[last:] * repeat, norms + norms[last:] * repeat

    with pytest.raises(CheckFailed, match="should fall below 0.5"):
        ex04_tbptt.check_train(frozen)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # Both clippings and train_step done; truncated_bptt and train still stubs.
    done = {"clip_by_global_norm", "clip_by_value", "train_step"}
    report = grade_notebook(build_variant(tmp_path, fill=done), timeout=30)
    assert (report.score, report.max_score) == (2 + 1 + 2, 10)
    assert {t.id for t in report.tasks if t.passed} == done
    for task in ("truncated_bptt", "train"):
        assert report.task(task).verdict == "not implemented"


@pytest.mark.slow
def test_train_step_fails_through_a_wrong_clipping(tmp_path):
    # train_step is right but calls a clip_by_global_norm that returns the norm after clipping.
    norm_after = (
        "def clip_by_global_norm(grads, max_norm):\n"
        "    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))\n"
        "    scale = min(1.0, max_norm / (norm + 1e-6))\n"
        "    return {key: g * scale for key, g in grads.items()}, norm * scale\n"
    )
    fill = ["clip_by_value", "truncated_bptt", "train_step", "train"]
    path = build_variant(tmp_path, fill=fill, replace={"clip_by_global_norm": norm_after})
    report = grade_notebook(path, timeout=30)
    assert report.task("clip_by_global_norm").verdict == "failed"
    assert "return the norm before clipping" in report.task("clip_by_global_norm").feedback
    assert "return the norm before clipping" in report.task("train_step").feedback
    assert "the norms come from train_step" in report.task("train").feedback  # clipping acts in its check
    assert report.score == 1 + 3  # clip_by_value and truncated_bptt
