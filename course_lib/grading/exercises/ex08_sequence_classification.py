"""Exercise 08, many-to-one classification of surnames by language: tasks, reference answers, checks.

Notebook: solutions/08_sequence_classification.ipynb (exercises/ is generated from it). References:
course_lib.train.scores (count_matrix, macro_f1: rows are true classes, a ratio 0/0 counts as 0, the
mean runs over all C classes) for the scores, torch.nn.functional.cross_entropy(weight=...) for the
weighted loss, and masked arithmetic on the time axis for the mean over the valid steps. The pooling
and the loss are checked on values and on the gradients autograd sends back through the student's
code. The classifier is graded on names the notebook never uses: the test split of load_surnames().

torch and course_lib.train are imported inside the functions only: every grading process imports
this module (and the notebook has imported torch before any check that needs it runs).
"""

import numpy as np

from course_lib.check.tolerances import forward_tol, gradient_tol
from course_lib.grading.compare import (
    CheckFailed,
    StudentError,
    batch_then_alone,
    call,
    check_rng,
    fail_if,
    hinted,
    mismatch,
    raised,
    raises_mismatch,
    report,
    scalar_mismatch,
    type_name,
)
from course_lib.grading.compare_torch import backward_through, grad_mismatch, invoke, tensor_mismatch
from course_lib.grading.registry import Exercise, Task

MIN_MACRO_F1 = 0.65  # the classifier's held-out macro-F1 must reach this (bag of characters: about 0.56)
PREDICT_SECONDS = 10.0  # time allowed for classifying all held-out names at once
SINGLE_STRIDE = 8  # every 8th held-out name is also classified alone, to see that padding changes nothing
MAX_SINGLE_CHANGES = 1  # predictions that may differ alone vs. in the batch (float32 near-ties)
ZERO_DIVISION = "a ratio 0/0 (a class never predicted, or never present) counts as 0"


def masked_mean_reference(out, lengths):
    """(N, H): the mean of out[i, :lengths[i]] over time; padded steps get no weight and no gradient.

    z_i = (1 / len_i) Σ_{t < len_i} out[i, t]

    Args:
        out: (N, T, H) float tensor, post-padded (anything at t >= lengths[i]). lengths: (N,) int64 in [1, T].
    Returns:
        (N, H) tensor of out's dtype.
    """
    import torch

    T = out.shape[1]
    lengths = torch.as_tensor(lengths, dtype=torch.int64)
    mask = (torch.arange(T)[None, :] < lengths[:, None]).to(out.dtype)  # (N, T), 1 at valid steps
    total = (out * mask[:, :, None]).sum(dim=1)  # (N, H)
    return total / lengths.to(out.dtype)[:, None]


def confusion_matrix_reference(y_true, y_pred, num_classes):
    """(C, C) int64: M[i, j] = number of examples of true class i predicted as j (scores.count_matrix)."""
    from course_lib.train.scores import count_matrix

    return count_matrix(y_true, y_pred, num_classes)


def macro_f1_reference(y_true, y_pred, num_classes):
    """Mean over all C classes of F1_c, with 0/0 counted as 0 (scores.macro_f1): a float."""
    from course_lib.train.scores import macro_f1

    return macro_f1(y_true, y_pred, num_classes)


def class_weights_reference(labels, num_classes):
    """(C,) float64 inverse-frequency weights w_c = N / (C n_c); ValueError if some n_c is 0.

    With these weights every class carries the same total weight N / C, and Σ_c n_c w_c = N: the
    average weight per example stays 1, so the loss keeps its scale.
    """
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=num_classes)  # (C,)
    if np.any(counts == 0):
        raise ValueError(f"classes {np.flatnonzero(counts == 0).tolist()} have no examples")
    return len(labels) / (num_classes * counts.astype(np.float64))


def weighted_cross_entropy_reference(logits, targets, weight):
    """Σ_i w[y_i] (-log softmax(z_i)[y_i]) / Σ_i w[y_i]: F.cross_entropy(logits, targets, weight=weight)."""
    import torch

    return torch.nn.functional.cross_entropy(logits, targets, weight=weight)


def held_out_names():
    """The grader's names: (texts, labels (M,) int64, C) of the test split of load_surnames()."""
    from course_lib.data import load_surnames

    surnames = load_surnames()
    return surnames.test.texts, surnames.test.labels, len(surnames.classes)


