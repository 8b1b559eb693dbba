"""Exercise 03, the LSTM and GRU cells by hand: the tasks, their reference answers and their checks.

Notebook: solutions/03_lstm_and_gru.ipynb (exercises/ is generated from it). The references are
course_lib.numpy's sigmoid, lstm_step_forward/backward and gru_step_forward/backward: torch.nn's gate
orders (LSTM i, f, g, o; GRU r, z, n) and torch's GRU, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
Besides the values, a check recognises the usual mistakes (a gate order, the reset gate applied before
the matmul, a missing gradient path) and names them in its feedback.
"""

import numpy as np

from course_lib.check.tolerances import gradient_tol
from course_lib.grading.compare import (
    CheckFailed,
    StudentError,
    call,
    check_rng,
    fail_if,
    grads_mismatch,
    mismatch,
    raised,
    report,
    returned,
    sizes_text,
)
from course_lib.grading.exercises.ex02_rnn import STEP_SIZES, random_cell_params
from course_lib.grading.own_forward import forward_problem, grade_backward_alone
from course_lib.grading.registry import Exercise, Task
from course_lib.numpy import cho_gru_step_forward
from course_lib.numpy import gru_step_backward as gru_step_backward_reference
from course_lib.numpy import gru_step_forward as gru_step_forward_reference
from course_lib.numpy import lstm_step_backward as lstm_step_backward_reference
from course_lib.numpy import lstm_step_forward as lstm_step_forward_reference
from course_lib.numpy import sigmoid as sigmoid_reference
from course_lib.numpy._bptt import cell_grads

STABLE = (
    "exp(-a) overflows for large negative a: never take exp of a large positive number, e.g. "
    "z = exp(-|a|), then 1 / (1 + z) where a >= 0 and z / (1 + z) where a < 0"
)


def check_sigmoid(sigmoid):
    """sigmoid(a) -> σ(a), elementwise, with no overflow for |a| up to 1000 (float64) or 200 (float32)."""
    rng = check_rng("ex03_lstm_gru.check_sigmoid")
    cases = [
        ("random a", 3 * rng.standard_normal((4, 5))),
        ("large |a|", np.array([-1000.0, -745.0, -100.0, -30.0, 0.0, 30.0, 100.0, 745.0, 1000.0])),
        ("float32 a", np.array([-200, -90, -20, -1, 0, 1, 20, 90, 200], dtype=np.float32)),
        ("a of shape (2, 3, 4)", 10 * rng.standard_normal((2, 3, 4))),
    ]
    for text, a in cases:
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                out = call("sigmoid", sigmoid, a)
        except StudentError as failure:
            if raised(failure, FloatingPointError):
                raise CheckFailed(f"{failure} ({STABLE})") from None
            raise
        fail_if(f"sigmoid, {text}", mismatch("σ(a)", out, sigmoid_reference(a)))


def _cases(rng, gates):
    """(N, D, H, dtype, params): ex02_rnn.STEP_SIZES (sizes unlike the notebook's, each of N, D, H once 1)."""
    return [(N, D, H, dtype, random_cell_params(D, H, gates, rng, dtype)) for N, D, H, dtype in STEP_SIZES]


def _inputs(N, D, H, dtype, rng, states=1):
    """x (N, D) and `states` arrays (N, H) of the dtype."""
    return [rng.standard_normal(shape).astype(dtype) for shape in [(N, D)] + [(N, H)] * states]


def _permuted(params, order):
    """params with the gate blocks of every array rearranged: block k of the result is block order[k]."""
    G = len(order)
    return {key: np.concatenate([np.split(value, G)[k] for k in order]) for key, value in params.items()}


