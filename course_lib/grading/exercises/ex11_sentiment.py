"""Exercise 11, sentiment of real reviews: the tasks, their reference answers and their checks.

Notebook: solutions/11_sentiment_of_reviews.ipynb (exercises/ is generated from it). Four tasks:
marking the scope of a negation in a token list (the classic preprocessing of Das and Chen 2001 and
Pang, Lee and Vaithyanathan 2002), max pooling over the valid steps of a padded batch, forward and
backward by hand in NumPy, and a review classifier graded on the held-out test reviews of
`course_lib.data.load_fine_food_reviews()`, which the notebook never uses. A check recognises the usual
mistakes (a scope that never ends, the negation word marked itself, padding in the max, a fill of 0
instead of -inf, a gradient spread over every step) and names them in its feedback.
"""

import numpy as np

from course_lib.grading.compare import (
    CheckFailed,
    batch_then_alone,
    call,
    check_rng,
    hinted,
    mismatch,
    report,
    returned,
    sizes_text,
    type_name,
)
from course_lib.grading.own_forward import check_own_forward, forward_problem
from course_lib.grading.registry import Exercise, Task

# Negation words after the tokenizer of notebook 13 (which splits "didn't" into "did" + "n't"), and the
# punctuation tokens that end a negation's scope.
NEGATIONS = frozenset({"not", "n't", "no", "never", "nothing", "nor", "neither", "without"})
SCOPE_END = frozenset({".", ",", "!", "?", ";", ":"})
NEG_SUFFIX = "_NEG"

MIN_MACRO_F1 = 0.72  # held-out macro-F1 to reach (lecture 13: majority 0.40, bag of words 0.77, RNNs .72-.75)
PREDICT_SECONDS = 10.0  # time allowed for classifying all held-out reviews at once
SINGLE_STRIDE = 64  # every 64th held-out review is also classified alone
MAX_SINGLE_CHANGES = 1  # predictions that may differ alone vs. in the batch (float32 near-ties)

# Sizes of the pooling checks: unlike the notebook's examples (N = 3, T = 5, H = 4), different from each
# other, and each of N, T, H once equal to 1.
POOL_SIZES = [  # (N, T, H, dtype)
    (4, 7, 5, np.float64),
    (1, 6, 4, np.float64),
    (5, 1, 6, np.float64),
    (6, 5, 1, np.float64),
    (3, 8, 6, np.float32),
]


# ---------------------------------------------------------------- task 1: the scope of a negation


def mark_negation_reference(tokens, toggle=False, scope_end=SCOPE_END, mark_cue=False, window=None):
    """A new list: every token after a negation word, up to the next SCOPE_END token, gets NEG_SUFFIX.

    The negation words themselves and the punctuation stay as they are; a negation word inside a scope
    neither ends it nor cancels it. The options give the typical mistakes: toggle (a second negation
    cancels the first), scope_end (another set of scope-ending tokens), mark_cue (the negation word is
    marked too), window (only the next `window` tokens are marked).
    """
    out, inside, left = [], False, None
    for token in tokens:
        if token in scope_end:
            inside = False
            out.append(token)
        elif token in NEGATIONS:
            inside = not inside if (toggle and inside) else True
            left = window
            out.append(token + NEG_SUFFIX if mark_cue and inside else token)
        elif inside and (left is None or left > 0):
            out.append(token + NEG_SUFFIX)
            left = None if left is None else left - 1
        else:
            out.append(token)
    return out


WORDS = [
    "good",
    "bad",
    "tea",
    "i",
    "like",
    "it",
    "the",
    "taste",
    "was",
    "buy",
    "again",
    "at",
    "all",
    "(",
    "-",
]
CUES = sorted(NEGATIONS)
ENDS = sorted(SCOPE_END)


def _negation_cases(rng):
    """(what the case is, token list): fixed cases for each rule, then random texts of several lengths."""
    cases = [
        ("an empty list", []),
        ("one token", ["not"]),
        ("one token", ["good"]),
        ("a scope that ends at a full stop", ["not", "fresh", ".", "stale", "too"]),
        ("a scope that ends at a comma", ["not", "good", ",", "but", "fine"]),
        ("a scope that runs to the end", ["i", "did", "n't", "like", "the", "taste", "at", "all"]),
        ("two negations in one scope", ["not", "bad", "and", "not", "good", "either", "!"]),
        ("a scope ended by ';' and by '?'", ["no", "sugar", ";", "why", "not", "try", "?", "yes"]),
        ("a negation at the end", ["good", "or", "not"]),
    ]
    for length in (3, 9, 20, 41):
        pool = WORDS + CUES + ENDS
        weights = np.array([6.0] * len(WORDS) + [1.5] * len(CUES) + [1.0] * len(ENDS))
        picks = rng.choice(len(pool), size=length, p=weights / weights.sum())
        cases.append((f"a random text of {length} tokens", [pool[i] for i in picks]))
    return cases


