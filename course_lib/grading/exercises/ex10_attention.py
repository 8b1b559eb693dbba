"""Exercise 10, attention over a padded memory by hand: the tasks, their reference answers and their checks.

Notebook: solutions/10_attention.ipynb (exercises/ is generated from it). The references are
course_lib.numpy's attention_forward and attention_backward with the scaled dot-product score (one query
per example, the decoder state) and course_lib.numpy.softmax. Besides the values, a check recognises the
usual mistakes (the softmax over the wrong axis, the mask applied after the softmax, a finite fill that
leaks weight onto padding, a missing 1/√D, the context and the state concatenated the wrong way round,
a transposed weight) and names them in its feedback. A function that modifies its inputs is told so by
compare.call.
"""

import numpy as np

from course_lib.check.tolerances import gradient_tol
from course_lib.grading.compare import (
    HINT_TOL,
    CheckFailed,
    call,
    check_rng,
    hinted,
    mismatch,
    report,
    returned,
    sizes_text,
)
from course_lib.grading.exercises.ex02_rnn import random_cell_params
from course_lib.grading.own_forward import check_own_forward, forward_problem
from course_lib.grading.registry import Exercise, Task
from course_lib.numpy import attention_backward as attention_backward_reference
from course_lib.numpy import attention_forward as attention_forward_reference
from course_lib.numpy import softmax

# Sizes of the checks: unlike the notebook's examples (N = 2, S = 5, D = 4, Dv = 3, H = 3, V = 5), different
# from each other (a transposed array shows), and each of N, S, D, Dv, H once equal to 1.
SOFTMAX_SIZES = [(4, 7, np.float64), (1, 6, np.float64), (6, 1, np.float64), (5, 9, np.float32)]  # (N, S)
ATTENTION_SIZES = [  # (N, S, D, Dv, dtype)
    (3, 7, 5, 6, np.float64),
    (1, 6, 7, 5, np.float64),
    (5, 1, 6, 7, np.float64),
    (6, 5, 1, 8, np.float64),
    (7, 8, 6, 1, np.float64),
    (5, 6, 8, 7, np.float32),
]
DECODER_SIZES = [  # (N, S, D, H, V, dtype); V = 2H once, where a transposed weight_out has the right shape
    (5, 6, 7, 4, 8, np.float64),
    (3, 6, 5, 7, 9, np.float64),
    (1, 7, 6, 5, 8, np.float64),
    (5, 1, 7, 6, 5, np.float64),
    (6, 5, 1, 8, 7, np.float64),
    (4, 8, 6, 1, 9, np.float64),
    (7, 5, 8, 6, 11, np.float32),
]

MASK_AFTER = (
    "apply the mask before the softmax: set the scores of padded positions to -inf, so that the real "
    "positions share all the weight and each row sums to 1"
)
NO_MASK = "the mask is not applied: padded positions (mask False) must get weight exactly 0"
LEAK = (
    "padded positions must get weight exactly 0: set their scores to -np.inf (np.where(mask, scores, "
    "-np.inf)), not to 0 or another finite number, whose exp is not 0"
)
WRONG_AXIS = (
    "softmax over the wrong axis: normalise over the positions, the last axis (axis=-1), so that each "
    "row of weights sums to 1; axis 0 mixes the examples of the batch"
)
NO_SCALE = "scale the scores by 1/√D (D the size of a query): e = q·k / √D"


def _lengths_mask(N, S, rng):
    """A right-padding mask (N, S), True at real positions: row 0 has one real position, the last row S."""
    lengths = rng.integers(1, S + 1, size=N)
    lengths[0] = 1
    lengths[-1] = S if N > 1 else lengths[-1]
    return np.arange(S)[None, :] < lengths[:, None]


def _masked_softmax(scores, mask):
    """The reference: softmax over the last axis, exactly 0 where mask is False."""
    weights = softmax(np.where(mask, scores, -np.inf), axis=-1)
    return weights.astype(scores.dtype, copy=False)