def _lengths(rng, N, T):
    """(N,) int64 tensor in [1, T], unsorted, with a full-length row and a length-1 row when N >= 2."""
    import torch

    lengths = rng.integers(1, T + 1, size=N)
    if N >= 2:
        lengths[:2] = [T, 1]
    return torch.from_numpy(rng.permutation(lengths).astype(np.int64))


def _padded_outputs(rng, N, T, H, lengths, dtype):
    """(N, T, H) leaf tensor: random valid steps; at t >= lengths[i] large garbage (not zeros)."""
    import torch

    values = rng.standard_normal((N, T, H))
    padded = np.arange(T)[None, :] >= lengths.numpy()[:, None]  # (N, T)
    values[padded] = 10 + rng.standard_normal((int(padded.sum()), H))
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def _masked_mean_hints(out, lengths):
    """(wrong result, hint) of the typical mistakes."""
    T = out.shape[1]
    masked_sum = masked_mean_reference(out, lengths) * lengths.to(out.dtype)[:, None]  # (N, H)
    return [
        (out.mean(dim=1), "average over the valid steps t < lengths[i] only, dividing by lengths[i], not T"),
        (out.sum(dim=1) / lengths.to(out.dtype)[:, None],
         "the padded steps t >= lengths[i] must not enter the sum: mask them out"),
        (masked_sum / T, "divide by lengths[i], the number of valid steps, not by T"),
        (masked_sum, "divide the masked sum by lengths[i], the number of valid steps"),
    ]


def check_masked_mean(masked_mean):
    """masked_mean(out, lengths) -> (N, H), the mean over each row's valid steps; no gradient to padding."""
    import torch

    rng = check_rng("ex08_sequence_classification.check_masked_mean")
    N, T = int(rng.integers(3, 6)), int(rng.integers(4, 8))
    H = int(rng.choice([h for h in range(2, 7) if h != T]))  # H != T: averaging the wrong axis shows
    cases = [
        (N, T, H, _lengths(rng, N, T), torch.float64),
        (1, T, H, torch.tensor([T - 2]), torch.float64),  # one sequence, shorter than T
        (N, 1, H, torch.ones(N, dtype=torch.int64), torch.float64),  # one step
        (N, T, H, torch.full((N,), T), torch.float64),  # no padding: the plain mean
        (N, T, H, _lengths(rng, N, T), torch.float32),
    ]
    for n, t, h, lengths, dtype in cases:
        out = _padded_outputs(rng, n, t, h, lengths, dtype)
        dtype_name = str(dtype).replace("torch.", "")
        shown = f"masked_mean(out of shape {(n, t, h)}, {dtype_name}, lengths={lengths.tolist()})"
        z = invoke("masked_mean", shown, masked_mean, out, lengths)
        values = out.detach()
        expected = masked_mean_reference(values, lengths)
        fail_if(shown, tensor_mismatch("result", z, expected, None, _masked_mean_hints(values, lengths)))
        u = torch.from_numpy(rng.standard_normal((n, h))).to(dtype)
        backward_through([z], [u], "masked_mean's result")
        mask = (torch.arange(t)[None, :] < lengths[:, None]).to(dtype)  # (n, t)
        expected_grad = mask[:, :, None] * u[:, None, :] / lengths.to(dtype)[:, None, None]
        message = grad_mismatch("out", out, expected_grad, gradient_tol(dtype_name))
        if message and out.grad is not None and bool((out.grad * (1 - mask)[:, :, None]).abs().max() > 0):
            message += " (no gradient may reach the padded steps t >= lengths[i])"
        fail_if(shown, message)


def _label_cases(rng):
    """(text, y_true, y_pred, C): random, an absent class, one example, all right, all wrong, int32."""
    C, N = int(rng.integers(3, 7)), int(rng.integers(25, 45))
    y_true = rng.integers(0, C, size=N)
    y_true[:C] = np.arange(C)  # every class present
    noisy = np.where(rng.random(N) < 0.6, y_true, rng.integers(0, C, size=N))
    never_predicted = np.where(noisy == 1, 0, noisy)  # class 1 is never predicted
    extra = C + int(rng.integers(1, 3))  # num_classes above every label: the last classes never occur
    return [
        ("random labels", y_true, noisy, C),
        ("class 1 never predicted", y_true, never_predicted, C),
        (f"classes {C}..{extra - 1} neither present nor predicted", y_true, noisy, extra),
        ("one example", np.array([2]), np.array([0]), 3),
        ("every prediction right", y_true, y_true.copy(), C),
        ("every prediction wrong", y_true, (y_true + 1) % C, C),
        ("int32 labels", y_true.astype(np.int32), noisy.astype(np.int32), C),
    ]


