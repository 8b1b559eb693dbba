"""Exercise 07, sampling from a language model and forecasting a real series: tasks, references, checks.

Notebook: solutions/07_sampling_and_forecasting.ipynb (exercises/ is generated from it). References:
course_lib.numpy.softmax for the sampling distribution (the NumPy twin of course_lib.torch.models_lm's
sample_next), course_lib.series.sliding_windows and naive_forecast for the windows and the baseline.

Sampling is graded two ways: exactly where the answer is determined (temperature 0 and top_k = 1 are
the argmax; the probabilities themselves), and statistically with fixed seeds where it is random (the
frequencies of many draws against the probabilities, within 5 standard errors). The forecaster is
graded on windows the notebook never uses: the last 15 % of the days of course_lib.data's Seattle series.
"""

import time

import numpy as np

from course_lib.check.tolerances import forward_tol
from course_lib.grading.compare import (
    CheckFailed,
    StudentError,
    array_mismatch,
    call,
    check_rng,
    describe,
    fail_if,
    mismatch,
    raised,
    raises_mismatch,
    type_name,
    unpack,
)
from course_lib.grading.registry import Exercise, Task
from course_lib.numpy import softmax
from course_lib.series import mae, naive_forecast, sliding_windows, split_windows

TARGET = "temp_max"  # the column of load_seattle_weather() that is forecast (daily maximum, °C)
INPUT_LEN = 14  # days of history a forecast sees
HORIZON = 7  # days forecast at once
VAL_FRACTION = TEST_FRACTION = 0.15  # chronological split; the grader's held-out windows are the test part
MAX_MAE_RATIO = 0.92  # the forecaster's held-out MAE must be at most this fraction of the naive MAE
PREDICT_SECONDS = 10.0  # time allowed for forecasting all held-out windows
MAX_Z = 5.0  # standard errors a sampled frequency may stray from its probability
STABLE = "subtract each row's maximum from the scaled logits before exp (softmax does not change)"


def sampling_probs_reference(logits, temperature=1.0, top_k=None):
    """The distribution a sampler draws from: softmax(logits / temperature) over the top_k largest logits.

    Args:
        logits: (..., V). temperature: >= 0; 0 means greedy. top_k: None (all V) or 1..V.
    Returns:
        (..., V) float64 probabilities; temperature 0 or top_k = 1 give the one-hot vector of the argmax.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0 or top_k == 1:
        greedy = np.argmax(logits, axis=-1)[..., None]  # (..., 1)
        return (np.arange(logits.shape[-1]) == greedy).astype(np.float64)
    scaled = logits / temperature  # (..., V)
    if top_k is not None:
        kth = np.sort(scaled, axis=-1)[..., -top_k, None]  # (..., 1): the smallest kept logit
        scaled = np.where(scaled < kth, -np.inf, scaled)
    return softmax(scaled, axis=-1)


def sample_reference(logits, temperature, top_k, rng):
    """One token id per row of (N, V) logits from sampling_probs_reference, drawn with `rng`: (N,) int64."""
    p = sampling_probs_reference(logits, temperature, top_k)  # (N, V)
    cumulative = np.cumsum(p, axis=1)  # (N, V)
    r = rng.random((len(p), 1)) * cumulative[:, -1:]  # (N, 1), uniform on [0, total)
    return (r >= cumulative).sum(axis=1).astype(np.int64)  # token j iff cumulative[j-1] <= r < cumulative[j]


def make_windows_reference(series, input_len, horizon):
    """(X, Y) float64: X[i] = series[i : i + L], Y[i] = series[i + L : i + L + horizon], L = input_len."""
    return sliding_windows(series, input_len, horizon)


def naive_forecast_reference(X, horizon):
    """(N, horizon) float64, every step equal to the last input X[:, -1]."""
    return naive_forecast(X, horizon)


def held_out_windows():
    """The grader's windows: (X (N, INPUT_LEN), Y (N, HORIZON)) of the last 15 % of the days, in °C."""
    from course_lib.data import load_seattle_weather

    temps = load_seattle_weather().column(TARGET)  # (T,)
    splits = split_windows(temps, INPUT_LEN, HORIZON, val_fraction=VAL_FRACTION,
                           test_fraction=TEST_FRACTION, context="previous")
    return splits.test


