"""Exercise 04, truncated BPTT and gradient clipping in a small training loop: tasks, references, checks.

Notebook: solutions/04_truncated_bptt_and_clipping.ipynb (exercises/ is generated from it). The
references are course_lib.numpy's clip_grad_norm, clip_grad_value and truncated_bptt (cell "rnn");
train_step_reference and train_reference below compose char_rnn_loss (one chunk's loss and gradients,
the gradient stopping at the chunk's initial state), clipping and plain SGD. The training loop is graded
deterministically: its losses, norms and final parameters must follow the reference's update by update,
and on a fixed delayed-echo problem its loss must fall below a bound.
"""

import copy

import numpy as np

from course_lib.check.tolerances import forward_tol, gradient_tol
from course_lib.grading.compare import (
    CheckFailed,
    check_rng,
    describe,
    grads_mismatch,
    hinted,
    mismatch,
    report,
    returned,
    scalar_mismatch,
    type_name,
)
from course_lib.grading.exercises.ex02_rnn import random_cell_params
from course_lib.grading.registry import Exercise, Task
from course_lib.numpy import (
    chunk_slices,
    clip_grad_norm,
    clip_grad_value,
    global_norm,
    rnn_backward,
    rnn_forward,
)
from course_lib.numpy import truncated_bptt as truncated_bptt_reference
from course_lib.numpy.char_rnn import char_rnn_loss, init_char_rnn

F64 = np.dtype(np.float64)
ECHO = {"V": 4, "delay": 2, "N": 16, "L": 40, "H": 12, "k": 10, "lr": 1.0, "max_norm": 1.0, "n_epochs": 30}
ECHO_SEED = 0
ECHO_BOUND = 0.5  # mean loss of the last epoch; chance is ln 4 ≈ 1.39, the reference reaches about 0.07


def train_step_reference(params, ids, targets, h, lr, max_norm):
    """One SGD update on one chunk: the gradient (cut at h), clipped by global norm unless max_norm=None."""
    loss, grads, h_last = char_rnn_loss(ids, targets, h, params)
    if max_norm is None:
        norm = global_norm(grads)
    else:
        grads, norm = clip_grad_norm(grads, max_norm)
    return {key: params[key] - lr * grads[key] for key in params}, loss, norm, h_last


def train_reference(params, ids, targets, k, lr, max_norm, n_epochs):
    """Epochs of chunks of k steps: h from zeros each epoch, carried across chunks, one update per chunk."""
    losses, norms = [], []
    for _ in range(n_epochs):
        h = None
        for sl in chunk_slices(ids.shape[1], k):
            params, loss, norm, h = train_step_reference(params, ids[:, sl], targets[:, sl], h, lr, max_norm)
            losses.append(loss)
            norms.append(norm)
    return params, losses, norms


def echo_problem(rng, V, delay, N, L, H):
    """Delayed echo: N streams of L random symbols, targets[:, t] = ids[:, t - delay]; and fresh params."""
    stream = rng.integers(0, V, size=(N, L + delay))
    return stream[:, delay:], stream[:, :L], init_char_rnn(V, H, rng, dtype=np.float64)


def _random_grads(rng, dtype, scale):
    """A grads dict of arrays of several shapes (matrices and vectors), entries N(0, scale²)."""
    shapes = {"weight_ih": (4, 3), "weight_hh": (4, 4), "bias_ih": (4,), "weight_out": (3, 4)}
    return {key: (scale * rng.standard_normal(shape)).astype(dtype) for key, shape in shapes.items()}


def _modifies_its_input(function, grads, *args):
    """Whether function(grads, ...) changes the arrays of grads in place (checked on a private copy)."""
    probe = copy.deepcopy(grads)
    try:
        function(probe, *args)
    except Exception:  # the graded call has already reported it
        return False
    return any(not np.array_equal(probe[key], grads[key]) for key in grads)


def _check_clipping(name, function, reference, cases, hints_for):
    for text, grads, limit in cases:
        clipped, norm = returned(name, function, (grads, limit), ("clipped", "norm"))
        expected, expected_norm = reference(grads, limit)
        dtype = next(iter(grads.values())).dtype
        clipped_hints, norm_hints = hints_for(grads, limit, expected)
        report(
            f"{name}({text})",
            grads_mismatch(clipped, expected, gradient_tol(dtype), clipped_hints, name="clipped"),
            scalar_mismatch("norm", norm, expected_norm, gradient_tol(dtype), norm_hints),
        )
        if _modifies_its_input(function, grads, limit):
            message = f"{name} modified the arrays of grads in place: return new arrays (g * s, not g *= s)"
            raise CheckFailed(message)