def check_confusion_matrix(confusion_matrix):
    """confusion_matrix(y_true, y_pred, num_classes) -> (C, C) int64 counts, rows true, columns predicted."""
    rng = check_rng("ex08_sequence_classification.check_confusion_matrix")
    for text, y_true, y_pred, C in _label_cases(rng):
        out = call("confusion_matrix", confusion_matrix, y_true, y_pred, C)
        expected = confusion_matrix_reference(y_true, y_pred, C)
        shown = f"confusion_matrix({text}: {len(y_true)} examples, num_classes={C})"
        if isinstance(out, np.ndarray) and out.dtype.kind in "iu":
            out = out.astype(np.int64)  # any integer type is fine
        elif isinstance(out, np.ndarray) and out.shape == expected.shape:
            raise CheckFailed(f"{shown}: expected integer counts (int64), got dtype {out.dtype}")
        hints = [
            (expected.T, "rows are the true classes and columns the predictions: M[y_true[k], y_pred[k]]"),
            ((expected > 0).astype(np.int64), "M[y_true, y_pred] += 1 counts a repeated pair only once: "
                                              "use np.add.at(M, (y_true, y_pred), 1) or np.bincount"),
        ]
        message = mismatch("M", out, expected, None, hints)
        if message and isinstance(out, np.ndarray) and out.ndim == 2 and out.shape != expected.shape:
            message += f" (the size is num_classes = {C}: a class may be absent from both arrays)"
        fail_if(shown, message)


def _f1_parts(y_true, y_pred, C):
    """(per-class F1 (C,), precision (C,), recall (C,), support (C,)) with 0/0 = 0."""
    M = confusion_matrix_reference(y_true, y_pred, C).astype(np.float64)  # (C, C)
    hits, predicted, support = np.diag(M), M.sum(axis=0), M.sum(axis=1)

    def ratio(a, b):
        return np.divide(a, b, out=np.zeros(C), where=b > 0)

    precision, recall = ratio(hits, predicted), ratio(hits, support)
    return ratio(2 * precision * recall, precision + recall), precision, recall, support


def _f1_hints(y_true, y_pred, C):
    """(wrong value, hint) of typical mistakes in macro-F1."""
    f1, precision, recall, support = _f1_parts(y_true, y_pred, C)
    present = (support > 0) | (np.bincount(y_pred, minlength=C) > 0)
    P, R = precision.mean(), recall.mean()
    hints = [
        (float(np.mean(np.asarray(y_true) == np.asarray(y_pred))),
         "that is accuracy (= micro-F1): compute F1 per class, then average the C scores"),
        (float(np.sum(f1 * support) / support.sum()),
         "every class counts 1/C, however many examples it has (that was the support-weighted mean)"),
        (float(f1[support > 0].mean()), "average over all C classes, also those absent from y_true (F1 0)"),
        (float(f1[present].mean()),
         "average over all C classes: a class neither present nor predicted has F1 0"),
        (float(2 * P * R / (P + R)) if P + R > 0 else 0.0,
         "average the per-class F1 scores, not 2PR/(P+R) of the averaged precision and recall"),
    ]
    return [(value, hint) for value, hint in hints if not np.isclose(value, f1.mean())]


def check_macro_f1(macro_f1):
    """macro_f1(y_true, y_pred, num_classes) -> float, the mean of the C per-class F1, 0/0 counted as 0."""
    rng = check_rng("ex08_sequence_classification.check_macro_f1")
    for text, y_true, y_pred, C in _label_cases(rng):
        shown = f"macro_f1({text}: {len(y_true)} examples, num_classes={C})"
        try:
            out = call("macro_f1", macro_f1, y_true, y_pred, C)
        except StudentError as failure:
            if raised(failure, ZeroDivisionError) or raised(failure, FloatingPointError):
                raise CheckFailed(f"{shown}: {failure} ({ZERO_DIVISION})") from None
            raise
        expected = macro_f1_reference(y_true, y_pred, C)
        hints = _f1_hints(y_true, y_pred, C)
        message = scalar_mismatch("macro-F1", out, expected, forward_tol(np.float64), hints)
        if message and isinstance(out, (float, np.floating)) and np.isnan(out):
            message = hinted(message, ZERO_DIVISION)
        fail_if(shown, message)


