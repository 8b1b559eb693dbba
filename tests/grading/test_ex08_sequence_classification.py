"""Exercise 08 (pooling, scores, class weights, a surname classifier): the checks pass correct
implementations, name the typical mistakes, hold the baselines below the bar, and the grader gives
half-done work its partial score."""

import exercise_variants
import numpy as np
import pytest
import torch
from torch import nn

from course_lib.data import load_surnames
from course_lib.grading.compare import CheckFailed, NotImplementedYet, StudentError
from course_lib.grading.exercises import ex08_sequence_classification as ex08
from course_lib.grading.runner import grade_notebook
from course_lib.plot import confusion_matrix as plot_confusion_matrix_counts
from course_lib.train import scores

NAME = "08_sequence_classification"


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


# Correct answers written differently from the references.


def masked_mean_by_rows(out, lengths):
    return torch.stack([row[:length].mean(dim=0) for row, length in zip(out, lengths.tolist(), strict=True)])


def masked_mean_with_where(out, lengths):
    valid = torch.arange(out.shape[1])[None, :, None] < lengths[:, None, None]  # (N, T, 1)
    return torch.where(valid, out, torch.zeros((), dtype=out.dtype)).sum(dim=1) / lengths[:, None]


def confusion_by_bincount(y_true, y_pred, num_classes):
    flat = np.asarray(y_true, dtype=np.int64) * num_classes + np.asarray(y_pred)
    return np.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def macro_f1_by_loop(y_true, y_pred, num_classes):
    f1 = []
    for c in range(num_classes):
        tp = np.sum((y_true == c) & (y_pred == c))
        predicted, present = np.sum(y_pred == c), np.sum(y_true == c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / present if present else 0.0
        f1.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1) / num_classes


def weighted_ce_by_hand(logits, targets, weight):
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (N, C)
    w = weight[targets]
    return -(w * log_p.gather(1, targets[:, None])[:, 0]).sum() / w.sum()


@pytest.mark.parametrize("repeat", range(3))
def test_checks_pass_correct_implementations(repeat):
    # Each run draws new sizes, lengths and labels: a right answer must pass every time.
    ex08.check_masked_mean(ex08.masked_mean_reference)
    ex08.check_masked_mean(masked_mean_by_rows)
    ex08.check_masked_mean(masked_mean_with_where)
    ex08.check_confusion_matrix(ex08.confusion_matrix_reference)
    ex08.check_confusion_matrix(confusion_by_bincount)
    ex08.check_macro_f1(ex08.macro_f1_reference)
    ex08.check_macro_f1(macro_f1_by_loop)
    ex08.check_class_weights(ex08.class_weights_reference)
    ex08.check_weighted_cross_entropy(ex08.weighted_cross_entropy_reference)
    ex08.check_weighted_cross_entropy(weighted_ce_by_hand)


def test_references_agree_with_the_course_library_and_the_stated_formulas(rng):
    y_true, y_pred = rng.integers(0, 5, size=60), rng.integers(0, 4, size=60)  # class 4 never predicted
    M = ex08.confusion_matrix_reference(y_true, y_pred, 6)  # class 5 absent from both
    assert np.array_equal(M, plot_confusion_matrix_counts(y_true, y_pred, num_classes=6))
    assert M.dtype == np.int64 and M.sum() == 60 and not M[5].any() and not M[:, 4:].any()
    assert ex08.macro_f1_reference(y_true, y_pred, 6) == pytest.approx(macro_f1_by_loop(y_true, y_pred, 6))
    per_class = scores.class_scores(y_true, y_pred, 6)
    assert ex08.macro_f1_reference(y_true, y_pred, 6) == pytest.approx(per_class.f1.sum() / 6)
    labels = rng.integers(0, 4, size=50)
    weights = ex08.class_weights_reference(labels, 4)
    counts = np.bincount(labels, minlength=4)
    assert np.allclose(counts * weights, 50 / 4) and np.isclose(np.sum(counts * weights), 50)


def test_the_masked_mean_gives_no_gradient_to_padding_and_matches_the_classifiers_mean_pooling():
    from course_lib.torch.models import ClassifierConfig, SequenceClassifier
    from course_lib.torch.recurrent import run_padded

    torch.manual_seed(0)
    config = ClassifierConfig(4, vocab_size=9, cell="gru", impl="torch", pooling="mean")
    model = SequenceClassifier(config).eval()
    x, lengths = torch.randint(1, 9, (3, 6)), torch.tensor([6, 2, 4])
    with torch.no_grad():
        out, _ = run_padded(model.rnn, model.embed(x), lengths)
        pooled = ex08.masked_mean_reference(out, lengths)  # (3, H)
        assert torch.allclose(model.head(pooled), model(x, lengths), atol=1e-6)
    out = torch.randn(3, 6, 5, dtype=torch.float64, requires_grad=True)
    ex08.masked_mean_reference(out, lengths).sum().backward()
    padded = torch.arange(6)[None, :] >= lengths[:, None]
    assert not out.grad[padded].any() and torch.allclose(out.grad[~padded].sum(), torch.tensor(15.0).double())