def _lstm_variants(x, h_prev, c_prev, params):
    """(h_next, c_next, hint) of typical LSTM mistakes."""
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # (N, H) each
    i, f, o = sigmoid_reference(a_i), sigmoid_reference(a_f), sigmoid_reference(a_o)
    c = f * c_prev + i * np.tanh(a_g)
    c_sigmoid_g = f * c_prev + i * sigmoid_reference(a_g)
    order = "the gate blocks are in torch's order i, f, g, o (rows 2H to 3H are g)"
    tensorflow = (
        "that is TensorFlow's gate order i, g, f, o (its LSTMCell's i, j, f, o); torch's is i, f, g, o: "
        "rows H to 2H are f, rows 2H to 3H are g"
    )
    return [
        (*lstm_step_forward_reference(x, h_prev, c_prev, _permuted(params, (0, 2, 1, 3)))[:2], tensorflow),
        (*lstm_step_forward_reference(x, h_prev, c_prev, _permuted(params, (0, 1, 3, 2)))[:2], order),
        (*lstm_step_forward_reference(x, h_prev, c_prev, _permuted(params, (1, 0, 2, 3)))[:2], order),
        (o * c, c, "h_next = o ⊙ tanh(c_next)"),
        (o * np.tanh(c_sigmoid_g), c_sigmoid_g, "g, the candidate, uses tanh; i, f and o use σ"),
    ]


def check_lstm_step_forward(lstm_step_forward):
    """lstm_step_forward(x, h_prev, c_prev, params) -> (h_next, c_next, cache), gates i, f, g, o."""
    rng = check_rng("ex03_lstm_gru.check_lstm_step_forward")
    for N, D, H, dtype, params in _cases(rng, 4):
        x, h_prev, c_prev = _inputs(N, D, H, dtype, rng, states=2)
        parts = ("h_next", "c_next", "cache")
        args = (x, h_prev, c_prev, params)
        h_next, c_next, _ = returned("lstm_step_forward", lstm_step_forward, args, parts)
        h_ref, c_ref, _ = lstm_step_forward_reference(x, h_prev, c_prev, params)
        variants = _lstm_variants(x, h_prev, c_prev, params)
        report(
            f"lstm_step_forward({sizes_text(dtype, N=N, D=D, H=H)})",
            mismatch("h_next", h_next, h_ref, None, [(h, hint) for h, _, hint in variants]),
            mismatch("c_next", c_next, c_ref, None, [(c, hint) for _, c, hint in variants]),
        )


def _upstream_cases(rng, gates):
    """Size cases, each with which upstream gradients are non-zero (LSTM: h only, c only, or both)."""
    cases = _cases(rng, gates)
    modes = ["both", "h only", "c only", "both", "both"] if gates == 4 else ["both"] * len(cases)
    return [(*case, mode) for case, mode in zip(cases, modes, strict=True)]


UPSTREAM_TEXT = {
    "both": "dh_next and dc_next random",
    "h only": "dc_next = 0: c_next reaches the loss only through h_next",
    "c only": "dh_next = 0: only c_next receives a gradient",
}


def _lstm_backward_variant(dh_next, dc_next, cache):
    """What lstm_step_backward gives if dc forgets the path through h_next = o ⊙ tanh(c_next)."""
    i, f, g, o, tanh_c = cache.i, cache.f, cache.g, cache.o, cache.tanh_c
    dc = dc_next  # the mistake: no dh_next ⊙ o ⊙ (1 - tanh²(c_next)) term
    da_i, da_f, da_g = dc * g * i * (1 - i), dc * cache.c_prev * f * (1 - f), dc * i * (1 - g**2)
    da = np.concatenate([da_i, da_f, da_g, dh_next * tanh_c * o * (1 - o)], axis=1)  # (N, 4H)
    grads = cell_grads(da, cache.x, da, cache.h_prev)
    return da @ cache.params["weight_ih"], da @ cache.params["weight_hh"], dc * f, grads


