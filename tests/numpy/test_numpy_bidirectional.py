"""The bidirectional layer against torch.nn's bidirectional=True, finite differences, and properties."""

import re

import numpy as np
import pytest
import torch
from np_reference import PARAM_KEYS, TORCH_SEQUENCE, assert_close, random_params

import course_lib.numpy as cnp
from course_lib.check import FD_MAX_REL_ERROR, check_vjp, forward_tol, gradient_tol

F64 = np.dtype(np.float64)
# name -> (cell, nonlinearity)
CASES = {
    "rnn_tanh": ("rnn", "tanh"),
    "rnn_relu": ("rnn", "relu"),
    "lstm": ("lstm", "tanh"),
    "gru": ("gru", "tanh"),
}
SIZES = [(3, 4, 5, 2), (1, 1, 2, 3)]  # (N, T, D, H)
SIZE_IDS = [f"N{N}_T{T}_D{D}_H{H}" for N, T, D, H in SIZES]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_inputs(cell, N, T, D, H, rng):
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((2, N, H))
    c0 = rng.standard_normal((2, N, H)) if cell == "lstm" else None
    params = {direction: random_params(cell, D, H, rng) for direction in ("forward", "reverse")}
    return x, h0, c0, params, rng.standard_normal((N, T, 2 * H))


def torch_bidirectional(cell, nonlinearity, x, h0, c0, params, dout):
    """torch.nn's bidirectional layer with our weights: out and gradients in our layout."""
    D, H = x.shape[2], h0.shape[2]
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = TORCH_SEQUENCE[cell](D, H, batch_first=True, bidirectional=True, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for key in PARAM_KEYS:
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(params["forward"][key]))
            getattr(module, f"{key}_l0_reverse").copy_(torch.from_numpy(params["reverse"][key]))
    xt, h0t = (torch.tensor(a, requires_grad=True) for a in (x, h0))
    c0t = None if c0 is None else torch.tensor(c0, requires_grad=True)
    out, _ = module(xt, h0t if c0t is None else (h0t, c0t))
    out.backward(torch.from_numpy(dout))
    grads = {
        direction: {key: getattr(module, f"{key}_l0{suffix}").grad.numpy() for key in PARAM_KEYS}
        for direction, suffix in (("forward", ""), ("reverse", "_reverse"))
    }
    dc0 = None if c0t is None else c0t.grad.numpy()
    return out.detach().numpy(), xt.grad.numpy(), h0t.grad.numpy(), dc0, grads


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("name", list(CASES))
def test_bidirectional_matches_torch_nn(name, size, rng):
    cell, nonlinearity = CASES[name]
    x, h0, c0, params, dout = make_inputs(cell, *size, rng)
    out, cache = cnp.bidirectional_forward(x, h0, params, cell, c0, nonlinearity)
    dx, dh0, dc0, grads = cnp.bidirectional_backward(dout, cache)
    reference = torch_bidirectional(cell, nonlinearity, x, h0, c0, params, dout)
    ref_out, ref_dx, ref_dh0, ref_dc0, ref_grads = reference
    assert_close(out, ref_out, forward_tol(F64), f"{name} forward")
    assert_close(dx, ref_dx, gradient_tol(F64), f"{name} dx")
    assert_close(dh0, ref_dh0, gradient_tol(F64), f"{name} dh0")
    assert (dc0 is None) == (ref_dc0 is None)
    if dc0 is not None:
        assert_close(dc0, ref_dc0, gradient_tol(F64), f"{name} dc0")
    for direction in ("forward", "reverse"):
        for key in PARAM_KEYS:
            expected = ref_grads[direction][key]
            assert_close(grads[direction][key], expected, gradient_tol(F64), f"{name} {direction} d{key}")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "cho_gru"])
def test_halves_are_the_cell_run_forward_and_on_reversed_time(cell, rng):
    x, h0, c0, params, _ = make_inputs(cell, 2, 5, 3, 4, rng)
    out, _ = cnp.bidirectional_forward(x, h0, params, cell, c0)
    c0 = (None, None) if c0 is None else c0
    forward, _ = cnp.recurrent_forward(x, h0[0], params["forward"], cell, c0[0])
    reverse, _ = cnp.recurrent_forward(x[:, ::-1], h0[1], params["reverse"], cell, c0[1])
    np.testing.assert_array_equal(out[..., :4], forward)
    np.testing.assert_array_equal(out[..., 4:], reverse[:, ::-1])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "cho_gru"])
def test_bidirectional_backward_passes_random_direction_check(cell, rng):
    x, h0, c0, params, dout = make_inputs(cell, 2, 12, 3, 4, rng)

    def f(a):
        return cnp.bidirectional_forward(a, h0, params, cell, c0)[0]

    def vjp(u):
        return cnp.bidirectional_backward(u, cnp.bidirectional_forward(x, h0, params, cell, c0)[1])[0]

    result = check_vjp(f, x, vjp, rng)
    assert result.rel_error < FD_MAX_REL_ERROR, f"{cell}: {result}"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_forward_half_is_causal_and_reverse_half_anticausal(cell, rng):
    x, _, _, params, _ = make_inputs(cell, 2, 6, 3, 4, rng)
    out = cnp.bidirectional_forward(x, None, params, cell)[0]
    t = 3
    x_changed = x.copy()
    x_changed[:, t] += 1.0
    out_changed = cnp.bidirectional_forward(x_changed, None, params, cell)[0]
    # The forward half sees only the past, the reverse half only the future, which it carries back to t=0.
    np.testing.assert_array_equal(out_changed[:, :t, :4], out[:, :t, :4])
    np.testing.assert_array_equal(out_changed[:, t + 1 :, 4:], out[:, t + 1 :, 4:])
    assert not np.allclose(out_changed[:, 0, 4:], out[:, 0, 4:])


def test_float32_stays_float32(rng):
    x, h0, c0, params, dout = make_inputs("lstm", 2, 3, 4, 5, rng)
    params = {d: {k: v.astype(np.float32) for k, v in p.items()} for d, p in params.items()}
    out, cache = cnp.bidirectional_forward(x.astype(np.float32), h0.astype(np.float32), params, "lstm")
    dx, dh0, dc0, grads = cnp.bidirectional_backward(dout, cache)
    dtypes = {out.dtype, dx.dtype, dh0.dtype, dc0.dtype, grads["reverse"]["weight_hh"].dtype}
    assert dtypes == {np.dtype(np.float32)}


def test_params_without_a_reverse_direction(rng):
    x, h0, _, params, _ = make_inputs("gru", 2, 3, 3, 4, rng)
    with pytest.raises(ValueError, match="params: expected a dict with keys 'forward' and 'reverse'"):
        cnp.bidirectional_forward(x, h0, {"forward": params["forward"]}, "gru")


def test_directions_of_different_sizes(rng):
    x, h0, _, params, _ = make_inputs("gru", 2, 3, 3, 4, rng)
    params["reverse"] = random_params("gru", 3, 5, rng)
    message = "params: expected the same (D, H) in both directions, got forward (3, 4), reverse (3, 5)"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.bidirectional_forward(x, h0, params, "gru")


@pytest.mark.parametrize("shape", [(2, 4), (2, 1, 4), (1, 2, 4)], ids=["rank2", "wrong_N", "one_direction"])
def test_initial_state_of_wrong_shape(shape, rng):
    x, _, _, params, _ = make_inputs("gru", 2, 3, 3, 4, rng)
    message = f"h0: expected (2, N, H) with N=2 from x and H=4 from weight_hh, got shape {shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.bidirectional_forward(x, np.zeros(shape), params, "gru")
