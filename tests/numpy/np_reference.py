"""Shared helpers for the course_lib.numpy tests: the cells under test, their torch.nn references,
and one comparison helper that checks shape, dtype, then values, and names the failing stage.

Every cell is run through one uniform signature here so that each test is parametrized over cells:
    sequence(name, x, h0, c0, params, dout) -> (out, {"x": dx, "h0": dh0, "c0": dc0, **param grads})
"""

import numpy as np
import pytest
import torch
from torch import nn

import course_lib.numpy as cnp
from course_lib.check import forward_tol

# test name -> (cell, nonlinearity); one entry per equation set the contract fixes.
CELLS = {
    "rnn_tanh": ("rnn", "tanh"),
    "rnn_relu": ("rnn", "relu"),
    "lstm": ("lstm", "tanh"),
    "gru": ("gru", "tanh"),
}
GATES = {"rnn": 1, "lstm": 4, "gru": 3, "cho_gru": 3}
TORCH_SEQUENCE = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
TORCH_STEP = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
# (N, T, D, H): D != H catches transposes; N = 1; T = 1; D = 1.
SIZES = [(3, 4, 5, 6), (1, 3, 4, 4), (2, 1, 3, 5), (4, 6, 1, 2)]
SIZE_IDS = [f"N{N}_T{T}_D{D}_H{H}" for N, T, D, H in SIZES]


def random_params(cell, D, H, rng, dtype=np.float64, scale=0.7):
    """A cell's params dict with every entry ~ U(-scale, scale): larger than torch's default, so that
    a wrong sign or a missing term shows."""
    G = GATES[cell]
    shapes = {"weight_ih": (G * H, D), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
    return {key: rng.uniform(-scale, scale, shape).astype(dtype) for key, shape in shapes.items()}


def random_inputs(name, N, T, D, H, rng, dtype=np.float64):
    """x (N, T, D), h0, c0 (N, H; c0 None unless LSTM), params and dout (N, T, H) for cell `name`."""
    cell = CELLS.get(name, (name,))[0]
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, H)).astype(dtype)
    c0 = rng.standard_normal((N, H)).astype(dtype) if cell == "lstm" else None
    dout = rng.standard_normal((N, T, H)).astype(dtype)
    return x, h0, c0, random_params(cell, D, H, rng, dtype), dout


def sequence(name, x, h0, c0, params, dout):
    """Our sequence forward and backward through the contract's own functions."""
    cell, nonlinearity = CELLS.get(name, (name, "tanh"))
    if cell == "lstm":
        out, cache = cnp.lstm_forward(x, h0, c0, params)
        dx, dh0, dc0, grads = cnp.lstm_backward(dout, cache)
        return out, {"x": dx, "h0": dh0, "c0": dc0, **grads}
    if cell == "rnn":
        out, cache = cnp.rnn_forward(x, h0, params, nonlinearity)
        dx, dh0, grads = cnp.rnn_backward(dout, cache)
    else:
        forward, backward = {"gru": (cnp.gru_forward, cnp.gru_backward)}.get(
            cell, (cnp.cho_gru_forward, cnp.cho_gru_backward)
        )
        out, cache = forward(x, h0, params)
        dx, dh0, grads = backward(dout, cache)
    return out, {"x": dx, "h0": dh0, **grads}


def step(name, x, h, c, params, dh, dc):
    """Our step forward and backward: ((h_next, c_next or None), {"x", "h", "c", params...})."""
    cell, nonlinearity = CELLS.get(name, (name, "tanh"))
    if cell == "lstm":
        h_next, c_next, cache = cnp.lstm_step_forward(x, h, c, params)
        dx, dh_prev, dc_prev, grads = cnp.lstm_step_backward(dh, dc, cache)
        return (h_next, c_next), {"x": dx, "h": dh_prev, "c": dc_prev, **grads}
    if cell == "rnn":
        h_next, cache = cnp.rnn_step_forward(x, h, params, nonlinearity)
        dx, dh_prev, grads = cnp.rnn_step_backward(dh, cache)
    elif cell == "gru":
        h_next, cache = cnp.gru_step_forward(x, h, params)
        dx, dh_prev, grads = cnp.gru_step_backward(dh, cache)
    else:
        h_next, cache = cnp.cho_gru_step_forward(x, h, params)
        dx, dh_prev, grads = cnp.cho_gru_step_backward(dh, cache)
    return (h_next, None), {"x": dx, "h": dh_prev, **grads}