def mean_over_all_steps(out, lengths):
    return out.mean(dim=1)


def sum_including_padding(out, lengths):
    return out.sum(dim=1) / lengths[:, None]


def masked_sum_over_T(out, lengths):
    return ex08.masked_mean_reference(out, lengths) * lengths[:, None] / out.shape[1]


def masked_mean_detached(out, lengths):
    return torch.tensor(ex08.masked_mean_reference(out.detach(), lengths).numpy())


def masked_mean_leaking_gradient(out, lengths):
    # The right values, but the padded steps still receive gradient (they are subtracted as constants).
    padded = (torch.arange(out.shape[1])[None, :] >= lengths[:, None]).to(out.dtype)[:, :, None]
    leak = (out * padded).sum(dim=1)
    return (out.sum(dim=1) - leak.detach()) / lengths[:, None]


def confusion_by_fancy_increment(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    M[y_true, y_pred] += 1  # the mistake under test: repeated pairs count once
    return M


def confusion_sized_by_labels(y_true, y_pred, num_classes):
    size = int(max(np.max(y_true), np.max(y_pred))) + 1
    return ex08.confusion_matrix_reference(y_true, y_pred, size)


def confusion_of_floats(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes))
    np.add.at(M, (y_true, y_pred), 1)
    return M


def f1_parts(y_true, y_pred, C):
    M = ex08.confusion_matrix_reference(y_true, y_pred, C).astype(float)
    return np.diag(M), M.sum(axis=0), M.sum(axis=1)