def _weights_hint(weights, scores, mask, unscaled=None):
    """The known mistake that weights (N, S) show, by their properties, or None."""
    if not isinstance(weights, np.ndarray) or weights.shape != scores.shape:
        return None
    w = weights.astype(np.float64)
    loose = HINT_TOL
    with np.errstate(all="ignore"):
        if unscaled is not None and np.allclose(w, _masked_softmax(unscaled, mask), loose.rtol, loose.atol):
            return NO_SCALE
        rows = np.nansum(w, axis=-1)
        columns = np.nansum(w, axis=0)
        real_columns = mask.any(axis=0)
        if not np.allclose(rows, 1, 1e-4) and np.allclose(columns[real_columns], 1, 1e-4):
            return WRONG_AXIS
        padded = ~mask
        if np.any(np.nan_to_num(w[padded], nan=1.0) != 0):
            plain = softmax(scores.astype(np.float64), axis=-1)
            return NO_MASK if np.allclose(w, plain, loose.rtol, loose.atol) else LEAK
        if np.allclose(w, softmax(scores.astype(np.float64), axis=-1) * mask, loose.rtol, loose.atol):
            return MASK_AFTER
    return None


FLOAT32 = (
    "keep float32 inputs float32: np.sqrt(D) is a float64 NumPy scalar that promotes the array; divide by "
    "math.sqrt(D), a Python float"
)


def _with_hint(message, hint):
    """Feedback: the mismatch `message` with `hint` added when it has none of its own."""
    if message is not None and "expected dtype float32, got float64" in message and hint is None:
        hint = FLOAT32
    if message is None or getattr(message, "hint", None) or hint is None:
        return message
    return hinted(getattr(message, "body", message), hint)


def check_masked_softmax(masked_softmax):
    """masked_softmax(scores, mask) -> weights (N, S); padded positions exactly 0, rows sum to 1."""
    rng = check_rng("ex10_attention.check_masked_softmax")
    for N, S, dtype in SOFTMAX_SIZES:
        scores = (3 * rng.standard_normal((N, S))).astype(dtype)
        mask = _lengths_mask(N, S, rng)
        weights = call("masked_softmax", masked_softmax, scores, mask)
        expected = _masked_softmax(scores, mask)
        context = f"masked_softmax({sizes_text(dtype, N=N, S=S)}, row 0 has one real position)"
        message = mismatch(
            "weights", weights, expected, None, ((expected.T, "weights are (N, S), like scores"),)
        )
        report(context, _with_hint(message, _weights_hint(weights, scores, mask)))


def _attention_inputs(N, S, D, Dv, dtype, rng):
    query = rng.standard_normal((N, D)).astype(dtype)
    keys = rng.standard_normal((N, S, D)).astype(dtype)
    values = rng.standard_normal((N, S, Dv)).astype(dtype)
    return query, keys, values, _lengths_mask(N, S, rng)


def _reference_attention(query, keys, values, mask, scale=None):
    """(context (N, Dv), weights (N, S), cache) of the reference; scale 1.0 gives the unscaled mistake."""
    context, cache = attention_forward_reference(query, keys, values, mask, score="dot", scale=scale)
    return context, cache.weights[:, 0], cache


def check_attention_forward(attention_forward):
    """attention_forward(query, keys, values, mask) -> (context, weights, cache), scaled dot product."""
    rng = check_rng("ex10_attention.check_attention_forward")
    for N, S, D, Dv, dtype in ATTENTION_SIZES:
        args = _attention_inputs(N, S, D, Dv, dtype, rng)
        parts = ("context", "weights", "cache")
        context_out, weights, _ = returned("attention_forward", attention_forward, args, parts)
        expected_c, expected_w, _ = _reference_attention(*args)
        unscaled_c, _, _ = _reference_attention(*args, scale=1.0)
        query, keys, _, mask = args
        scores = np.einsum("nd,nsd->ns", query, keys) / np.sqrt(D)
        weights_hint = _weights_hint(weights, scores, mask, scores * np.sqrt(D))
        hints = (
            (unscaled_c, NO_SCALE),
            (expected_c[:, None], "one query per example: context is (N, Dv), not (N, 1, Dv)"),
        )
        context_hint = weights_hint if weights_hint != NO_SCALE else None
        context = f"attention_forward({sizes_text(dtype, N=N, S=S, D=D, Dv=Dv)}, row 0 has one real position)"
        report(
            context,
            _with_hint(
                mismatch(
                    "weights", weights, expected_w, None, ((expected_w[:, None], "weights are (N, S)"),)
                ),
                weights_hint,
            ),
            _with_hint(mismatch("context", context_out, expected_c, None, hints), context_hint),
        )


