"""Exercise 01, windows and parameter counting: the tasks, their reference answers and their checks.

Notebook: solutions/01_windows_and_parameters.ipynb (exercises/ is generated from it). Each check
takes the student's objects, compares them with the reference on fresh random inputs (so an answer
cannot be memorised) plus the edge cases, and raises CheckFailed with feedback at the first wrong case.
"""

from collections import Counter

import numpy as np

from course_lib.grading.compare import (
    CheckFailed,
    array_mismatch,
    call,
    check_rng,
    describe,
    fail_if,
    int_mismatch,
    raises_mismatch,
    type_name,
    unpack,
)
from course_lib.grading.registry import Exercise, Task


def window_features_reference(token_ids, window):
    """Fixed-window design matrix: X[i] = token_ids[i : i + W], y[i] = token_ids[i + W], i < M = L - W.

    Args:
        token_ids: (L,) integer array. window: W, with 1 <= W < L (else ValueError).
    Returns:
        X: (M, W) and y: (M,), both of token_ids' dtype.
    """
    if token_ids.ndim != 1 or not 1 <= window < len(token_ids):
        raise ValueError(f"need 1 <= window < len(token_ids), got window={window}, length {len(token_ids)}")
    M = len(token_ids) - window
    X = np.lib.stride_tricks.sliding_window_view(token_ids, window)[:M].copy()  # (M, W)
    y = token_ids[window:].copy()  # (M,)
    return X, y


def embed_window_reference(X, E):
    """Concatenated embeddings of each window: out[i] = [E[X[i, 0]], ..., E[X[i, W-1]]].

    Args:
        X: (M, W) token ids. E: (V, D) embedding table.
    Returns:
        (M, W * D) array of E's dtype.
    """
    M, W = X.shape
    return E[X].reshape(M, W * E.shape[1])  # (M, W, D) -> (M, W*D)


def bag_of_words_reference(token_ids, vocab_size):
    """Counts of each id: counts[v] = #{t : token_ids[t] = v}, an (V,) int64 array."""
    return np.bincount(token_ids, minlength=vocab_size).astype(np.int64)


def mlp_first_layer_params_reference(window, embed_dim, hidden):
    """Weights and biases of Linear(W * D, H): W·D·H + H."""
    return window * embed_dim * hidden + hidden


def rnn_layer_params_reference(input_dim, hidden, n_biases=1):
    """Parameters of one tanh RNN layer: H·H (recurrent) + H·D (input) + n_biases·H."""
    return hidden * hidden + hidden * input_dim + n_biases * hidden


def words(sentence):
    """How the bag-of-words task splits a sentence: lower-case, then on whitespace."""
    return sentence.lower().split()


def check_window_features(window_features):
    """window_features(token_ids, window) -> (X, y), on random sequences, W = 1 and M = 1, int32 ids."""
    rng = check_rng("ex01_windows.check_window_features")
    length, window = int(rng.integers(12, 30)), int(rng.integers(2, 6))
    cases = [
        (rng.integers(0, 60, size=length), window),
        (rng.integers(0, 60, size=8), 1),  # window of one token
        (rng.integers(0, 60, size=6), 5),  # exactly one window (M = 1)
        (rng.integers(0, 60, size=9).astype(np.int32), 3),  # dtype is kept
    ]
    for token_ids, window in cases:
        out = call("window_features", window_features, token_ids, window)
        X, y = unpack("window_features", out, ("X", "y"))
        X_ref, y_ref = window_features_reference(token_ids, window)
        fail_if(
            f"window_features({describe(token_ids)}, {window})",
            array_mismatch("X", X, X_ref),
            array_mismatch("y", y, y_ref),
        )
    token_ids = rng.integers(0, 60, size=5)
    fail_if("", raises_mismatch("window_features", window_features, ValueError, token_ids, 0))
    fail_if("", raises_mismatch("window_features", window_features, ValueError, token_ids, 5))


def check_embed_window(embed_window):
    """embed_window(X, E) -> (M, W*D), in float64 and float32, with M = 1 and W = 1."""
    rng = check_rng("ex01_windows.check_embed_window")
    for M, W, V, D, dtype in [
        (int(rng.integers(3, 9)), int(rng.integers(2, 5)), 20, int(rng.integers(2, 6)), np.float64),
        (5, 3, 11, 4, np.float32),
        (1, 4, 7, 3, np.float64),  # one window
        (6, 1, 9, 2, np.float64),  # windows of one token
    ]:
        X = rng.integers(0, V, size=(M, W))
        E = rng.standard_normal((V, D)).astype(dtype)
        out = call("embed_window", embed_window, X, E)
        fail_if(
            f"embed_window(X of shape {X.shape}, E of shape {E.shape}, {E.dtype})",
            array_mismatch("result", out, embed_window_reference(X, E)),
        )