def macro_f1_with_nan(y_true, y_pred, num_classes):
    hits, predicted, present = f1_parts(y_true, y_pred, num_classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision, recall = hits / predicted, hits / present
        return float(np.mean(2 * precision * recall / (precision + recall)))


def macro_f1_dividing_by_zero(y_true, y_pred, num_classes):
    hits, predicted, present = f1_parts(y_true, y_pred, num_classes)
    f1 = []
    for c in range(num_classes):
        precision, recall = float(hits[c]) / float(predicted[c]), float(hits[c]) / float(present[c])
        f1.append(2 * precision * recall / (precision + recall))
    return sum(f1) / num_classes


def macro_f1_over_present_classes(y_true, y_pred, num_classes):
    f1 = scores.class_scores(y_true, y_pred, num_classes).f1
    return float(f1[np.bincount(y_true, minlength=num_classes) > 0].mean())


def macro_f1_weighted_by_support(y_true, y_pred, num_classes):
    per_class = scores.class_scores(y_true, y_pred, num_classes)
    return float(np.sum(per_class.f1 * per_class.support) / per_class.support.sum())


def macro_f1_of_averaged_scores(y_true, y_pred, num_classes):
    per_class = scores.class_scores(y_true, y_pred, num_classes)
    P, R = per_class.precision.mean(), per_class.recall.mean()
    return float(2 * P * R / (P + R))


def weights_with_infinity(labels, num_classes):
    with np.errstate(divide="ignore"):
        return len(labels) / (num_classes * np.bincount(labels, minlength=num_classes).astype(float))


def ce_divided_by_n(logits, targets, weight):
    per_example = nn.functional.cross_entropy(logits, targets, reduction="none")
    return (weight[targets] * per_example).sum() / len(targets)


def ce_with_log_of_softmax(logits, targets, weight):
    log_p = torch.log(torch.softmax(logits, dim=1))
    w = weight[targets]
    return -(w * log_p[torch.arange(len(targets)), targets]).sum() / w.sum()


def ce_per_example(logits, targets, weight):
    per_example = nn.functional.cross_entropy(logits, targets, reduction="none")
    return weight[targets] * per_example / weight[targets].sum()


def ce_as_float(logits, targets, weight):
    return nn.functional.cross_entropy(logits, targets, weight=weight).item()


MISTAKES = {
    "mean-over-T": (ex08.check_masked_mean, mean_over_all_steps, "dividing by lengths[i], not T"),
    "padding-summed": (ex08.check_masked_mean, sum_including_padding, "must not enter the sum"),
    "divided-by-T": (ex08.check_masked_mean, masked_sum_over_T, "not by T"),
    "detached": (ex08.check_masked_mean, masked_mean_detached, "no gradient flows back"),
    "gradient-into-padding": (
        ex08.check_masked_mean, masked_mean_leaking_gradient, "no gradient may reach the padded steps"
    ),
    "transposed": (
        ex08.check_confusion_matrix,
        lambda y_true, y_pred, C: ex08.confusion_matrix_reference(y_true, y_pred, C).T,
        "rows are the true classes",
    ),
    "fancy-increment": (ex08.check_confusion_matrix, confusion_by_fancy_increment, "counts a repeated pair"),
    "sized-by-labels": (ex08.check_confusion_matrix, confusion_sized_by_labels, "the size is num_classes"),
    "float-counts": (ex08.check_confusion_matrix, confusion_of_floats, "expected integer counts"),
    "micro-f1": (
        ex08.check_macro_f1,
        lambda y_true, y_pred, C: float(np.mean(y_true == y_pred)),
        "that is accuracy (= micro-F1)",
    ),
    "nan-for-unpredicted-class": (ex08.check_macro_f1, macro_f1_with_nan, ex08.ZERO_DIVISION),
    "zero-division-error": (ex08.check_macro_f1, macro_f1_dividing_by_zero, ex08.ZERO_DIVISION),
    "present-classes-only": (
        ex08.check_macro_f1, macro_f1_over_present_classes, "average over all C classes"
    ),
    "support-weighted": (ex08.check_macro_f1, macro_f1_weighted_by_support, "every class counts 1/C"),
    "f1-of-means": (ex08.check_macro_f1, macro_f1_of_averaged_scores, "not 2PR/(P+R)"),
    "not-scaled": (
        ex08.check_class_weights,
        lambda labels, C: 1 / np.bincount(labels, minlength=C).astype(float),
        "scale 1 / n_c by N / C",
    ),
    "no-division-by-C": (
        ex08.check_class_weights,
        lambda labels, C: len(labels) / np.bincount(labels, minlength=C).astype(float),
        "divide by C as well",
    ),
    "frequencies": (
        ex08.check_class_weights,
        lambda labels, C: np.bincount(labels, minlength=C) / len(labels),
        "invert the class frequency",
    ),
    "normalised": (
        ex08.check_class_weights,
        lambda labels, C: (w := 1 / np.bincount(labels, minlength=C).astype(float)) / w.sum(),
        "not normalised to sum to 1",
    ),
    "no-error-for-empty-class": (ex08.check_class_weights, weights_with_infinity, "should raise ValueError"),
    "divided-by-N": (ex08.check_weighted_cross_entropy, ce_divided_by_n, "not by N"),
    "unweighted": (
        ex08.check_weighted_cross_entropy,
        lambda logits, targets, weight: nn.functional.cross_entropy(logits, targets),
        "multiply each example's loss by the weight of its target",
    ),
    "log-of-softmax": (ex08.check_weighted_cross_entropy, ce_with_log_of_softmax, "use torch.log_softmax"),
    "not-reduced": (ex08.check_weighted_cross_entropy, ce_per_example, "return one number"),
    "python-float": (ex08.check_weighted_cross_entropy, ce_as_float, "expected a torch.Tensor"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    # Three runs on fresh random cases. A mistake that some cases hide must show in one of them, and its
    # hint must be given at least once: on rare labels two wrong formulas agree (the support-weighted F1
    # equals the accuracy when every class is predicted as often as it occurs), and the first hint wins.
    check, answer, feedback = MISTAKES[mistake]
    failures = []
    for _ in range(3):
        try:
            check(answer)
        except CheckFailed as failure:
            failures.append(str(failure))
    assert failures, f"{mistake} passed three checks"
    assert any(feedback in text for text in failures), failures


def test_feedback_names_the_case_and_the_values():
    with pytest.raises(CheckFailed) as failure:
        ex08.check_masked_mean(mean_over_all_steps)
    text = str(failure.value)
    assert text.startswith("masked_mean(out of shape (") and "lengths=[" in text
    assert "result: max error" in text and "entries outside tolerance" in text
    with pytest.raises(CheckFailed, match=r"macro_f1\(random labels: \d+ examples, num_classes=\d\): "
                                          r"macro-F1: expected 0\.\d+, got 0\.\d+"):
        ex08.check_macro_f1(lambda y_true, y_pred, C: float(np.mean(y_true == y_pred)))


def test_an_input_changed_in_place_is_reported():
    def mean_in_place(out, lengths):
        out.data[torch.arange(out.shape[1])[None, :] >= lengths[:, None]] = 0
        return out.sum(dim=1) / lengths[:, None]

    with pytest.raises(StudentError, match="modified its input tensor in place"):
        ex08.check_masked_mean(mean_in_place)


def test_stub_is_reported_as_not_implemented():
    def stub(y_true, y_pred, num_classes):
        raise NotImplementedError("np.add.at")

    with pytest.raises(NotImplementedYet, match="hint: np.add.at"):
        ex08.check_confusion_matrix(stub)


# The classifier: the baselines stay below the bar, wrong return values are named.


def majority_classifier():
    majority = int(np.argmax(np.bincount(load_surnames().train.labels)))
    return lambda names: np.full(len(names), majority, dtype=np.int64)


def bag_of_characters_classifier():
    """Lecture 08's bag-of-characters baseline: logistic regression on character counts, trained as there."""
    from torch.utils.data import DataLoader, TensorDataset

    from course_lib.text.bag_of_ngrams import BagOfNgrams
    from course_lib.train import fit, seed_everything

    surnames = load_surnames()
    bag = BagOfNgrams((1,)).fit(surnames.train.texts)
    X = {part: torch.from_numpy(bag.transform(getattr(surnames, part).texts)) for part in ("train", "val")}
    Y = {part: torch.from_numpy(getattr(surnames, part).labels) for part in ("train", "val")}
    seed_everything(0)
    model = nn.Linear(X["train"].shape[1], len(surnames.classes))
    loader = DataLoader(TensorDataset(X["train"], Y["train"]), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    fit(model, loader, [(X["val"], Y["val"])], optimizer=torch.optim.Adam(model.parameters(), 1e-2),
        epochs=30, loss_fn=nn.CrossEntropyLoss(), patience=4, progress=False)

    def classify(names):
        with torch.no_grad():
            return model(torch.from_numpy(bag.transform(names))).argmax(dim=-1).numpy()

    return classify


def test_the_majority_class_fails_the_classifier_check():
    with pytest.raises(CheckFailed, match=r"macro-F1 0\.03\d \(accuracy 0\.19\d\) on the 788 held-out names, "
                                          r"needed at least 0\.65"):
        ex08.check_classify(majority_classifier())


@pytest.mark.slow
def test_the_bag_of_characters_fails_the_classifier_check_by_a_margin():
    classify = bag_of_characters_classifier()
    names, labels, C = ex08.held_out_names()
    score = ex08.macro_f1_reference(labels, classify(names), C)
    assert 0.5 < score < ex08.MIN_MACRO_F1 - 0.05  # lecture 08 measured 0.561
    with pytest.raises(CheckFailed, match="needed at least 0.65"):
        ex08.check_classify(classify)


def test_a_classifier_that_runs_over_the_padding_fails():
    # An untrained bidirectional GRU called without lengths: its backward direction starts in the padding,
    # so a name's class depends on the longest name of its batch.
    from course_lib.text import Vocab, collate
    from course_lib.torch.models import ClassifierConfig, SequenceClassifier

    vocab = Vocab([list(name) for name in load_surnames().train.texts])
    torch.manual_seed(0)
    config = ClassifierConfig(10, vocab_size=len(vocab), cell="gru", impl="torch", bidirectional=True)
    model = SequenceClassifier(config).eval()

    def classify(names):
        x, _ = collate([vocab.encode(list(name)) for name in names])
        with torch.no_grad():
            return model(x).argmax(dim=-1).numpy()

    with pytest.raises(CheckFailed, match="must not depend on the other names of the batch"):
        ex08.check_classify(classify)


WRONG_RETURNS = {
    "tensor": (lambda names: torch.zeros(len(names), dtype=torch.int64), "convert it with .numpy()"),
    "language-names": (lambda names: np.array(["Slovak"] * len(names)), "return ids, not names"),
    "one-hot": (
        lambda names: np.eye(10, dtype=np.int64)[np.zeros(len(names), dtype=int)], "one class id per name"
    ),
    "out-of-range": (lambda names: np.full(len(names), 10), "class ids must lie in [0, 10)"),
}


@pytest.mark.parametrize("wrong", WRONG_RETURNS)
def test_the_classifier_check_names_wrong_return_values(wrong):
    classify, feedback = WRONG_RETURNS[wrong]
    with pytest.raises(CheckFailed) as failure:
        ex08.check_classify(classify)
    assert feedback in str(failure.value)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # Pooling, the confusion matrix and the classifier done; macro-F1 computes accuracy; the class weights
    # and the weighted loss are stubs. The classifier is graded on its own: it needs neither of them.
    micro = "def macro_f1(y_true, y_pred, num_classes):\n    return float(np.mean(y_true == y_pred))\n"
    done = ["masked_mean", "confusion_matrix", "classify"]
    report = grade_notebook(build_variant(tmp_path, fill=done, replace={"macro_f1": micro}), timeout=60)
    assert (report.score, report.max_score) == (2 + 1 + 3, 10)
    assert {t.id for t in report.tasks if t.passed} == set(done)
    assert "that is accuracy (= micro-F1)" in report.task("macro_f1").feedback
    assert report.task("class_weights").verdict == "not implemented"
    assert report.task("weighted_cross_entropy").verdict == "not implemented"