def check_lstm_step_backward(lstm_step_forward, lstm_step_backward):
    """lstm_step_backward(dh_next, dc_next, cache) -> (dx, dh_prev, dc_prev, grads)."""
    rng = check_rng("ex03_lstm_gru.check_lstm_step_backward")
    for N, D, H, dtype, params, mode in _upstream_cases(rng, 4):
        x, h_prev, c_prev = _inputs(N, D, H, dtype, rng, states=2)
        parts = ("h_next", "c_next", "cache")
        args = (x, h_prev, c_prev, params)
        forward = returned("lstm_step_forward", lstm_step_forward, args, parts, "lstm_step_backward")
        h_next, c_next, cache = forward
        h_ref, c_ref, ref_cache = lstm_step_forward_reference(x, h_prev, c_prev, params)
        context = f"lstm_step_backward({sizes_text(dtype, N=N, D=D, H=H)}, {UPSTREAM_TEXT[mode]})"
        if forward_problem([("h_next", h_next, h_ref), ("c_next", c_next, c_ref)]):
            names = ("dx", "dh_prev", "dc_prev", "grads")
            grade_backward_alone(
                context,
                "lstm_step_forward",
                lstm_step_forward,
                lstm_step_backward,
                args,
                parts,
                (h_next, c_next),
                (h_ref, c_ref),
                cache,
                names,
                dtype,
                rng,
                lstm_step_backward_reference,
                ref_cache,
            )
            continue
        dh_next = rng.standard_normal((N, H)).astype(dtype) * (mode != "c only")
        dc_next = rng.standard_normal((N, H)).astype(dtype) * (mode != "h only")
        parts = ("dx", "dh_prev", "dc_prev", "grads")
        dx, dh_prev, dc_prev, grads = returned(
            "lstm_step_backward", lstm_step_backward, (dh_next, dc_next, cache), parts
        )
        expected = lstm_step_backward_reference(dh_next, dc_next, ref_cache)
        wrong = _lstm_backward_variant(dh_next, dc_next, ref_cache)
        path = "c_next reaches the loss through h_next too: dc = dc_next + dh_next ⊙ o ⊙ (1 - tanh²(c_next))"
        tol = gradient_tol(np.dtype(dtype))
        report(
            context,
            mismatch("dx", dx, expected[0], tol, [(wrong[0], path)]),
            mismatch("dh_prev", dh_prev, expected[1], tol, [(wrong[1], path)]),
            mismatch("dc_prev", dc_prev, expected[2], tol, [(wrong[2], path)]),
            grads_mismatch(grads, expected[3], tol, {key: [(wrong[3][key], path)] for key in params}),
        )


def _gru_variants(x, h_prev, params):
    """(h_next, hint) of typical GRU mistakes."""
    _, cache = gru_step_forward_reference(x, h_prev, params)
    cho = "torch's GRU applies r after the matmul: n = tanh(W_in x + b_in + r ⊙ (W_hn h_prev + b_hn))"
    swapped = gru_step_forward_reference(x, h_prev, _permuted(params, (1, 0, 2)))[0]
    return [
        (cho_gru_step_forward(x, h_prev, params)[0], cho),
        (cache.z * cache.n + (1 - cache.z) * h_prev, "h_next = (1 - z) ⊙ n + z ⊙ h_prev, torch's convention"),
        (swapped, "the gate blocks are in torch's order r, z, n"),
    ]


def check_gru_step_forward(gru_step_forward):
    """gru_step_forward(x, h_prev, params) -> (h_next, cache), gates r, z, n, torch's variant of n."""
    rng = check_rng("ex03_lstm_gru.check_gru_step_forward")
    for N, D, H, dtype, params in _cases(rng, 3):
        x, h_prev = _inputs(N, D, H, dtype, rng)
        parts = ("h_next", "cache")
        h_next, _ = returned("gru_step_forward", gru_step_forward, (x, h_prev, params), parts)
        expected, _ = gru_step_forward_reference(x, h_prev, params)
        context = f"gru_step_forward({sizes_text(dtype, N=N, D=D, H=H)})"
        fail_if(context, mismatch("h_next", h_next, expected, None, _gru_variants(x, h_prev, params)))