def _probs_cases(rng):
    """(text, logits, temperature, top_k): random rows, temperatures, top-k, the greedy cases, 1-D logits."""
    N, V = int(rng.integers(2, 6)), int(rng.integers(5, 10))
    logits = 2 * rng.standard_normal((N, V))
    k = int(rng.integers(2, V))
    T = float(rng.uniform(0.3, 0.8))
    return [
        ("temperature 1", logits, 1.0, None),
        (f"temperature {T:.2f}", logits, T, None),
        ("temperature 2.5", logits, 2.5, None),
        (f"top_k={k}, temperature {T:.2f}", logits, T, k),
        (f"top_k={V} (all)", logits, 1.0, V),
        ("temperature 0 (greedy)", logits, 0.0, None),
        ("top_k=1 (greedy), temperature 1.3", logits, 1.3, 1),
        ("logits of shape (V,)", 2 * rng.standard_normal(V), 0.7, None),
        ("float32 logits", logits.astype(np.float32), 1.5, None),
    ]


def _probs_hints(logits, temperature, top_k):
    """(wrong probabilities, hint) of typical mistakes."""
    if temperature == 0 or top_k == 1:
        return ()
    multiplied = sampling_probs_reference(logits * temperature, 1.0, top_k)
    hints = [(multiplied, "divide the logits by the temperature")]
    if top_k is not None:
        full = softmax(np.asarray(logits, np.float64) / temperature, axis=-1)
        kept = np.where(sampling_probs_reference(logits, temperature, top_k) > 0, full, 0.0)
        hints.append((kept, "renormalise over the top k: the kept probabilities must sum to 1"))
        hints.append((full, "keep only the top_k largest logits: set the others to -inf before the softmax"))
    return hints


def check_sampling_probs(sampling_probs):
    """sampling_probs(logits, temperature=1.0, top_k=None) -> float64 probabilities, exactly."""
    rng = check_rng("ex07_sampling_forecasting.check_sampling_probs")
    for text, logits, temperature, top_k in _probs_cases(rng):
        args = (logits, temperature) if top_k is None else (logits, temperature, top_k)
        out = call("sampling_probs", sampling_probs, *args)
        expected = sampling_probs_reference(logits, temperature, top_k)
        message = mismatch("probabilities", out, expected, None, _probs_hints(logits, temperature, top_k))
        if message and temperature == 0:
            message += " (temperature 0 is greedy: return the one-hot vector of the argmax, no division)"
        fail_if(f"sampling_probs, {text}", message)
    logits = np.array([[1000.0, 999.5, -1000.0, 0.0], [-800.0, -801.0, -799.0, -850.0]])
    try:
        with np.errstate(over="raise", invalid="raise", divide="ignore", under="ignore"):
            out = call("sampling_probs", sampling_probs, logits, 0.1)
    except StudentError as failure:
        if raised(failure, FloatingPointError):
            raise CheckFailed(f"{failure} ({STABLE})") from None
        raise
    message = array_mismatch("probabilities", out, sampling_probs_reference(logits, 0.1))
    fail_if("sampling_probs, logits of size 1000 at temperature 0.1", message and f"{message} ({STABLE})")


def _draw(sample, logits, temperature, top_k, seed):
    """The student's sample(...) with a fresh generator, checked to be (N,) integer ids in [0, V)."""
    N, V = logits.shape
    rng = np.random.default_rng(seed)
    ids = call("sample", sample, logits, temperature, top_k, rng)
    shown = f"sample(logits of shape {logits.shape}, temperature={temperature:g}, top_k={top_k})"
    if not isinstance(ids, np.ndarray):
        got = f"{type_name(ids)} {describe(ids)}"
        raise CheckFailed(f"{shown}: expected a numpy.ndarray of token ids, got {got}")
    if ids.shape != (N,):
        raise CheckFailed(f"{shown}: expected shape ({N},), one id per row, got {ids.shape}")
    if ids.dtype.kind not in "iu":
        raise CheckFailed(f"{shown}: expected integer ids, got dtype {ids.dtype}")
    if ids.min() < 0 or ids.max() >= V:
        raise CheckFailed(f"{shown}: ids must lie in [0, {V}), got {ids.min()} .. {ids.max()}")
    return ids