def _weights_hints(labels, C):
    """(wrong weights, hint) of typical mistakes."""
    counts = np.bincount(labels, minlength=C).astype(np.float64)  # (C,)
    N = len(labels)
    return [
        (1 / counts, "scale 1 / n_c by N / C, so that the average weight per example is 1"),
        (N / counts, "divide by C as well: w_c = N / (C n_c)"),
        (counts / N, "invert the class frequency, w_c = N / (C n_c): rarer classes weigh more"),
        ((1 / counts) / (1 / counts).sum(), "w_c = N / (C n_c) exactly: not normalised to sum to 1"),
    ]


def check_class_weights(class_weights):
    """class_weights(labels, num_classes) -> (C,) float64 N / (C n_c); ValueError for a class with n_c = 0."""
    rng = check_rng("ex08_sequence_classification.check_class_weights")
    C = int(rng.integers(3, 7))
    unbalanced = np.repeat(np.arange(C), rng.integers(1, 12, size=C))
    unbalanced = np.concatenate([unbalanced, np.zeros(40, dtype=np.int64)])  # class 0 dominates
    cases = [
        ("random labels", rng.permutation(np.concatenate([np.arange(C), rng.integers(0, C, size=30)])), C),
        ("unbalanced labels", rng.permutation(unbalanced), C),
        ("balanced labels", np.tile(np.arange(C), 4), C),
        ("two classes", np.array([0, 0, 0, 1]), 2),
        ("one class", np.array([0, 0, 0]), 1),
        ("int32 labels", rng.permutation(unbalanced).astype(np.int32), C),
    ]
    for text, labels, num_classes in cases:
        out = call("class_weights", class_weights, labels, num_classes)
        expected = class_weights_reference(labels, num_classes)
        counts = np.bincount(labels, minlength=num_classes).tolist()
        shown = f"class_weights({text}, counts {counts}, num_classes={num_classes})"
        fail_if(shown, mismatch("weights", out, expected, None, _weights_hints(labels, num_classes)))
    missing = np.array([0, 1, 1, 3, 3, 3])
    message = raises_mismatch("class_weights", class_weights, ValueError, missing, 4)
    fail_if("class 2 has no examples (its weight would be infinite)", message)


def _loss_hints(logits, targets, weight):
    """(wrong loss, hint) of the typical mistakes."""
    import torch

    per_example = torch.nn.functional.cross_entropy(logits, targets, reduction="none")  # (N,)
    w = weight[targets]  # (N,)
    return [
        ((w * per_example).sum() / len(targets),
         "the weighted mean divides by Σ_i weight[targets[i]], the total weight of the targets, not by N"),
        (per_example.mean(), "multiply each example's loss by the weight of its target, weight[targets[i]]"),
        ((w * per_example).sum(), "divide the weighted sum by Σ_i weight[targets[i]] (mean reduction)"),
    ]


def _loss_cases(rng):
    """(text, logits, targets, weight) as numpy arrays."""
    N, C = int(rng.integers(5, 12)), int(rng.integers(3, 6))
    targets = rng.integers(0, C, size=N)
    targets[:2] = [0, 1]
    weight = rng.uniform(0.2, 3.0, size=C)
    logits = 2 * rng.standard_normal((N, C))
    huge = 1000 * rng.choice([-1.0, 1.0], size=(N, C)) + rng.standard_normal((N, C))
    return [
        ("random logits", logits, targets, weight, "float64"),
        ("all weights 1 (the plain mean)", logits, targets, np.ones(C), "float64"),
        ("one example", logits[:1], targets[:1], weight, "float64"),
        ("class 0 absent from targets", logits, np.where(targets == 0, 1, targets), weight, "float64"),
        ("float32", logits, targets, weight, "float32"),
        ("logits of size 1000", huge, targets, weight, "float64"),
    ]


def check_weighted_cross_entropy(weighted_cross_entropy):
    """weighted_cross_entropy(logits, targets, weight) -> 0-dim tensor, as F.cross_entropy(weight=weight)."""
    import torch

    rng = check_rng("ex08_sequence_classification.check_weighted_cross_entropy")
    for text, logits_np, targets_np, weight_np, dtype_name in _loss_cases(rng):
        dtype = getattr(torch, dtype_name)
        logits = torch.tensor(logits_np, dtype=dtype, requires_grad=True)
        reference_logits = torch.tensor(logits_np, dtype=dtype, requires_grad=True)
        targets, weight = torch.from_numpy(targets_np.astype(np.int64)), torch.tensor(weight_np, dtype=dtype)
        N, C = logits_np.shape
        shown = f"weighted_cross_entropy(logits of shape {(N, C)}, {dtype_name}, {text})"
        loss = invoke("weighted_cross_entropy", shown, weighted_cross_entropy, logits, targets, weight)
        expected = weighted_cross_entropy_reference(reference_logits, targets, weight)
        hints = _loss_hints(reference_logits.detach(), targets, weight)
        message = tensor_mismatch("loss", loss, expected.detach(), None, hints)
        if message and isinstance(loss, torch.Tensor) and not torch.isfinite(loss).all():
            message = hinted(message, "use torch.log_softmax, which subtracts each row's maximum, "
                                      "rather than the log of a softmax")
        if message and isinstance(loss, torch.Tensor) and loss.dim() != 0:
            message += " (return one number, a 0-dim tensor: the weighted mean over the batch)"
        report(shown, message)
        backward_through([loss], [torch.ones((), dtype=dtype)], "weighted_cross_entropy's loss")
        backward_through([expected], [torch.ones((), dtype=dtype)], "the reference")
        fail_if(shown, grad_mismatch("logits", logits, reference_logits.grad, gradient_tol(dtype_name)))