def _gru_backward_variants(dh, cache):
    """(dx, dh_prev, grads, hint) of typical mistakes in gru_step_backward."""
    r, z, n, hn = cache.r, cache.z, cache.n, cache.hn
    W_ih, W_hh = cache.params["weight_ih"], cache.params["weight_hh"]
    da_n = dh * (1 - z) * (1 - n**2)
    da_rz = [da_n * hn * r * (1 - r), dh * (cache.h_prev - n) * z * (1 - z)]
    da_ih = np.concatenate([*da_rz, da_n], axis=1)  # (N, 3H)
    da_hh = np.concatenate([*da_rz, da_n * r], axis=1)
    unscaled = np.concatenate([*da_rz, da_n], axis=1)  # the mistake: W_hn h + b_hn's gradient without r
    no_r = "the hidden part of n is r ⊙ (W_hn h_prev + b_hn): its gradient is da_n ⊙ r"
    no_direct = "h_prev also reaches h_next directly, through z ⊙ h_prev: add dh_next ⊙ z to dh_prev"
    return [
        (da_ih @ W_ih, dh * z + unscaled @ W_hh, cell_grads(da_ih, cache.x, unscaled, cache.h_prev), no_r),
        (da_ih @ W_ih, da_hh @ W_hh, cell_grads(da_ih, cache.x, da_hh, cache.h_prev), no_direct),
    ]


def check_gru_step_backward(gru_step_forward, gru_step_backward):
    """gru_step_backward(dh_next, cache) -> (dx, dh_prev, grads), the cache from gru_step_forward."""
    rng = check_rng("ex03_lstm_gru.check_gru_step_backward")
    for N, D, H, dtype, params, _ in _upstream_cases(rng, 3):
        x, h_prev = _inputs(N, D, H, dtype, rng)
        parts = ("h_next", "cache")
        args = (x, h_prev, params)
        h_next, cache = returned("gru_step_forward", gru_step_forward, args, parts, "gru_step_backward")
        expected_h, ref_cache = gru_step_forward_reference(x, h_prev, params)
        context = f"gru_step_backward({sizes_text(dtype, N=N, D=D, H=H)})"
        if forward_problem([("h_next", h_next, expected_h)]):
            grade_backward_alone(
                context,
                "gru_step_forward",
                gru_step_forward,
                gru_step_backward,
                args,
                parts,
                (h_next,),
                (expected_h,),
                cache,
                ("dx", "dh_prev", "grads"),
                dtype,
                rng,
                gru_step_backward_reference,
                ref_cache,
            )
            continue
        dh_next = rng.standard_normal((N, H)).astype(dtype)
        parts = ("dx", "dh_prev", "grads")
        dx, dh_prev, grads = returned("gru_step_backward", gru_step_backward, (dh_next, cache), parts)
        dx_ref, dh_prev_ref, grads_ref = gru_step_backward_reference(dh_next, ref_cache)
        variants = _gru_backward_variants(dh_next, ref_cache)
        grads_hints = {key: [(v[2][key], v[3]) for v in variants] for key in grads_ref}
        tol = gradient_tol(np.dtype(dtype))
        report(
            context,
            mismatch("dx", dx, dx_ref, tol, [(v[0], v[3]) for v in variants]),
            mismatch("dh_prev", dh_prev, dh_prev_ref, tol, [(v[1], v[3]) for v in variants]),
            grads_mismatch(grads, grads_ref, tol, grads_hints),
        )


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="03_lstm_and_gru",
    title="The LSTM and GRU cells, forward and backward",
    tasks=(
        Task("sigmoid", 1, ("sigmoid",), check_sigmoid, "a sigmoid that never overflows"),
        Task("lstm_step_forward", 2, ("lstm_step_forward",), check_lstm_step_forward, "LSTM step, forward"),
        Task(
            "lstm_step_backward",
            3,
            ("lstm_step_forward", "lstm_step_backward"),
            check_lstm_step_backward,
            "LSTM step, backward",
        ),
        Task("gru_step_forward", 2, ("gru_step_forward",), check_gru_step_forward, "GRU step, forward"),
        Task(
            "gru_step_backward",
            3,
            ("gru_step_forward", "gru_step_backward"),
            check_gru_step_backward,
            "GRU step, backward",
        ),
    ),
    forbidden={
        "sigmoid": ("course_lib.numpy.sigmoid",),
        "lstm_step_forward": ("course_lib.numpy.lstm_step_forward",),
        "lstm_step_backward": ("course_lib.numpy.lstm_step_backward",),
        "gru_step_forward": ("course_lib.numpy.gru_step_forward",),
        "gru_step_backward": ("course_lib.numpy.gru_step_backward",),
    },
)
