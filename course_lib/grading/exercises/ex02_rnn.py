"""Exercise 02, the RNN forward and backward by hand: the tasks, their reference answers and their checks.

Notebook: solutions/02_rnn_forward_backward.ipynb (exercises/ is generated from it). The references are
course_lib.numpy's rnn_step_forward, rnn_step_backward, rnn_forward and rnn_backward, and
course_lib.check's numerical_gradient. A student's cache may hold anything: a check only hands it back
to the student's own backward function, after checking the forward values it came with.

random_cell_params is shared with the other NumPy exercises, 03 and 04; the feedback helpers
(mismatch, grads_mismatch, scalar_mismatch, report, returned) live in course_lib.grading.compare.
"""

import numpy as np

from course_lib.check import numerical_gradient as numerical_gradient_reference
from course_lib.check.tolerances import gradient_tol
from course_lib.grading.compare import (
    call,
    check_rng,
    fail_if,
    grads_mismatch,
    mismatch,
    report,
    returned,
    sizes_text,
)
from course_lib.grading.own_forward import forward_problem, grade_backward_alone
from course_lib.grading.registry import Exercise, Task
from course_lib.numpy import rnn_backward as rnn_backward_reference
from course_lib.numpy import rnn_forward as rnn_forward_reference
from course_lib.numpy import rnn_step_backward as rnn_step_backward_reference
from course_lib.numpy import rnn_step_forward as rnn_step_forward_reference

PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def random_cell_params(D, H, gates, rng, dtype=np.float64, scale=0.5):
    """A params dict in torch.nn's layout with N(0, scale²) entries.

    weight_ih (G*H, D), weight_hh (G*H, H), bias_ih and bias_hh (G*H,). The scale keeps the
    pre-activations of order 1, where a wrong derivative of tanh or σ shows.
    """
    shapes = {"weight_ih": (gates * H, D), "weight_hh": (gates * H, H), "bias_ih": (gates * H,)}
    shapes["bias_hh"] = (gates * H,)
    return {key: (scale * rng.standard_normal(shape)).astype(dtype) for key, shape in shapes.items()}


# Sizes of the checks: unlike the notebook's examples (D = 3, H = 4, N = 2 or 3, T = 6), different from
# each other (a transposed weight shows), and each of N, T, D, H once equal to 1. A function that
# hard-codes a size of the notebook fails every time.
STEP_SIZES = [
    (5, 7, 8, np.float64),
    (1, 8, 5, np.float64),
    (7, 1, 9, np.float64),
    (8, 5, 1, np.float64),
    (5, 9, 7, np.float32),
]  # (N, D, H, dtype)
SEQUENCE_SIZES = [  # (N, T, D, H, dtype, h0 given)
    (5, 7, 8, 9, np.float64, True),
    (1, 8, 9, 5, np.float64, True),
    (7, 1, 5, 8, np.float64, True),
    (8, 5, 1, 7, np.float64, True),
    (9, 5, 7, 1, np.float64, True),
    (5, 7, 9, 8, np.float64, False),
    (7, 5, 8, 9, np.float32, True),
]


def _step_cases(rng):
    """(N, D, H, dtype): STEP_SIZES."""
    return list(STEP_SIZES)


def _step_inputs(N, D, H, dtype, rng):
    x = rng.standard_normal((N, D)).astype(dtype)
    h_prev = rng.standard_normal((N, H)).astype(dtype)
    return x, h_prev, random_cell_params(D, H, 1, rng, dtype)


def _pre_activation(x, h_prev, params, biases=("bias_ih", "bias_hh")):
    """x W_ihᵀ + h_prev W_hhᵀ plus the named biases."""
    a = x @ params["weight_ih"].T + h_prev @ params["weight_hh"].T
    return a + sum(params[key] for key in biases)


def check_rnn_step_forward(rnn_step_forward):
    """rnn_step_forward(x, h_prev, params) -> (h_next, cache), on random sizes, N = 1, D = H = 1, float32."""
    rng = check_rng("ex02_rnn.check_rnn_step_forward")
    for N, D, H, dtype in _step_cases(rng):
        x, h_prev, params = _step_inputs(N, D, H, dtype, rng)
        h_next, _ = returned("rnn_step_forward", rnn_step_forward, (x, h_prev, params), ("h_next", "cache"))
        expected, _ = rnn_step_forward_reference(x, h_prev, params)
        both_biases = "add both biases, bias_ih and bias_hh"
        hints = (
            (_pre_activation(x, h_prev, params), "apply tanh to the pre-activation"),
            (np.tanh(_pre_activation(x, h_prev, params, ("bias_ih",))), both_biases),
            (np.tanh(_pre_activation(x, h_prev, params, ("bias_hh",))), both_biases),
        )
        context = f"rnn_step_forward({sizes_text(dtype, N=N, D=D, H=H)})"
        fail_if(context, mismatch("h_next", h_next, expected, None, hints))