NEG_HINTS = {
    "scope": "the scope ends at the next punctuation token (one of SCOPE_END): that token and what follows "
    "are not marked, until the next negation word",
    "ends": "every token of SCOPE_END ends the scope ('.', ',', '!', '?', ';', ':'), not only some of them",
    "cue": "the negation word itself stays as it is: mark only the tokens after it",
    "toggle": "a second negation word inside a scope neither ends nor cancels it (no double negation): the "
    "tokens after it are still marked",
    "window": "mark every token up to the next punctuation token, not only the next one",
    "suffix": f"append the suffix {NEG_SUFFIX!r} to the token (e.g. 'good' -> 'good{NEG_SUFFIX}'), with the "
    "underscore and in capitals",
}


def _negation_hint(got, tokens):
    """The known mistake that the list `got` equals, or None (the first that fits: a scope ended by '.'
    alone looks like a scope that never ends on a text without '.', so that case comes first)."""
    wrong = [
        (mark_negation_reference(tokens, scope_end=frozenset({"."})), NEG_HINTS["ends"]),
        (mark_negation_reference(tokens, scope_end=frozenset({".", "!", "?"})), NEG_HINTS["ends"]),
        (mark_negation_reference(tokens, scope_end=frozenset()), NEG_HINTS["scope"]),
        (mark_negation_reference(tokens, mark_cue=True), NEG_HINTS["cue"]),
        (mark_negation_reference(tokens, toggle=True), NEG_HINTS["toggle"]),
        (mark_negation_reference(tokens, window=1), NEG_HINTS["window"]),
    ]
    for answer, hint in wrong:
        if got == answer:
            return hint
    expected = mark_negation_reference(tokens)
    diffs = [(g, e) for g, e in zip(got, expected, strict=False) if g != e]
    if diffs and all(e.endswith(NEG_SUFFIX) and g != e.removesuffix(NEG_SUFFIX) for g, e in diffs):
        return NEG_HINTS["suffix"]
    return None


def check_mark_negation(mark_negation):
    """mark_negation(tokens) -> a new list of str, the tokens in a negation's scope suffixed with '_NEG'."""
    rng = check_rng("ex11_sentiment.check_mark_negation")
    for text, tokens in _negation_cases(rng):
        got = call("mark_negation", mark_negation, list(tokens))
        expected = mark_negation_reference(tokens)
        shown = (
            f"mark_negation({text}: {' '.join(tokens)!r})" if len(tokens) <= 12 else f"mark_negation({text})"
        )
        if not isinstance(got, list):
            raise CheckFailed(f"{shown}: expected a list of str, got {type_name(got)}")
        if len(got) != len(expected):
            raise CheckFailed(
                f"{shown}: expected {len(expected)} tokens (one per input token), got {len(got)}"
            )
        if any(not isinstance(t, str) for t in got):
            raise CheckFailed(f"{shown}: expected a list of str, got a list holding {type_name(got[0])}")
        if got != expected:
            k = next(i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b)
            body = f"{shown}: token {k} should be {expected[k]!r}, got {got[k]!r}"
            raise CheckFailed(hinted(body, _negation_hint(got, tokens)))


# ---------------------------------------------------------------- tasks 2 and 3: masked max pooling


def masked_max_pool_reference(out, lengths):
    """(pooled (N, H), argmax (N, H)): the maximum of out[i, :lengths[i], h] over time, and where it is.

    Args:
        out: (N, T, H) float array, post-padded (anything at t >= lengths[i]). lengths: (N,) ints in [1, T].
    Returns:
        pooled of out's dtype; argmax (N, H) int64, the first valid step that holds the maximum.
    """
    T = out.shape[1]
    valid = np.arange(T)[None, :] < np.asarray(lengths)[:, None]  # (N, T)
    filled = np.where(valid[:, :, None], out, -np.inf)  # (N, T, H)
    argmax = np.argmax(filled, axis=1)  # (N, H)
    pooled = np.take_along_axis(out, argmax[:, None, :], axis=1)[:, 0, :]
    return pooled, argmax


def masked_max_pool_backward_reference(dpooled, argmax, T):
    """(N, T, H): dpooled[i, h] at the step argmax[i, h] of row i, 0 everywhere else (padding included)."""
    N, H = dpooled.shape
    dout = np.zeros((N, T, H), dtype=dpooled.dtype)
    np.put_along_axis(dout, argmax[:, None, :], dpooled[:, None, :], axis=1)
    return dout


