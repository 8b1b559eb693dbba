"""Exercise 07 (sampling, windows, a forecaster): the checks pass correct implementations, catch the typical
mistakes (statistically where sampling is random), and the grader gives half-done work its partial score."""

from pathlib import Path

import exercise_variants
import numpy as np
import pytest

from course_lib.grading.compare import CheckFailed
from course_lib.grading.exercises import ex07_sampling_forecasting as ex07
from course_lib.grading.runner import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "07_sampling_and_forecasting"


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


def sample_with_choice(logits, temperature, top_k, rng):
    """A correct sampler that draws row by row with rng.choice (different random numbers, same law)."""
    p = ex07.sampling_probs_reference(logits, temperature, top_k)
    return np.array([rng.choice(p.shape[1], p=row) for row in p])


def sample_with_global_rng(logits, temperature, top_k, rng):
    p = ex07.sampling_probs_reference(logits, temperature, top_k)
    u = np.random.random((len(p), 1))  # noqa: NPY002 (the mistake under test: the global generator)
    return (np.cumsum(p, axis=1) <= u).sum(axis=1)


def sample_ignoring_temperature(logits, temperature, top_k, rng):
    return ex07.sample_reference(logits, 1.0 if temperature else 0.0, top_k, rng)


def sample_ignoring_top_k(logits, temperature, top_k, rng):
    return ex07.sample_reference(logits, temperature, None if top_k != 1 else 1, rng)


def sample_first_row_only(logits, temperature, top_k, rng):
    return ex07.sample_reference(np.repeat(logits[:1], len(logits), axis=0), temperature, top_k, rng)


def probs_unstable(logits, temperature=1.0, top_k=None):
    if temperature == 0 or top_k == 1:
        return ex07.sampling_probs_reference(logits, temperature, top_k)
    weights = np.exp(np.asarray(logits, dtype=np.float64) / temperature)
    weights = np.where(ex07.sampling_probs_reference(logits, temperature, top_k) > 0, weights, 0.0)
    return weights / weights.sum(axis=-1, keepdims=True)


def probs_not_renormalised(logits, temperature=1.0, top_k=None):
    full = ex07.sampling_probs_reference(logits, temperature)
    return np.where(ex07.sampling_probs_reference(logits, temperature, top_k) > 0, full, 0.0)


def windows_one_short(series, input_len, horizon):
    X, Y = ex07.make_windows_reference(series, input_len, horizon)
    return X[:-1], Y[:-1]


def linear_forecaster():
    """The solution's least-squares forecaster, fitted on the training windows."""
    from course_lib.data import load_seattle_weather
    from course_lib.series import split_windows

    temps = load_seattle_weather().column(ex07.TARGET)
    X, Y = split_windows(temps, ex07.INPUT_LEN, ex07.HORIZON, context="previous").train
    coef = np.linalg.lstsq(np.hstack([X, np.ones((len(X), 1))]), Y, rcond=None)[0]
    return lambda windows: np.asarray(windows, dtype=np.float64) @ coef[:-1] + coef[-1]


@pytest.mark.parametrize("repeat", range(3))
def test_checks_pass_correct_implementations(repeat):
    ex07.check_sampling_probs(ex07.sampling_probs_reference)
    ex07.check_sample(ex07.sample_reference)
    ex07.check_make_windows(ex07.make_windows_reference)
    ex07.check_naive_forecast(ex07.naive_forecast_reference)


@pytest.mark.slow
def test_a_row_by_row_sampler_passes_too():
    ex07.check_sample(sample_with_choice)


@pytest.mark.slow
def test_the_linear_forecaster_passes_and_the_easy_ones_do_not():
    ex07.check_forecast(linear_forecaster())
    with pytest.raises(CheckFailed, match="ratio 1.000, needed at most 0.92"):
        ex07.check_forecast(lambda X: ex07.naive_forecast_reference(X, ex07.HORIZON))
    # The mean of the window beats naive a little, by less than the required margin.
    with pytest.raises(CheckFailed, match="needed at most 0.92"):
        ex07.check_forecast(lambda X: np.repeat(X.mean(axis=1, keepdims=True), ex07.HORIZON, axis=1))


def test_a_forecaster_that_reads_the_whole_batch_fails():
    def batch_mean(X):
        return np.full((len(X), ex07.HORIZON), X.mean())

    with pytest.raises(CheckFailed, match="must not depend on the other windows of the batch"):
        ex07.check_forecast(batch_mean)


MISTAKES = {
    "multiplied-by-temperature": (
        ex07.check_sampling_probs,
        lambda logits, temperature=1.0, top_k=None: ex07.sampling_probs_reference(
            np.asarray(logits) * temperature if temperature else logits, 1.0 if temperature else 0.0, top_k
        ),
        "divide the logits by the temperature",
    ),
    "overflow": (ex07.check_sampling_probs, probs_unstable, "subtract each row's maximum"),
    "not-renormalised": (ex07.check_sampling_probs, probs_not_renormalised, "renormalise over the top k"),
    "global-rng": (ex07.check_sample, sample_with_global_rng, "draw every random number from rng"),
    "temperature-ignored": (ex07.check_sample, sample_ignoring_temperature, "standard errors off"),
    "top-k-ignored": (ex07.check_sample, sample_ignoring_top_k, "outside the top 3"),
    "first-row-for-all": (ex07.check_sample, sample_first_row_only, "entries differ"),
    "always-greedy": (
        ex07.check_sample, lambda logits, t, k, rng: np.argmax(logits, axis=1), "two differently seeded"
    ),
    "one-window-short": (ex07.check_make_windows, windows_one_short, "the last one ends at the last step"),
    "first-value": (
        ex07.check_naive_forecast,
        lambda X, horizon: np.repeat(np.asarray(X, dtype=np.float64)[:, :1], horizon, axis=1),
        "repeat the last value",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, answer, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        for _ in range(3):
            check(answer)
    assert feedback in str(failure.value)


def test_frequency_test_is_tight_enough_to_see_a_wrong_temperature():
    # Sampling at 1.2 T where T is asked: 6,000 draws per row kind must tell them apart.
    def slightly_off(logits, temperature, top_k, rng):
        return ex07.sample_reference(logits, temperature * 1.2 if temperature else 0.0, top_k, rng)

    with pytest.raises(CheckFailed, match="standard errors off"):
        ex07.check_sample(slightly_off)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # Probabilities, windows and the baseline done; the sampler uses the global generator; the
    # "forecaster" is the naive forecast itself.
    global_rng = (
        "def sample(logits, temperature, top_k, rng):\n"
        "    p = sampling_probs(logits, temperature, top_k)\n"
        "    return (np.cumsum(p, axis=1) <= np.random.random((len(p), 1))).sum(axis=1)\n"
    )
    naive = "def forecast(X):\n    return naive_forecast(X, HORIZON)\n"
    done = ["sampling_probs", "make_windows", "naive_forecast"]
    path = build_variant(tmp_path, fill=done, replace={"sample": global_rng, "forecast": naive})
    report = grade_notebook(path, timeout=60)
    assert (report.score, report.max_score) == (2 + 2 + 1, 10)
    assert {t.id for t in report.tasks if t.passed} == set(done)
    assert "draw every random number from rng" in report.task("sample").feedback
    forecast = report.task("forecast")
    assert forecast.verdict == "failed" and "ratio 1.000, needed at most 0.92" in forecast.feedback