ONE_SIDED = (
    "that is a one-sided difference: use central differences, Σ df ⊙ (f(x + eps e_i) - f(x - eps e_i)) "
    "/ (2 eps), whose error is O(eps²) rather than O(eps)"
)


def _one_sided(f, x, sign, df=None, eps=1e-6):
    """What a one-sided difference gives: Σ df ⊙ (f(x ± eps e_i) - f(x)) / (± eps), in float64."""
    x = np.array(x, dtype=np.float64)
    base = np.asarray(f(x), dtype=np.float64)
    df = np.ones_like(base) if df is None else df
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        moved = x.copy()
        moved[i] += sign * eps
        grad[i] = np.sum(df * (np.asarray(f(moved), dtype=np.float64) - base)) / (sign * eps)
    return grad


def check_numerical_gradient(numerical_gradient):
    """numerical_gradient(f, x, df=None, eps=1e-6) against course_lib.check's, for arrays of 1 to 3 axes."""
    rng = check_rng("ex02_rnn.check_numerical_gradient")
    A = rng.standard_normal((4, 2))
    cases = [
        (
            "f(x) = tanh(x A), df given",
            lambda v: np.tanh(v @ A),
            rng.standard_normal((3, 4)),
            {"df": rng.standard_normal((3, 2))},
        ),
        ("f(x) = Σ x³, a scalar, df=None", lambda v: np.sum(v**3), rng.standard_normal(5), {}),
        ("f(x) = sin(x) · x[0], df=None", lambda v: np.sin(v) * v[0], rng.standard_normal(4), {}),
        (
            "f(x) = x², x of shape (2, 3, 2), df given",
            lambda v: v**2,
            rng.standard_normal((2, 3, 2)),
            {"df": rng.standard_normal((2, 3, 2))},
        ),
        ("f(x) = x³ with eps=1e-2", lambda v: v**3, rng.standard_normal(3), {"eps": 1e-2}),
        ("f(x) = exp(x) for float32 x", np.exp, rng.standard_normal((2, 2)).astype(np.float32), {}),
        ("x of shape (1,)", lambda v: np.cos(v) * 3, rng.standard_normal(1), {}),
    ]
    for text, f, x, options in cases:
        out = call("numerical_gradient", numerical_gradient, f, x, **options)
        expected = numerical_gradient_reference(f, x, **options)
        hints = [(_one_sided(f, x, sign, **options), ONE_SIDED) for sign in (1, -1)]
        if "eps" in options:
            hints.append((numerical_gradient_reference(f, x), "use the eps you are given, not a fixed step"))
        message = mismatch("gradient", out, expected, gradient_tol(np.dtype(np.float64)), hints)
        if message and x.dtype == np.float32:
            message += " (perturb a float64 copy of x: float32 cannot resolve a step of 1e-6)"
        fail_if(f"numerical_gradient, {text}", message)


def _state_layouts(h0):
    """How a cache may keep the states out (N, T, H): time-major, and with h0 in front (as RNNCache.hs)."""

    def layouts(wrong, right):
        N, _, H = right.shape
        start = np.zeros((N, H), right.dtype) if h0 is None else h0
        pairs = [(np.swapaxes(wrong, 0, 1), np.swapaxes(right, 0, 1))]
        for a, b in ((wrong, right),):
            pairs.append(
                (
                    np.concatenate([start[None], np.swapaxes(a, 0, 1)]),
                    np.concatenate([start[None], np.swapaxes(b, 0, 1)]),
                )
            )
            pairs.append(
                (np.concatenate([start[:, None], a], axis=1), np.concatenate([start[:, None], b], axis=1))
            )
        return pairs

    return layouts