def _pool_inputs(N, T, H, dtype, rng):
    """out (N, T, H) with garbage (10 + noise) in the padding and one row all negative; lengths (N,) int64.

    Row 0 has one valid step and the last row all T; with N >= 2, row 1 holds only negative values, so
    that a fill of 0 in place of -inf shows.
    """
    lengths = rng.integers(1, T + 1, size=N)
    lengths[0] = 1
    if N > 1:
        lengths[-1] = T
    out = rng.standard_normal((N, T, H))
    if N > 1:
        out[1] = -1 - np.abs(out[1])
    padded = np.arange(T)[None, :] >= lengths[:, None]
    out[padded] = 10 + rng.standard_normal((int(padded.sum()), H))
    return out.astype(dtype), lengths.astype(np.int64)


POOL_HINTS = {
    "no_mask": "the padded steps t >= lengths[i] must not take part in the maximum: set them to -np.inf "
    "first (np.where(valid[:, :, None], out, -np.inf)), then take the max over time (axis=1)",
    "zero": "fill the padded steps with -np.inf, not 0: in a row whose values are all negative, a 0 from the "
    "padding wins the maximum",
    "mean": "max pooling takes the largest value over the valid steps, not their mean",
}


def check_masked_max_pool(masked_max_pool):
    """masked_max_pool(out, lengths) -> (pooled (N, H), cache): the maximum over each row's valid steps."""
    rng = check_rng("ex11_sentiment.check_masked_max_pool")
    for N, T, H, dtype in POOL_SIZES:
        out, lengths = _pool_inputs(N, T, H, dtype, rng)
        pooled, _ = returned("masked_max_pool", masked_max_pool, (out, lengths), ("pooled", "cache"))
        expected, _ = masked_max_pool_reference(out, lengths)
        valid = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]
        hints = (
            (out.max(axis=1), POOL_HINTS["no_mask"]),
            (np.where(valid, out, 0).max(axis=1), POOL_HINTS["zero"]),
            ((np.where(valid, out, 0).sum(axis=1) / lengths[:, None]).astype(dtype), POOL_HINTS["mean"]),
        )
        context = f"masked_max_pool({sizes_text(dtype, N=N, T=T, H=H)}, row 0 has one valid step)"
        report(context, mismatch("pooled", pooled, expected, None, hints))


def _backward_hints(dpooled, argmax, out, lengths):
    """(wrong dout, hint) of the typical mistakes in the backward pass."""
    N, T, H = out.shape
    valid = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]
    everywhere = np.broadcast_to(dpooled[:, None, :], out.shape)
    return (
        (
            everywhere * valid,
            "send dpooled[i, h] to the one step where the maximum was taken (the argmax over "
            "the valid steps), and 0 to every other step",
        ),
        (
            np.broadcast_to(everywhere, out.shape).copy(),
            "send dpooled[i, h] to the argmax step only; the other steps, and the padding, get 0",
        ),
        (
            masked_max_pool_backward_reference(dpooled, np.argmax(out, axis=1), T),
            "the argmax must run over the "
            "valid steps t < lengths[i] only: the padding never holds the maximum and gets no gradient",
        ),
        (
            (everywhere * valid / lengths[:, None, None]).astype(dpooled.dtype),
            "that is the gradient of the mean; the maximum passes dpooled to its argmax step alone",
        ),
    )


def check_masked_max_pool_backward(masked_max_pool, masked_max_pool_backward):
    """masked_max_pool_backward(dpooled, cache) -> dout (N, T, H), the cache from masked_max_pool."""
    rng = check_rng("ex11_sentiment.check_masked_max_pool_backward")
    for N, T, H, dtype in POOL_SIZES:
        out, lengths = _pool_inputs(N, T, H, dtype, rng)
        args = (out, lengths)
        pooled, cache = returned(
            "masked_max_pool", masked_max_pool, args, ("pooled", "cache"), "masked_max_pool_backward"
        )
        expected_pooled, argmax = masked_max_pool_reference(out, lengths)
        context = f"masked_max_pool_backward({sizes_text(dtype, N=N, T=T, H=H)})"
        if forward_problem([("pooled", pooled, expected_pooled)]):
            if np.dtype(dtype) != np.float64:
                continue  # float32 cannot resolve central differences: the float64 cases judge it
            if not isinstance(pooled, np.ndarray):
                raise CheckFailed(f"{context} runs your masked_max_pool first, and it returned no array")
            upstream = rng.standard_normal(pooled.shape)
            dout = call("masked_max_pool_backward", masked_max_pool_backward, upstream, cache)
            check_own_forward(
                context,
                "masked_max_pool",
                masked_max_pool,
                args,
                ("pooled", "cache"),
                {"dout": ((0,), dout)},
                [upstream],
                rng,
            )
            continue
        dpooled = rng.standard_normal((N, H)).astype(dtype)
        dout = call("masked_max_pool_backward", masked_max_pool_backward, dpooled, cache)
        expected = masked_max_pool_backward_reference(dpooled, argmax, T)
        hints = _backward_hints(dpooled, argmax, out, lengths)
        report(context, mismatch("dout", dout, expected, None, hints))