def _norm_hints(grads, expected):
    """Wrong values of the returned norm: after clipping, or the sum of the arrays' own norms."""
    summed = float(sum(np.linalg.norm(g) for g in grads.values()))
    return (
        (global_norm(expected), "return the norm before clipping"),
        (summed, "the global norm is √(Σ of all squared entries), not a sum of norms"),
    )


def _float64_hint(expected):
    """Each expected array in float64: matched when the values are right but float32 became float64."""
    text = "keep the dtype: multiply by float(scale), since a NumPy float64 scalar turns float32 into float64"
    return {key: [(value.astype(np.float64), text)] for key, value in expected.items() if value.dtype != F64}


def check_clip_by_global_norm(clip_by_global_norm):
    """clip_by_global_norm(grads, max_norm) -> (clipped, norm), as torch.nn.utils.clip_grad_norm_."""
    rng = check_rng("ex04_tbptt.check_clip_by_global_norm")

    def hints_for(grads, max_norm, expected):
        per_array = {key: g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for key, g in grads.items()}
        text = "scale every array by the same factor, from the global norm of all of them together"
        hints = {key: [(per_array[key], text)] for key in grads}
        for key, wrong in _float64_hint(expected).items():
            hints[key] += wrong
        return hints, _norm_hints(grads, expected)

    cases = [
        ("a norm above max_norm", _random_grads(rng, F64, 3.0), 1.0),
        ("a norm below max_norm", _random_grads(rng, F64, 0.1), 100.0),
        ("float32", _random_grads(rng, np.float32, 3.0), 0.5),
        ("one array", {"weight_hh": 5 * rng.standard_normal((3, 3))}, 2.0),
        ("all zero", {key: np.zeros_like(g) for key, g in _random_grads(rng, F64, 1.0).items()}, 1.0),
    ]
    cases = [(f"grads with {text}, max_norm={limit:g}", grads, limit) for text, grads, limit in cases]
    _check_clipping("clip_by_global_norm", clip_by_global_norm, clip_grad_norm, cases, hints_for)


def check_clip_by_value(clip_by_value):
    """clip_by_value(grads, clip_value) -> (clipped, norm), as torch.nn.utils.clip_grad_value_."""
    rng = check_rng("ex04_tbptt.check_clip_by_value")

    def hints_for(grads, clip_value, expected):
        by_norm, _ = clip_grad_norm(grads, clip_value)
        text = "clamp each entry into [-clip_value, clip_value] (np.clip): no rescaling by the norm"
        hints = {key: [(by_norm[key], text)] for key in grads}
        for key, wrong in _float64_hint(expected).items():
            hints[key] += wrong
        return hints, _norm_hints(grads, expected)

    cases = [
        ("entries beyond ±clip_value", _random_grads(rng, F64, 2.0), 1.0),
        ("every entry within ±clip_value", _random_grads(rng, F64, 0.1), 10.0),
        ("float32", _random_grads(rng, np.float32, 2.0), 0.5),
        ("all zero", {key: np.zeros_like(g) for key, g in _random_grads(rng, F64, 1.0).items()}, 1.0),
    ]
    cases = [(f"grads with {text}, clip_value={limit:g}", grads, limit) for text, grads, limit in cases]
    _check_clipping("clip_by_value", clip_by_value, clip_grad_value, cases, hints_for)


def _squared_error(y, calls):
    """loss_fn(out, sl) = ½ Σ (out - y[:, sl])², recording the (start, stop) of every chunk it is given."""

    def loss_fn(out, sl):
        if not isinstance(sl, slice):
            raise TypeError(f"loss_fn: sl should be a slice of steps, got {type_name(sl)} {describe(sl)}")
        target = y[:, sl]
        if np.shape(out) != target.shape:
            shapes = f"should have shape {target.shape}, got {np.shape(out)}"
            raise ValueError(f"loss_fn: out for the steps {sl.start}..{sl.stop} {shapes}")
        calls.append((sl.start or 0, sl.stop))
        diff = out - target
        return 0.5 * float(np.sum(diff**2)), diff

    return loss_fn


def _tbptt_variant(x, h0, params, y, k, carry, add_up):
    """Truncated BPTT with a mistake: carry=False restarts each chunk from h0, add_up=False keeps the last."""
    loss_fn, h, total, grads = _squared_error(y, []), h0, 0.0, None
    for sl in chunk_slices(x.shape[1], k):
        out, cache = rnn_forward(x[:, sl], h if carry else h0, params)
        loss, dout = loss_fn(out, sl)
        _, _, chunk_grads = rnn_backward(dout, cache)
        keep = grads is not None and add_up
        grads = {key: grads[key] + chunk_grads[key] for key in grads} if keep else chunk_grads
        total = total + loss if add_up else loss
        h = out[:, -1]
    return total, grads, h