# Two rows of fixed logits; the statistical cases alternate them, so each row keeps its own distribution.
ROWS = np.array([[2.0, 1.0, 0.5, -1.0, 0.0], [-1.0, 2.5, 0.0, 0.5, 1.2]])
N_DRAWS = 12_000  # rows per statistical case (6,000 of each kind)
STATISTICAL = [(1.0, None, 11), (0.5, None, 12), (2.0, None, 13), (1.0, 3, 14)]  # (temperature, top_k, seed)


def _frequency_problem(ids, logits, temperature, top_k):
    """None if the draws of each row kind match their probabilities within MAX_Z standard errors."""
    for kind in range(len(ROWS)):
        rows = np.arange(kind, len(ids), len(ROWS))
        p = sampling_probs_reference(ROWS[kind], temperature, top_k)  # (V,)
        freq = np.bincount(ids[rows], minlength=len(p)) / len(rows)  # (V,)
        if np.any((p == 0) & (freq > 0)):
            token = int(np.argmax((p == 0) & (freq > 0)))
            return f"drew token {token}, outside the top {top_k}, in {freq[token]:.1%} of row kind {kind}"
        z = np.abs(freq - p) / np.sqrt(np.maximum(p * (1 - p), 1e-12) / len(rows))
        if np.any(z > MAX_Z):
            worst = int(np.argmax(z))
            return (
                f"row kind {kind}, token {worst}: probability {p[worst]:.3f}, drawn in {freq[worst]:.3f} "
                f"of {len(rows)} rows ({z[worst]:.0f} standard errors off); frequencies "
                f"{np.round(freq, 3).tolist()}, probabilities {np.round(p, 3).tolist()}"
            )
    return None