def check_bag_of_words(bag_of_words):
    """bag_of_words(token_ids, vocab_size) -> (V,) int64 counts; empty input, one token, the last id."""
    rng = check_rng("ex01_windows.check_bag_of_words")
    V = int(rng.integers(5, 15))
    for token_ids, vocab_size in [
        (rng.integers(0, V, size=int(rng.integers(20, 40))), V),
        (np.array([V - 1, 0, V - 1]), V),  # the last id of the vocabulary
        (np.array([3]), 6),  # a single token
        (np.array([], dtype=np.int64), 4),  # no tokens at all
    ]:
        out = call("bag_of_words", bag_of_words, token_ids, vocab_size)
        fail_if(
            f"bag_of_words({describe(token_ids)}, {vocab_size})",
            array_mismatch("counts", out, bag_of_words_reference(token_ids, vocab_size)),
        )


def check_order_blind_pair(order_blind_pair):
    """Two sentences, different as word sequences, with the same bag of words."""
    pair = order_blind_pair
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        got = f"{type_name(pair)} {describe(pair)}"
        raise CheckFailed(f"order_blind_pair should be a tuple of two str, got {got}")
    if not all(isinstance(sentence, str) for sentence in pair):
        raise CheckFailed(f"both sentences should be str, got {type_name(pair[0])} and {type_name(pair[1])}")
    first, second = map(words, pair)
    if min(len(first), len(second)) < 2:
        raise CheckFailed("each sentence needs at least two words")
    if first == second:
        raise CheckFailed("the two sentences have the same words in the same order: reorder some words")
    counts_1, counts_2 = Counter(first), Counter(second)
    for word in sorted(set(first) | set(second)):
        if counts_1[word] != counts_2[word]:
            raise CheckFailed(
                f"the bags of words differ: {word!r} appears {counts_1[word]} time(s) in the first "
                f"sentence and {counts_2[word]} in the second"
            )


def check_mlp_first_layer_params(mlp_first_layer_params):
    """mlp_first_layer_params(W, D, H): the slide's 100·100·100 + 100, random sizes, and W = D = H = 1."""
    rng = check_rng("ex01_windows.check_mlp_first_layer_params")
    sizes = [(100, 100, 100), tuple(int(n) for n in rng.integers(2, 300, size=3)), (1, 1, 1)]
    for window, embed_dim, hidden in sizes:
        out = call("mlp_first_layer_params", mlp_first_layer_params, window, embed_dim, hidden)
        expected = mlp_first_layer_params_reference(window, embed_dim, hidden)
        hint = " (the bias: one per hidden unit)" if out == expected - hidden else ""
        message = int_mismatch(f"mlp_first_layer_params({window}, {embed_dim}, {hidden})", out, expected)
        fail_if("", message and message + hint)


def check_rnn_layer_params(rnn_layer_params):
    """rnn_layer_params(D, H, n_biases=1): the slide's 20,100, torch.nn.RNN's two biases, none, D != H."""
    rng = check_rng("ex01_windows.check_rnn_layer_params")
    D, H = (int(n) for n in rng.choice(np.arange(2, 400), size=2, replace=False))  # D != H finds a swap
    cases = [((100, 100), {}), ((100, 100), {"n_biases": 2}), ((D, H), {"n_biases": 0}), ((D, H), {})]
    cases += [((H, D), {"n_biases": 2}), ((1, 1), {"n_biases": 1})]
    for (input_dim, hidden), options in cases:
        out = call("rnn_layer_params", rnn_layer_params, input_dim, hidden, **options)
        expected = rnn_layer_params_reference(input_dim, hidden, **options)
        hint = " (the recurrent weights W_hh are H x H)" if out == expected - hidden * hidden else ""
        shown = ", ".join([str(input_dim), str(hidden), *(f"{k}={v}" for k, v in options.items())])
        message = int_mismatch(f"rnn_layer_params({shown})", out, expected)
        fail_if("", message and message + hint)


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ("words",)

EXERCISE = Exercise(
    name="01_windows_and_parameters",
    title="Fixed windows, bags of words and parameter counting",
    tasks=(
        Task("window_features", 3, ("window_features",), check_window_features, "fixed-window design matrix"),
        Task("embed_window", 2, ("embed_window",), check_embed_window, "concatenated embeddings"),
        Task("bag_of_words", 1, ("bag_of_words",), check_bag_of_words, "bag-of-words counts"),
        Task("order_blind_pair", 1, ("order_blind_pair",), check_order_blind_pair, "a bag cannot see order"),
        Task("mlp_first_layer_params", 1, ("mlp_first_layer_params",), check_mlp_first_layer_params,
             "window MLP parameters"),
        Task("rnn_layer_params", 2, ("rnn_layer_params",), check_rnn_layer_params, "RNN layer parameters"),
    ),
)