def _backward_hints(dcontext, weights, values, keys, query, D):
    """dquery, dkeys and dvalues as typical mistakes in attention_backward give them."""
    da = np.einsum("nv,nsv->ns", dcontext, values)  # (N, S)
    de_right = weights * (da - np.sum(weights * da, axis=-1, keepdims=True))
    de_no_sum = weights * da  # the softmax Jacobian's diagonal only
    scale = 1 / np.sqrt(D)
    no_sum = "the softmax backward is de = a ⊙ (da - Σ_s a_s da_s): the second term is missing"
    no_scale = "the scores were scaled by 1/√D in the forward pass: scale their gradient too"
    return {
        "dquery": (
            (np.einsum("ns,nsd->nd", de_right, keys), no_scale),
            (scale * np.einsum("ns,nsd->nd", de_no_sum, keys), no_sum),
        ),
        "dkeys": (
            (np.einsum("ns,nd->nsd", de_right, query), no_scale),
            (scale * np.einsum("ns,nd->nsd", de_no_sum, query), no_sum),
        ),
        "dvalues": (),
    }


def check_attention_backward(attention_forward, attention_backward):
    """attention_backward(dcontext, cache) -> (dquery, dkeys, dvalues), the cache from attention_forward."""
    rng = check_rng("ex10_attention.check_attention_backward")
    for N, S, D, Dv, dtype in ATTENTION_SIZES:
        args = _attention_inputs(N, S, D, Dv, dtype, rng)
        parts = ("context", "weights", "cache")
        context_out, _, cache = returned(
            "attention_forward", attention_forward, args, parts, "attention_backward"
        )
        expected_c, expected_w, ref_cache = _reference_attention(*args)
        context = f"attention_backward({sizes_text(dtype, N=N, S=S, D=D, Dv=Dv)})"
        names = ("dquery", "dkeys", "dvalues")
        if forward_problem([("context", context_out, expected_c)]):
            if np.dtype(dtype) != np.float64:
                continue  # float32 cannot resolve central differences: the float64 cases judge it
            if not isinstance(context_out, np.ndarray):
                raise CheckFailed(f"{context} runs your attention_forward first, and it returned no array")
            upstream = rng.standard_normal(context_out.shape)
            found = returned("attention_backward", attention_backward, (upstream, cache), names)
            gradients = {name: ((i,), grad) for i, (name, grad) in enumerate(zip(names, found, strict=True))}
            check_own_forward(
                context, "attention_forward", attention_forward, args, parts, gradients, [upstream], rng
            )
            continue
        dcontext = rng.standard_normal((N, Dv)).astype(dtype)
        found = returned("attention_backward", attention_backward, (dcontext, cache), names)
        expected = attention_backward_reference(dcontext, ref_cache)[:3]
        query, keys, values, _ = args
        hints = _backward_hints(dcontext, expected_w, values, keys, query, D)
        tol = gradient_tol(np.dtype(dtype))
        report(
            context,
            *(
                _with_hint(mismatch(name, got, want, tol, hints[name]), None)
                for name, got, want in zip(names, found, expected, strict=True)
            ),
        )