def _classify(classify, names, C):
    """The student's classify(names), checked to be (M,) integer class ids in [0, C)."""
    ids = call("classify", classify, names)
    shown = f"classify(a list of {len(names)} names)"
    if not isinstance(ids, np.ndarray):
        hint = " (convert it with .numpy())" if type_name(ids) == "torch.Tensor" else ""
        raise CheckFailed(f"{shown}: expected a numpy.ndarray of class ids, got {type_name(ids)}{hint}")
    if ids.shape != (len(names),):
        raise CheckFailed(f"{shown}: expected shape ({len(names)},), one class id per name, got {ids.shape}")
    if ids.dtype.kind not in "iu":
        hint = " (class ids index surnames.classes: return ids, not names)" if ids.dtype.kind in "UO" else ""
        raise CheckFailed(f"{shown}: expected integer class ids, got dtype {ids.dtype}{hint}")
    if ids.min() < 0 or ids.max() >= C:
        raise CheckFailed(f"{shown}: class ids must lie in [0, {C}), got {ids.min()} .. {ids.max()}")
    return ids.astype(np.int64)


def check_classify(classify):
    """classify(names) -> (M,) class ids on the held-out names; macro-F1 at least MIN_MACRO_F1."""
    names, labels, C = held_out_names()

    def too_slow(seconds):
        if seconds > PREDICT_SECONDS:
            return (f"classify({len(names)} names) took {seconds:.0f} s; it may take at most "
                    f"{PREDICT_SECONDS:g} s (classify them in one padded batch)")
        return None

    pred, tried, changed = batch_then_alone(lambda batch: _classify(classify, batch, C), names, SINGLE_STRIDE,
                                            too_slow)
    if len(changed) > MAX_SINGLE_CHANGES:
        examples = ", ".join(repr(names[i]) for i in changed[:3])
        raise CheckFailed(
            f"a name's class must not depend on the other names of the batch: {len(changed)} of "
            f"{tried} names (such as {examples}) get another class alone than in a batch of "
            f"{len(names)}; pass the lengths, so that the model stops at each name's last character"
        )
    score = macro_f1_reference(labels, pred, C)
    if score < MIN_MACRO_F1:
        accuracy = float(np.mean(pred == labels))
        raise CheckFailed(
            f"classify: macro-F1 {score:.3f} (accuracy {accuracy:.3f}) on the {len(names)} held-out "
            f"names, needed at least {MIN_MACRO_F1} (the majority class scores 0.03, a bag of "
            "characters about 0.56)"
        )


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="08_sequence_classification",
    title="Many-to-one: pooling a padded batch, scores for unbalanced classes, a surname classifier",
    tasks=(
        Task("masked_mean", 2, ("masked_mean",), check_masked_mean, "mean over the valid steps"),
        Task("confusion_matrix", 1, ("confusion_matrix",), check_confusion_matrix, "the confusion matrix"),
        Task("macro_f1", 2, ("macro_f1",), check_macro_f1, "macro-averaged F1"),
        Task("class_weights", 1, ("class_weights",), check_class_weights, "inverse-frequency weights"),
        Task("weighted_cross_entropy", 1, ("weighted_cross_entropy",), check_weighted_cross_entropy,
             "class-weighted cross-entropy"),
        Task("classify", 3, ("classify",), check_classify, "a classifier beyond the baselines"),
    ),
    forbidden={
        "confusion_matrix": (
            "course_lib.train.scores.count_matrix",
            "course_lib.plot.heatmaps.confusion_matrix",
        ),
        "macro_f1": ("course_lib.train.scores.macro_f1",),
    },
)