def torch_sequence(name, x, h0, c0, params, dout):
    """torch.nn.RNN / LSTM / GRU (batch_first) with our weights: (out, gradients named as in `sequence`)."""
    cell, nonlinearity = CELLS[name]
    D, H = params["weight_ih"].shape[1], params["weight_hh"].shape[1]
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = TORCH_SEQUENCE[cell](D, H, batch_first=True, dtype=_torch_dtype(x), **kwargs)
    _load(module, params, suffix="_l0")
    xt, h0t = _leaf(x), _leaf(h0[None])
    state = (h0t, _leaf(c0[None])) if cell == "lstm" else h0t
    out, _ = module(xt, state)
    out.backward(torch.from_numpy(dout))
    grads = {"x": xt.grad, "h0": h0t.grad[0]}
    if cell == "lstm":
        grads["c0"] = state[1].grad[0]
    grads.update({key: getattr(module, key + "_l0").grad for key in PARAM_KEYS})
    return out.detach().numpy(), {key: g.numpy() for key, g in grads.items()}


def torch_step(name, x, h, c, params, dh, dc):
    """torch.nn.RNNCell / LSTMCell / GRUCell with our weights, the upstream (dh, dc) as in `step`."""
    cell, nonlinearity = CELLS[name]
    D, H = params["weight_ih"].shape[1], params["weight_hh"].shape[1]
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = TORCH_STEP[cell](D, H, dtype=_torch_dtype(x), **kwargs)
    _load(module, params, suffix="")
    xt, ht = _leaf(x), _leaf(h)
    if cell == "lstm":
        ct = _leaf(c)
        h_next, c_next = module(xt, (ht, ct))
        torch.autograd.backward([h_next, c_next], [torch.from_numpy(dh), torch.from_numpy(dc)])
        outputs, grads = (h_next, c_next), {"x": xt.grad, "h": ht.grad, "c": ct.grad}
    else:
        h_next = module(xt, ht)
        h_next.backward(torch.from_numpy(dh))
        outputs, grads = (h_next, None), {"x": xt.grad, "h": ht.grad}
    grads.update({key: getattr(module, key).grad for key in PARAM_KEYS})
    outputs = tuple(None if o is None else o.detach().numpy() for o in outputs)
    return outputs, {key: g.numpy() for key, g in grads.items()}


def torch_cho_gru(x, h0, params, dout):
    """Cho et al.'s GRU written in torch ops, differentiated by autograd (torch.nn has no such cell)."""
    xt, h = _leaf(x), _leaf(h0)
    p = {key: _leaf(value) for key, value in params.items()}
    W_hh, b_hh, H = p["weight_hh"], p["bias_hh"], h0.shape[1]
    outputs, state = [], h
    for t in range(x.shape[1]):
        gi = xt[:, t] @ p["weight_ih"].T + p["bias_ih"]
        r = torch.sigmoid(gi[:, :H] + state @ W_hh[:H].T + b_hh[:H])
        z = torch.sigmoid(gi[:, H : 2 * H] + state @ W_hh[H : 2 * H].T + b_hh[H : 2 * H])
        n = torch.tanh(gi[:, 2 * H :] + (r * state) @ W_hh[2 * H :].T + b_hh[2 * H :])
        state = (1 - z) * n + z * state
        outputs.append(state)
    out = torch.stack(outputs, dim=1)
    out.backward(torch.from_numpy(dout))
    grads = {"x": xt.grad, "h0": h.grad, **{key: p[key].grad for key in PARAM_KEYS}}
    return out.detach().numpy(), {key: g.numpy() for key, g in grads.items()}


def approx(expected, dtype=np.float64):
    """pytest.approx with the forward tolerance of `dtype`, for scalars such as losses and norms."""
    tol = forward_tol(np.dtype(dtype))
    return pytest.approx(expected, rel=tol.rtol, abs=tol.atol)


def assert_close(actual, expected, tol, stage):
    """Shape, then dtype, then values within tol (rtol, atol); the message names the stage."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{stage}: shape {actual.shape}, expected {expected.shape}"
    assert actual.dtype == expected.dtype, f"{stage}: dtype {actual.dtype}, expected {expected.dtype}"
    np.testing.assert_allclose(actual, expected, rtol=tol.rtol, atol=tol.atol, err_msg=stage)


def _torch_dtype(array):
    return torch.float64 if array.dtype == np.float64 else torch.float32


def _leaf(array):
    return torch.tensor(array, requires_grad=True)


def _load(module, params, suffix):
    with torch.no_grad():
        for key in PARAM_KEYS:
            getattr(module, key + suffix).copy_(torch.from_numpy(params[key]))
