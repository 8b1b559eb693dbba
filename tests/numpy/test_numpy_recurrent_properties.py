"""Properties of the NumPy cells: causality, state flow, steps composed equal the sequence, batch
independence, h0=None, dtypes, and that nothing modifies its inputs or its cache."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from np_reference import PARAM_KEYS, assert_close, random_inputs, sequence, step

import course_lib.numpy as cnp
from course_lib.check import forward_tol, gradient_tol

NAMES = ["rnn_tanh", "rnn_relu", "lstm", "gru", "cho_gru"]
F64 = np.dtype(np.float64)


@pytest.mark.parametrize("name", NAMES)
def test_changing_x_at_t_never_changes_earlier_outputs(name, rng):
    x, h0, c0, params, dout = random_inputs(name, 2, 6, 3, 4, rng)
    out = sequence(name, x, h0, c0, params, dout)[0]
    for t in range(6):
        x_changed = x.copy()
        x_changed[:, t] += 1.0
        out_changed = sequence(name, x_changed, h0, c0, params, dout)[0]
        np.testing.assert_array_equal(out_changed[:, :t], out[:, :t], err_msg=f"{name}: t={t} leaked back")
        assert not np.allclose(out_changed[:, t], out[:, t]), f"{name}: x[:, {t}] had no effect at step {t}"


@pytest.mark.parametrize("name", NAMES)
def test_changing_x_at_0_changes_the_last_state(name, rng):
    x, h0, c0, params, dout = random_inputs(name, 2, 8, 3, 4, rng)
    if name == "rnn_relu":  # random ReLU units can all die; an IRNN's identity recurrence keeps them alive
        params["weight_hh"] = cnp.identity(4)
    x_changed = x.copy()
    x_changed[:, 0] += 1.0
    last = sequence(name, x, h0, c0, params, dout)[0][:, -1]
    last_changed = sequence(name, x_changed, h0, c0, params, dout)[0][:, -1]
    assert np.max(np.abs(last_changed - last)) > 1e-6, f"{name}: the state does not flow through time"


@pytest.mark.parametrize("name", NAMES)
def test_sequence_equals_composed_steps_forward_and_backward(name, rng):
    N, T, D, H = 3, 5, 4, 2
    x, h0, c0, params, dout = random_inputs(name, N, T, D, H, rng)
    out, grads = sequence(name, x, h0, c0, params, dout)
    h, c, step_inputs = h0, c0, []
    for t in range(T):  # forward through the step functions, keeping each step's inputs
        step_inputs.append((x[:, t], h, c))
        (h, c), _ = step(name, x[:, t], h, c, params, np.zeros_like(h), np.zeros_like(h))
        assert_close(h, out[:, t], forward_tol(F64), f"{name} step {t} forward")
    dh, dc = np.zeros((N, H)), np.zeros((N, H))
    summed = {key: 0.0 for key in PARAM_KEYS}
    for t in reversed(range(T)):  # BPTT by hand: upstream at step t plus the carried gradient
        x_t, h_prev, c_prev = step_inputs[t]
        _, step_grads = step(name, x_t, h_prev, c_prev, params, dh + dout[:, t], dc)
        assert_close(step_grads["x"], grads["x"][:, t], gradient_tol(F64), f"{name} dx at step {t}")
        dh, dc = step_grads["h"], step_grads.get("c")
        summed = {key: summed[key] + step_grads[key] for key in PARAM_KEYS}
    assert_close(dh, grads["h0"], gradient_tol(F64), f"{name} dh0")
    if dc is not None:
        assert_close(dc, grads["c0"], gradient_tol(F64), f"{name} dc0")
    for key in PARAM_KEYS:
        assert_close(summed[key], grads[key], gradient_tol(F64), f"{name} d{key}")


@pytest.mark.parametrize("name", NAMES)
def test_each_example_alone_equals_its_row_of_the_batch(name, rng):
    x, h0, c0, params, dout = random_inputs(name, 3, 4, 2, 5, rng)
    out, grads = sequence(name, x, h0, c0, params, dout)
    summed = {key: 0.0 for key in PARAM_KEYS}
    for n in range(3):
        one = slice(n, n + 1)
        c0_one = None if c0 is None else c0[one]
        out_one, grads_one = sequence(name, x[one], h0[one], c0_one, params, dout[one])
        assert_close(out_one, out[one], forward_tol(F64), f"{name} example {n} out")
        for key in ("x", "h0", "c0"):
            if key in grads:
                assert_close(grads_one[key], grads[key][one], gradient_tol(F64), f"{name} example {n} d{key}")
        summed = {key: summed[key] + grads_one[key] for key in PARAM_KEYS}
    for key in PARAM_KEYS:  # parameter gradients are sums over the batch
        assert_close(summed[key], grads[key], gradient_tol(F64), f"{name} d{key} summed over examples")


@pytest.mark.parametrize("name", NAMES)
def test_initial_state_none_equals_zeros(name, rng):
    x, h0, c0, params, dout = random_inputs(name, 2, 3, 4, 5, rng)
    zeros = np.zeros_like(h0)
    out_none, grads_none = sequence(name, x, None, None, params, dout)
    out_zeros, grads_zeros = sequence(name, x, zeros, None if c0 is None else zeros, params, dout)
    np.testing.assert_array_equal(out_none, out_zeros)
    for key in grads_zeros:
        np.testing.assert_array_equal(grads_none[key], grads_zeros[key], err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_dtype_is_preserved_in_outputs_and_every_gradient(name, dtype, rng):
    x, h0, c0, params, dout = random_inputs(name, 2, 3, 4, 5, rng, dtype)
    out, grads = sequence(name, x, h0, c0, params, dout)
    (h_next, c_next), step_grads = step(name, x[:, 0], h0, c0, params, dout[:, 0], dout[:, 1])
    for label, array in [("out", out), ("h_next", h_next), *grads.items(), *step_grads.items()]:
        assert array.dtype == dtype, f"{name} {label}: {array.dtype}"
    assert c_next is None or c_next.dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_float64_upstream_gradient_keeps_float32_gradients(name, rng):
    x, h0, c0, params, dout = random_inputs(name, 2, 3, 4, 5, rng, np.float32)
    _, grads = sequence(name, x, h0, c0, params, dout.astype(np.float64))
    assert {str(g.dtype) for g in grads.values()} == {"float32"}


@pytest.mark.parametrize("name", NAMES)
def test_nothing_modifies_its_inputs_or_the_cache(name, rng):
    x, h0, c0, params, dout = random_inputs(name, 2, 4, 3, 5, rng)
    before = copy.deepcopy((x, h0, c0, params, dout))
    first = sequence(name, x, h0, c0, params, dout)
    second = sequence(name, x, h0, c0, params, dout)
    (h, c), step_grads = step(name, x[:, 0], h0, c0, params, dout[:, 0], dout[:, 1])
    for was, now in zip(before[:3] + before[4:], (x, h0, c0, dout), strict=True):
        np.testing.assert_array_equal(now, was)
    for key in PARAM_KEYS:
        np.testing.assert_array_equal(params[key], before[3][key], err_msg=key)
    for key in first[1]:  # a second run, hence the cache too, is unaffected
        np.testing.assert_array_equal(first[1][key], second[1][key], err_msg=key)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_backward_twice_on_one_cache_gives_the_same_gradients(cell, rng):
    x, h0, c0, params, dout = random_inputs(cell, 2, 4, 3, 5, rng)
    out, cache = cnp.recurrent_forward(x, h0, params, cell, c0)
    first = cnp.recurrent_backward(dout, cache)
    second = cnp.recurrent_backward(dout, cache)
    np.testing.assert_array_equal(first[0], second[0])
    for key in PARAM_KEYS:
        np.testing.assert_array_equal(first[3][key], second[3][key])


def test_cho_gru_differs_from_torch_gru_with_the_same_weights(rng):
    x, h0, _, params, dout = random_inputs("gru", 2, 5, 3, 4, rng)
    ours = cnp.gru_forward(x, h0, params)[0]
    cho = cnp.cho_gru_forward(x, h0, params)[0]
    assert np.max(np.abs(ours - cho)) > 1e-3
    no_hn = {key: value.copy() for key, value in params.items()}
    no_hn["weight_hh"][8:] = 0  # rows of the n block (H = 4): with W_hn = 0, b_hn = 0 the variants coincide
    no_hn["bias_hh"][8:] = 0
    np.testing.assert_allclose(cnp.gru_forward(x, h0, no_hn)[0], cnp.cho_gru_forward(x, h0, no_hn)[0])


@settings(deadline=None, max_examples=20)
@given(T=st.integers(1, 6), t=st.integers(0, 5), cell=st.sampled_from(["rnn", "lstm", "gru"]))
def test_gradient_of_output_t_is_zero_for_later_inputs(T, t, cell):
    """Causality seen from the backward pass: d out[:, t] / d x[:, s] = 0 for every s > t."""
    t = min(t, T - 1)
    rng = np.random.default_rng(T * 10 + t)
    x, h0, c0, params, _ = random_inputs(cell, 2, T, 3, 4, rng)
    dout = np.zeros((2, T, 4))
    dout[:, t] = rng.standard_normal((2, 4))
    _, grads = sequence(cell, x, h0, c0, params, dout)
    assert np.all(grads["x"][:, t + 1 :] == 0)
    assert np.any(grads["x"][:, t] != 0)