# ---------------------------------------------------------------- task 4: a classifier on held-out reviews


def held_out_reviews():
    """The grader's reviews: (texts, labels (M,) int64) of the test split of load_fine_food_reviews()."""
    from course_lib.data import load_fine_food_reviews

    test = load_fine_food_reviews().test
    return list(test.texts), np.asarray(test.labels, dtype=np.int64)


def macro_f1_reference(y_true, y_pred, num_classes=2):
    """Mean over the classes of F1_c, with 0/0 counted as 0 (course_lib.train.scores.macro_f1): a float."""
    from course_lib.train.scores import macro_f1

    return macro_f1(y_true, y_pred, num_classes)


def _predict(predict_sentiment, texts):
    """The student's predict_sentiment(texts), checked to be (M,) integer labels in {0, 1}."""
    labels = call("predict_sentiment", predict_sentiment, texts)
    shown = f"predict_sentiment(a list of {len(texts)} reviews)"
    if not isinstance(labels, np.ndarray):
        hint = " (convert it with .numpy())" if type_name(labels) == "torch.Tensor" else ""
        raise CheckFailed(f"{shown}: expected a numpy.ndarray of labels, got {type_name(labels)}{hint}")
    if labels.shape != (len(texts),):
        raise CheckFailed(
            f"{shown}: expected shape ({len(texts)},), one label per review, got {labels.shape}"
        )
    if labels.dtype.kind not in "iub":
        hint = " (threshold the probability: 1 if p(great) > 0.5, else 0)" if labels.dtype.kind == "f" else ""
        raise CheckFailed(f"{shown}: expected integer labels, got dtype {labels.dtype}{hint}")
    if labels.size and (labels.min() < 0 or labels.max() > 1):
        raise CheckFailed(
            f"{shown}: labels must be 0 (other) or 1 (great), got {labels.min()} .. {labels.max()}"
        )
    return labels.astype(np.int64)


def check_predict_sentiment(predict_sentiment):
    """predict_sentiment(texts) -> (M,) labels (1 = great) of the held-out reviews; macro-F1 >= MIN."""
    texts, labels = held_out_reviews()

    def too_slow(seconds):
        if seconds > PREDICT_SECONDS:
            return (
                f"predict_sentiment({len(texts)} reviews) took {seconds:.0f} s; it may take at most "
                f"{PREDICT_SECONDS:g} s"
            )
        return None

    pred, tried, changed = batch_then_alone(
        lambda batch: _predict(predict_sentiment, batch), texts, SINGLE_STRIDE, too_slow
    )
    if len(changed) > MAX_SINGLE_CHANGES:
        raise CheckFailed(
            f"a review's label must not depend on the other reviews of the batch: {len(changed)} of "
            f"{tried} reviews get another label alone than in a batch of {len(texts)} (a recurrent "
            "model needs the lengths, so that padding changes nothing)"
        )
    score = macro_f1_reference(labels, pred)
    if score < MIN_MACRO_F1:
        accuracy = float(np.mean(pred == labels))
        great = float(np.mean(pred == 1))
        raise CheckFailed(
            f"predict_sentiment: macro-F1 {score:.3f} (accuracy {accuracy:.3f}, {great:.0%} called great) "
            f"on the {len(texts)} held-out reviews, needed at least {MIN_MACRO_F1} (always 'great' scores "
            "0.400, logistic regression on a bag of words 0.77 in lecture 13)"
        )


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="11_sentiment_of_reviews",
    title="Sentiment of real reviews: negation scope, max pooling by hand, a classifier on held-out reviews",
    tasks=(
        Task("mark_negation", 2, ("mark_negation",), check_mark_negation, "the scope of a negation"),
        Task("masked_max_pool", 2, ("masked_max_pool",), check_masked_max_pool, "max over the valid steps"),
        Task(
            "masked_max_pool_backward",
            2,
            ("masked_max_pool", "masked_max_pool_backward"),
            check_masked_max_pool_backward,
            "max pooling, backward",
        ),
        Task(
            "predict_sentiment",
            4,
            ("predict_sentiment",),
            check_predict_sentiment,
            "a review classifier beyond the baselines",
        ),
    ),
)