def _step_backward_hints(dh_next, h_next, x, h_prev, params):
    """Arrays that typical mistakes in rnn_step_backward produce, with what to fix."""
    da = dh_next * (1 - h_next**2)
    no_tanh = "multiply dh_next by tanh'(a) = 1 - h_next² first"
    transposed = "dh_prev = da W_hh: h_prev enters as h_prev W_hhᵀ, so no transpose here"
    return {
        "dx": ((dh_next @ params["weight_ih"], no_tanh),),
        "dh_prev": ((dh_next @ params["weight_hh"], no_tanh), (da @ params["weight_hh"].T, transposed)),
        "weight_hh": ((h_prev.T @ da, "dW_hh = daᵀ h_prev, not its transpose"),),
        "weight_ih": ((dh_next.T @ x, no_tanh),),
    }


def check_rnn_step_backward(rnn_step_forward, rnn_step_backward):
    """rnn_step_backward(dh_next, cache) -> (dx, dh_prev, grads), the cache coming from rnn_step_forward."""
    rng = check_rng("ex02_rnn.check_rnn_step_backward")
    for N, D, H, dtype in _step_cases(rng):
        x, h_prev, params = _step_inputs(N, D, H, dtype, rng)
        args, parts = (x, h_prev, params), ("h_next", "cache")
        h_next, cache = returned("rnn_step_forward", rnn_step_forward, args, parts, "rnn_step_backward")
        expected_h, ref_cache = rnn_step_forward_reference(x, h_prev, params)
        context = f"rnn_step_backward({sizes_text(dtype, N=N, D=D, H=H)})"
        if forward_problem([("h_next", h_next, expected_h)]):
            grade_backward_alone(
                context,
                "rnn_step_forward",
                rnn_step_forward,
                rnn_step_backward,
                args,
                ("h_next", "cache"),
                (h_next,),
                (expected_h,),
                cache,
                ("dx", "dh_prev", "grads"),
                dtype,
                rng,
                rnn_step_backward_reference,
                ref_cache,
            )
            continue
        dh_next = rng.standard_normal((N, H)).astype(dtype)
        parts = ("dx", "dh_prev", "grads")
        dx, dh_prev, grads = returned("rnn_step_backward", rnn_step_backward, (dh_next, cache), parts)
        dx_ref, dh_prev_ref, grads_ref = rnn_step_backward_reference(dh_next, ref_cache)
        hints = _step_backward_hints(dh_next, expected_h, x, h_prev, params)
        tol = gradient_tol(np.dtype(dtype))
        report(
            context,
            mismatch("dx", dx, dx_ref, tol, hints["dx"]),
            mismatch("dh_prev", dh_prev, dh_prev_ref, tol, hints["dh_prev"]),
            grads_mismatch(grads, grads_ref, tol, hints),
        )


def _sequence_cases(rng):
    """(N, T, D, H, dtype, h0 given): SEQUENCE_SIZES."""
    return list(SEQUENCE_SIZES)


def _sequence_inputs(N, T, D, H, dtype, with_h0, rng):
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, H)).astype(dtype) if with_h0 else None
    return x, h0, random_cell_params(D, H, 1, rng, dtype)


def check_rnn_forward(rnn_forward):
    """rnn_forward(x, h0, params) -> (out, cache): out (N, T, H); T = 1, N = 1, h0 = None, float32."""
    rng = check_rng("ex02_rnn.check_rnn_forward")
    for N, T, D, H, dtype, with_h0 in _sequence_cases(rng):
        x, h0, params = _sequence_inputs(N, T, D, H, dtype, with_h0, rng)
        out, _ = returned("rnn_forward", rnn_forward, (x, h0, params), ("out", "cache"))
        expected, _ = rnn_forward_reference(x, h0, params)
        start = np.zeros((N, H), dtype) if h0 is None else h0
        not_carried = np.tanh(_pre_activation(x, start[:, None], params))  # every step from h0
        early = np.concatenate([start[:, None], expected[:, :-1]], axis=1)  # (N, T, H) states one step early
        hints = (
            (early, "out[:, t] is the state after reading x[:, t]: store h once step t has updated it, "
                    "not before"),
            (np.swapaxes(expected, 0, 1), "out is batch-first, (N, T, H): stack the states along axis 1"),
            (not_carried, "step t starts from h_{t-1}, the state step t - 1 returned, not from h0"),
        )
        h0_text = "h0=None" if h0 is None else "h0 given"
        context = f"rnn_forward({sizes_text(dtype, N=N, T=T, D=D, H=H)}, {h0_text})"
        fail_if(context, mismatch("out", out, expected, None, hints))