def check_sample(sample):
    """sample(logits, temperature, top_k, rng) -> (N,) ids: greedy exact, reproducible, right frequencies."""
    rng = check_rng("ex07_sampling_forecasting.check_sample")
    logits = 2 * rng.standard_normal((6, 9))
    greedy = np.argmax(logits, axis=1)
    for temperature, top_k in [(0.0, None), (1.3, 1), (0.0, 4)]:
        ids = _draw(sample, logits, temperature, top_k, int(rng.integers(2**31)))
        fail_if(f"sample, temperature {temperature:g}, top_k={top_k} (greedy)",
                array_mismatch("ids", ids.astype(np.int64), greedy))
    tiled = np.tile(ROWS, (N_DRAWS // len(ROWS), 1))  # (N_DRAWS, V)
    first, again = (_draw(sample, tiled, 1.0, None, 2024) for _ in range(2))
    if not np.array_equal(first, again):
        raise CheckFailed("sample: two generators seeded alike gave different tokens: draw every random "
                          "number from rng, the generator passed in (not np.random.* or a new generator)")
    if np.array_equal(first, _draw(sample, tiled, 1.0, None, 2025)):
        raise CheckFailed("sample: two differently seeded generators gave the same tokens: use rng")
    for temperature, top_k, seed in STATISTICAL:
        ids = _draw(sample, tiled, temperature, top_k, seed)
        problem = _frequency_problem(ids, tiled, temperature, top_k)
        context = f"sample, {N_DRAWS} draws at temperature {temperature:g}, top_k={top_k}, seed {seed}"
        fail_if(context, problem)


def check_make_windows(make_windows):
    """make_windows(series, input_len, horizon) -> (X, Y) float64, as course_lib.series.sliding_windows."""
    rng = check_rng("ex07_sampling_forecasting.check_make_windows")
    T, L, H = int(rng.integers(15, 30)), int(rng.integers(2, 6)), int(rng.integers(2, 4))
    cases = [
        ("a random series", rng.standard_normal(T), L, H),
        ("horizon 1", rng.standard_normal(T), L, 1),
        ("input_len 1", rng.standard_normal(T), 1, H),
        ("exactly one window", rng.standard_normal(L + H), L, H),
        ("an int series", rng.integers(0, 50, size=T), L, H),
        ("a (T, 3) series", rng.standard_normal((T, 3)), L, H),
    ]
    for text, series, input_len, horizon in cases:
        out = call("make_windows", make_windows, series, input_len, horizon)
        X, Y = unpack("make_windows", out, ("X", "Y"))
        X_ref, Y_ref = make_windows_reference(series, input_len, horizon)
        hints = [(X_ref[:-1], "T - input_len - horizon + 1 windows fit: the last one ends at the last step")]
        fail_if(
            f"make_windows({text} of shape {series.shape}, input_len={input_len}, horizon={horizon})",
            mismatch("X", X, X_ref, None, hints),
            mismatch("Y", Y, Y_ref, None, [(Y_ref[:-1], hints[0][1])]),
        )
    short = rng.standard_normal(L + H - 1)
    fail_if("", raises_mismatch("make_windows", make_windows, ValueError, short, L, H))


def check_naive_forecast(naive_forecast):
    """naive_forecast(X, horizon) -> (N, horizon) float64, every step the last input of its window."""
    rng = check_rng("ex07_sampling_forecasting.check_naive_forecast")
    N, L = int(rng.integers(3, 9)), int(rng.integers(2, 8))
    cases = [
        (rng.standard_normal((N, L)), int(rng.integers(2, 8))),
        (rng.standard_normal((1, L)), 3),  # one window
        (rng.standard_normal((N, 1)), 2),  # windows of one step
        (rng.standard_normal((N, L)), 1),
        (rng.integers(0, 30, size=(N, L)), 4),  # int windows
    ]
    for X, horizon in cases:
        out = call("naive_forecast", naive_forecast, X, horizon)
        expected = naive_forecast_reference(X, horizon)
        hints = [(np.repeat(X[:, :1].astype(np.float64), horizon, axis=1), "repeat the last value, X[:, -1]")]
        context = f"naive_forecast(X of shape {X.shape}, horizon={horizon})"
        fail_if(context, mismatch("forecast", out, expected, None, hints))


def check_forecast(forecast):
    """forecast(X) -> (N, HORIZON) on held-out windows; MAE at most MAX_MAE_RATIO times the naive MAE."""
    X, Y = held_out_windows()
    start = time.perf_counter()
    pred = call("forecast", forecast, X)
    seconds = time.perf_counter() - start
    shown = f"forecast(X of shape {X.shape})"
    if not isinstance(pred, np.ndarray):
        hint = " (convert it with .detach().numpy())" if type_name(pred) == "torch.Tensor" else ""
        raise CheckFailed(f"{shown}: expected a numpy.ndarray, got {type_name(pred)}{hint}")
    if pred.shape != Y.shape:
        expected = f"expected shape {Y.shape}, one row of {HORIZON} days per window"
        raise CheckFailed(f"{shown}: {expected}, got {pred.shape}")
    if pred.dtype.kind != "f" or not np.all(np.isfinite(pred)):
        raise CheckFailed(f"{shown}: expected finite floats, got dtype {pred.dtype} with {describe(pred)}")
    if seconds > PREDICT_SECONDS:
        raise CheckFailed(f"{shown} took {seconds:.0f} s; it may take at most {PREDICT_SECONDS:g} s")
    single = call("forecast", forecast, X[:1])
    tol = forward_tol(np.float32)  # a float32 model may round a batch of one differently
    message = array_mismatch("forecast(X[:1])", single, pred[:1], tol)
    fail_if("a window's forecast must not depend on the other windows of the batch", message)
    ours, naive = mae(Y, pred), mae(Y, naive_forecast_reference(X, HORIZON))
    if ours > MAX_MAE_RATIO * naive:
        raise CheckFailed(
            f"{shown}: MAE {ours:.3f} °C on the {len(X)} held-out windows (the last {TEST_FRACTION:.0%} "
            f"of the days), naive forecast {naive:.3f} °C: ratio {ours / naive:.3f}, needed at most "
            f"{MAX_MAE_RATIO}"
        )


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="07_sampling_and_forecasting",
    title="Sampling from a language model; windows and a forecaster that beats the naive baseline",
    tasks=(
        Task("sampling_probs", 2, ("sampling_probs",), check_sampling_probs,
             "temperature and top-k probabilities"),
        Task("sample", 2, ("sample",), check_sample, "drawing tokens"),
        Task("make_windows", 2, ("make_windows",), check_make_windows, "input and target windows"),
        Task("naive_forecast", 1, ("naive_forecast",), check_naive_forecast, "the naive baseline"),
        Task("forecast", 3, ("forecast",), check_forecast, "a forecaster that beats naive"),
    ),
    forbidden={
        "make_windows": ("course_lib.series.sliding_windows",),
        "naive_forecast": ("course_lib.series.naive_forecast",),
    },
)