def _decoder_inputs(N, S, D, H, V, dtype, rng):
    x = rng.standard_normal((N, D)).astype(dtype)
    h_prev = rng.standard_normal((N, H)).astype(dtype)
    encoder_out = rng.standard_normal((N, S, H)).astype(dtype)
    params = random_cell_params(D, H, 1, rng, dtype)
    params["weight_out"] = (0.5 * rng.standard_normal((V, 2 * H))).astype(dtype)
    params["bias_out"] = (0.5 * rng.standard_normal(V)).astype(dtype)
    return x, h_prev, encoder_out, _lengths_mask(N, S, rng), params


def decoder_step_reference(x, h_prev, encoder_out, mask, params, order="hc", query="h_next", scale=None):
    """(logits, h_next, weights) of one attention decoder step; the options give typical mistakes."""
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    h_next = np.tanh(a)  # (N, H)
    q = h_next if query == "h_next" else h_prev
    c, cache = attention_forward_reference(q, encoder_out, encoder_out, mask, score="dot", scale=scale)
    both = np.concatenate([c, h_next] if order == "ch" else [h_next, c], axis=1)  # (N, 2H)
    W = params["weight_out"]  # (V, 2H)
    logits = both @ (W if order == "transposed" else W.T) + params["bias_out"]  # (N, V)
    return logits, h_next, cache.weights[:, 0]


def check_decoder_step(decoder_step):
    """decoder_step(x, h_prev, encoder_out, mask, params) -> (logits, h_next, weights)."""
    rng = check_rng("ex10_attention.check_decoder_step")
    for N, S, D, H, V, dtype in DECODER_SIZES:
        args = _decoder_inputs(N, S, D, H, V, dtype, rng)
        parts = ("logits", "h_next", "weights")
        logits, h_next, weights = returned("decoder_step", decoder_step, args, parts)
        expected = decoder_step_reference(*args)
        wrong = {
            "order": decoder_step_reference(*args, order="ch"),
            "query": decoder_step_reference(*args, query="h_prev"),
            "scale": decoder_step_reference(*args, scale=1.0),
        }
        order_text = (
            "concatenate [h_next, context] in this order, then logits = [h_next, context] W_outᵀ + b_out"
        )
        query_text = "attend with the new state h_next (the state after this step's update), not h_prev"
        hints_logits = [
            (wrong["order"][0], order_text),
            (wrong["query"][0], query_text),
            (wrong["scale"][0], NO_SCALE),
        ]
        if V == 2 * H:
            hints_logits.append(
                (
                    decoder_step_reference(*args, order="transposed")[0],
                    "weight_out is (V, 2H), as in torch.nn.Linear: multiply by its transpose, W_outᵀ",
                )
            )
        hints_weights = ((wrong["query"][2], query_text), (wrong["scale"][2], NO_SCALE))
        context = f"decoder_step({sizes_text(dtype, N=N, S=S, D=D, H=H, V=V)})"
        report(
            context,
            _with_hint(mismatch("h_next", h_next, expected[1], None), None),
            _with_hint(mismatch("weights", weights, expected[2], None, hints_weights), None),
            _with_hint(mismatch("logits", logits, expected[0], None, hints_logits), None),
        )


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="10_attention",
    title="Attention over a padded memory, forward and backward, in a decoder step",
    tasks=(
        Task("masked_softmax", 2, ("masked_softmax",), check_masked_softmax, "the masked softmax"),
        Task(
            "attention_forward",
            3,
            ("attention_forward",),
            check_attention_forward,
            "scaled dot-product attention, forward",
        ),
        Task(
            "attention_backward",
            3,
            ("attention_forward", "attention_backward"),
            check_attention_backward,
            "attention, backward",
        ),
        Task("decoder_step", 2, ("decoder_step",), check_decoder_step, "a decoder step that attends"),
    ),
    forbidden={
        "masked_softmax": ("course_lib.numpy.masked_softmax_forward",),
        "attention_forward": ("course_lib.numpy.attention_forward", "course_lib.numpy.dot_scores_forward"),
        "attention_backward": (
            "course_lib.numpy.attention_backward",
            "course_lib.numpy.masked_softmax_backward",
            "course_lib.numpy.dot_scores_backward",
        ),
        "decoder_step": ("course_lib.numpy.attention_forward",),
    },
)
