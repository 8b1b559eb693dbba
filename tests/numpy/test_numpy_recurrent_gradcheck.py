"""Every hand-written backward of the cells against finite differences, float64 only.

Small shapes: element-wise central differences of every input and parameter (CS231n).
Long sequences: the random-direction check ⟨u, J v⟩ = ⟨Jᵀu, v⟩ (HIPS/autograd's check_vjp).
"""

import numpy as np
import pytest
from np_reference import random_inputs, sequence, step

from course_lib.check import FD_MAX_REL_ERROR, check_vjp, numerical_gradient, rel_error

NAMES = ["rnn_tanh", "rnn_relu", "lstm", "gru", "cho_gru"]
SIZES = [(2, 3, 3, 4), (1, 2, 4, 2)]  # (N, T, D, H)
SIZE_IDS = [f"N{N}_T{T}_D{D}_H{H}" for N, T, D, H in SIZES]


def sequence_inputs(name, size, rng):
    """{"x", "h0", ("c0"), weight_ih, ...} and the upstream gradient."""
    x, h0, c0, params, dout = random_inputs(name, *size, rng)
    inputs = {"x": x, "h0": h0, **({} if c0 is None else {"c0": c0}), **params}
    return inputs, dout


def params_of(inputs):
    return {key: inputs[key] for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


def run_sequence(name, inputs, dout):
    return sequence(name, inputs["x"], inputs["h0"], inputs.get("c0"), params_of(inputs), dout)


def replaced(inputs, key, value):
    return {**inputs, key: value}


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_sequence_backward_matches_finite_differences(name, size, rng):
    inputs, dout = sequence_inputs(name, size, rng)
    _, grads = run_sequence(name, inputs, dout)
    for key, value in inputs.items():
        numeric = numerical_gradient(lambda a, key=key: run_sequence(name, replaced(inputs, key, a), dout)[0],
                                     value, dout)
        error = rel_error(grads[key], numeric)
        assert error < FD_MAX_REL_ERROR, f"{name} d{key}: rel error {error:.2e}\n{grads[key]}\n{numeric}"


@pytest.mark.parametrize("name", NAMES)
def test_step_backward_matches_finite_differences(name, rng):
    N, D, H = 3, 4, 2
    inputs, dout = sequence_inputs(name, (N, 1, D, H), rng)
    inputs = {"x": inputs.pop("x")[:, 0], "h": inputs.pop("h0"), **inputs}
    if "c0" in inputs:
        inputs["c"] = inputs.pop("c0")
    dh, dc = dout[:, 0], rng.standard_normal((N, H))

    def outputs(d):
        """h_next and c_next side by side, so that one upstream array covers both."""
        (h_next, c_next), _ = step(name, d["x"], d["h"], d.get("c"), params_of(d), dh, dc)
        return h_next if c_next is None else np.concatenate([h_next, c_next], axis=1)

    upstream = dh if "c" not in inputs else np.concatenate([dh, dc], axis=1)
    _, grads = step(name, inputs["x"], inputs["h"], inputs.get("c"), params_of(inputs), dh, dc)
    for key, value in inputs.items():
        numeric = numerical_gradient(lambda a, key=key: outputs(replaced(inputs, key, a)), value, upstream)
        error = rel_error(grads[key], numeric)
        assert error < FD_MAX_REL_ERROR, f"{name} step d{key}: rel error {error:.2e}"


@pytest.mark.parametrize("key", ["x", "h0", "weight_hh", "bias_ih"])
@pytest.mark.parametrize("name", NAMES)
def test_long_sequence_backward_passes_random_direction_check(name, key, rng):
    inputs, dout = sequence_inputs(name, (2, 40, 3, 4), rng)

    def f(a):
        return run_sequence(name, replaced(inputs, key, a), dout)[0]

    def vjp(u):
        return run_sequence(name, inputs, u)[1][key]

    result = check_vjp(f, inputs[key], vjp, rng)
    assert result.rel_error < FD_MAX_REL_ERROR, f"{name} d{key}: {result}"