def _backward_hints(dout, ref_cache):
    """What rnn_backward gives if it uses dout at the last step only, or carries no gradient back."""
    last_only = np.zeros_like(dout)
    last_only[:, -1] = dout[:, -1]
    wrong_last = rnn_backward_reference(last_only, ref_cache)
    x_tm, hs, params = ref_cache.x, ref_cache.hs, ref_cache.params
    per_step = [  # each step's own dout, nothing carried from step t + 1
        rnn_step_backward_reference(dout[:, t], rnn_step_forward_reference(x_tm[t], hs[t], params)[1])
        for t in range(dout.shape[1])
    ]
    wrong_carry = (
        np.stack([step[0] for step in per_step], axis=1),
        per_step[0][1],
        {key: sum(step[2][key] for step in per_step) for key in PARAM_KEYS},
    )
    texts = (
        "add the upstream dout[:, t] at every step t, not only at the last",
        "carry the gradient back: step t receives dout[:, t] plus the dh_prev of step t + 1",
    )
    hints = {"dx": [], "dh0": [], **{key: [] for key in PARAM_KEYS}}
    for (dx, dh0, grads), text in zip((wrong_last, wrong_carry), texts, strict=True):
        hints["dx"].append((dx, text))
        hints["dh0"].append((dh0, text))
        for key in PARAM_KEYS:
            hints[key].append((grads[key], text))
    return hints


def check_rnn_backward(rnn_forward, rnn_backward):
    """rnn_backward(dout, cache) -> (dx, dh0, grads), the cache coming from rnn_forward."""
    rng = check_rng("ex02_rnn.check_rnn_backward")
    for N, T, D, H, dtype, with_h0 in _sequence_cases(rng):
        x, h0, params = _sequence_inputs(N, T, D, H, dtype, with_h0, rng)
        out, cache = returned("rnn_forward", rnn_forward, (x, h0, params), ("out", "cache"), "rnn_backward")
        expected_out, ref_cache = rnn_forward_reference(x, h0, params)
        h0_text = "h0=None" if h0 is None else "h0 given"
        context = f"rnn_backward({sizes_text(dtype, N=N, T=T, D=D, H=H)}, {h0_text})"
        if forward_problem([("out", out, expected_out)]):
            grade_backward_alone(
                context,
                "rnn_forward",
                rnn_forward,
                rnn_backward,
                (x, h0, params),
                ("out", "cache"),
                (out,),
                (expected_out,),
                cache,
                ("dx", "dh0", "grads"),
                dtype,
                rng,
                rnn_backward_reference,
                ref_cache,
                _state_layouts(h0),
            )
            continue
        dout = rng.standard_normal((N, T, H)).astype(dtype)
        dx, dh0, grads = returned("rnn_backward", rnn_backward, (dout, cache), ("dx", "dh0", "grads"))
        dx_ref, dh0_ref, grads_ref = rnn_backward_reference(dout, ref_cache)
        hints = _backward_hints(dout, ref_cache) if T > 1 else {}
        tol = gradient_tol(np.dtype(dtype))
        report(
            context,
            mismatch("dx", dx, dx_ref, tol, hints.get("dx", ())),
            mismatch("dh0", dh0, dh0_ref, tol, hints.get("dh0", ())),
            grads_mismatch(grads, grads_ref, tol, hints),
        )


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="02_rnn_forward_backward",
    title="The RNN forward and backward, with a gradient check",
    tasks=(
        Task("rnn_step_forward", 2, ("rnn_step_forward",), check_rnn_step_forward, "one RNN step, forward"),
        Task(
            "numerical_gradient", 2, ("numerical_gradient",), check_numerical_gradient, "central differences"
        ),
        Task(
            "rnn_step_backward",
            3,
            ("rnn_step_forward", "rnn_step_backward"),
            check_rnn_step_backward,
            "one RNN step, backward",
        ),
        Task("rnn_forward", 2, ("rnn_forward",), check_rnn_forward, "the sequence, forward"),
        Task(
            "rnn_backward",
            3,
            ("rnn_forward", "rnn_backward"),
            check_rnn_backward,
            "backpropagation through time",
        ),
    ),
    forbidden={
        "rnn_step_forward": ("course_lib.numpy.rnn_step_forward",),
        "numerical_gradient": ("course_lib.check.numerical_gradient",),
        "rnn_step_backward": ("course_lib.numpy.rnn_step_backward",),
        "rnn_forward": ("course_lib.numpy.rnn_forward",),
        "rnn_backward": ("course_lib.numpy.rnn_backward",),
    },
)