def check_truncated_bptt(truncated_bptt):
    """truncated_bptt(x, h0, params, loss_fn, k) -> (loss, grads, h_last) against course_lib.numpy's."""
    rng = check_rng("ex04_tbptt.check_truncated_bptt")
    D, H = 7, 5  # unlike the notebook's sizes and each other
    cases = [(3, 7, 3, True), (2, 6, 2, True), (2, 5, 1, False), (1, 6, 6, True), (2, 4, 10, True)]
    for N, T, k, with_h0 in [*cases, (2, 1, 2, True)]:  # k dividing T or not, k = 1, k = T, k > T, T = 1
        x = rng.standard_normal((N, T, D))
        h0 = rng.standard_normal((N, H)) if with_h0 else None
        params, y = random_cell_params(D, H, 1, rng), rng.standard_normal((N, T, H))
        calls = []
        args = (x, h0, params, _squared_error(y, calls), k)
        loss, grads, h_last = returned("truncated_bptt", truncated_bptt, args, ("loss", "grads", "h_last"))
        expected = truncated_bptt_reference(x, h0, params, _squared_error(y, []), k, cell="rnn")
        context = f"truncated_bptt(N={N}, T={T}, k={k}, {'h0 given' if with_h0 else 'h0=None'})"
        chunks = [(sl.start, sl.stop) for sl in chunk_slices(T, k)]
        if calls != chunks:
            message = f"loss_fn was called for the steps {calls}; expected the chunks {chunks}"
            raise CheckFailed(f"{context}: {message}")
        start = np.zeros((N, H)) if h0 is None else h0
        not_carried = _tbptt_variant(x, start, params, y, k, carry=False, add_up=True)
        last_only = _tbptt_variant(x, start, params, y, k, carry=True, add_up=False)
        carry = "carry the state: each chunk starts from the last state of the one before"
        add_up = "add up the losses and the gradients of all the chunks"
        grads_hints = {key: [(not_carried[1][key], carry), (last_only[1][key], add_up)] for key in params}
        loss_hints = [(not_carried[0], carry), (last_only[0], add_up)]
        report(
            context,
            scalar_mismatch("loss", loss, expected.loss, forward_tol(F64), loss_hints),
            grads_mismatch(grads, expected.grads, gradient_tol(F64), grads_hints),
            mismatch("h_last", h_last, expected.h, forward_tol(F64), [(not_carried[2], carry)]),
        )


def _char_problem(rng, N, T, V, H):
    ids, targets = rng.integers(0, V, size=(N, T)), rng.integers(0, V, size=(N, T))
    return ids, targets, init_char_rnn(V, H, rng, dtype=np.float64)


def check_train_step(train_step):
    """train_step(params, ids, targets, h, lr, max_norm) -> (new_params, loss, norm, h_last)."""
    rng = check_rng("ex04_tbptt.check_train_step")
    cases = [(3, 4, 0.05, True), (2, 5, 100.0, False), (1, 3, None, True), (2, 1, 0.05, False)]
    for N, T, max_norm, with_h in cases:
        V, H = int(rng.integers(3, 7)), int(rng.integers(3, 7))
        ids, targets, params = _char_problem(rng, N, T, V, H)
        h = rng.uniform(-1, 1, size=(N, H)) if with_h else None
        args = (params, ids, targets, h, 0.5, max_norm)
        parts = ("new_params", "loss", "norm", "h_last")
        new_params, loss, norm, h_last = returned("train_step", train_step, args, parts)
        expected_params, expected_loss, expected_norm, expected_h = train_step_reference(*args)
        unclipped, _, _, _ = train_step_reference(params, ids, targets, h, 0.5, None)
        ascent = {key: 2 * params[key] - expected_params[key] for key in params}
        clip = "clip the gradients (with your clip_by_global_norm) before the update"
        sign = "step against the gradient: params - lr * grads"
        hints = {key: [(unclipped[key], clip), (ascent[key], sign)] for key in params}
        h_text = "h given" if with_h else "h=None"
        context = f"train_step(N={N}, T={T}, {h_text}, lr=0.5, max_norm={max_norm})"
        scale = 1.0 if max_norm is None else min(1.0, max_norm / (expected_norm + 1e-6))
        norm_hints = [(expected_norm * scale, "return the norm before clipping")]
        report(
            context,
            grads_mismatch(new_params, expected_params, gradient_tol(F64), hints, name="new_params"),
            scalar_mismatch("loss", loss, expected_loss, forward_tol(F64)),
            scalar_mismatch("norm", norm, expected_norm, forward_tol(F64), norm_hints),
            mismatch("h_last", h_last, expected_h, forward_tol(F64)),
        )


def _history_mismatch(name, values, expected, per_epoch, hint=None):
    """None if `values` is a sequence of numbers close to `expected`, else the first update that is not.

    Without a `hint`, the position of that update suggests one (first update, start of an epoch, ...).
    """
    try:
        actual = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return hinted(f"{name}: expected a list of numbers, one per update, got {type_name(values)}")
    if actual.shape != (len(expected),):
        return hinted(f"{name}: expected {len(expected)} values (one per update), got shape {actual.shape}")
    tol = forward_tol(F64)
    bad = ~np.isclose(actual, expected, rtol=tol.rtol, atol=tol.atol)
    if not bad.any():
        return None
    j = int(np.argmax(bad))
    epoch, chunk = divmod(j, per_epoch)
    hint = hint or _position_hint(j, chunk)
    text = f"{name}[{j}] (epoch {epoch}, chunk {chunk}): expected {expected[j]:.6g}, got {actual[j]:.6g}"
    return hinted(text, hint)


def _position_hint(update, chunk):
    """What the first wrong update of a training history suggests."""
    if update == 0:
        return "the first update starts from the given params and h = None (zeros)"
    if chunk == 0:
        return "every epoch starts again from h = None (zeros)"
    return "each chunk starts from the state and the params the previous update returned"


def check_train(train):
    """train(params, ids, targets, k, lr, max_norm, n_epochs) -> (params, losses, norms), update by update."""
    rng = check_rng("ex04_tbptt.check_train")
    ids, targets, params = _char_problem(rng, 3, 12, 4, 5)
    first_norm = train_step_reference(params, ids[:, :5], targets[:, :5], None, 0.5, None)[2]
    max_norm = 0.5 * first_norm  # so that clipping acts, at least on the first update
    args = (params, ids, targets, 5, 0.5, max_norm, 2)
    final, losses, norms = returned("train", train, args, ("params", "losses", "norms"))
    expected_params, expected_losses, expected_norms = train_reference(*args)
    losses_wrong = _history_mismatch("losses", losses, expected_losses, per_epoch=3)
    from_step = "the losses are right, so the norms come from train_step: see its check"
    from_step = None if losses_wrong else from_step
    report(
        f"train(N=3, T=12, k=5, lr=0.5, max_norm={max_norm:.3g}, n_epochs=2)",
        losses_wrong,
        _history_mismatch("norms", norms, expected_norms, per_epoch=3, hint=from_step),
        grads_mismatch(final, expected_params, gradient_tol(F64), name="params"),
    )
    echo = {key: ECHO[key] for key in ("V", "delay", "N", "L", "H")}
    ids, targets, params = echo_problem(np.random.default_rng(ECHO_SEED), **echo)
    run = (params, ids, targets, ECHO["k"], ECHO["lr"], ECHO["max_norm"], ECHO["n_epochs"])
    _, losses, _ = returned("train", train, run, ("params", "losses", "norms"))
    per_epoch = len(chunk_slices(ECHO["L"], ECHO["k"]))
    final_loss = float(np.mean(np.asarray(losses, dtype=np.float64)[-per_epoch:]))
    if not final_loss < ECHO_BOUND:
        setting = ", ".join(f"{key}={value:g}" for key, value in ECHO.items())
        raise CheckFailed(
            f"train on the delayed-echo task ({setting}, seed {ECHO_SEED}): the mean loss of the last epoch "
            f"is {final_loss:.3f}; it should fall below {ECHO_BOUND} (chance: ln 4 = 1.39)"
        )


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="04_truncated_bptt_and_clipping",
    title="Truncated BPTT and gradient clipping in a training loop",
    tasks=(
        Task("clip_by_global_norm", 2, ("clip_by_global_norm",), check_clip_by_global_norm,
             "clipping by the global norm"),
        Task("clip_by_value", 1, ("clip_by_value",), check_clip_by_value, "clipping every entry"),
        Task("truncated_bptt", 3, ("truncated_bptt",), check_truncated_bptt, "truncated BPTT in chunks of k"),
        Task("train_step", 2, ("train_step",), check_train_step, "one clipped SGD update"),
        Task("train", 2, ("train",), check_train, "the training loop"),
    ),
    forbidden={
        "clip_by_global_norm": ("course_lib.numpy.clip_grad_norm",),
        "clip_by_value": ("course_lib.numpy.clip_grad_value",),
        "truncated_bptt": ("course_lib.numpy.truncated_bptt",),
    },
)
