"""Truncated BPTT: full BPTT when k >= T, torch autograd with detach() between chunks when k < T."""

import re

import numpy as np
import pytest
import torch
from np_reference import PARAM_KEYS, TORCH_SEQUENCE, approx, assert_close, random_params

import course_lib.numpy as cnp
from course_lib.check import forward_tol, gradient_tol

F64 = np.dtype(np.float64)
CELLS = ["rnn", "lstm", "gru", "cho_gru"]
N, T, D, H = 2, 7, 3, 4


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def linear_loss(weights):
    """loss = Σ weights ⊙ out over the chunk's steps, so dout is the weights of those steps."""

    def loss_fn(out, sl):
        return np.sum(weights[:, sl] * out), weights[:, sl]

    return loss_fn


def make_inputs(cell, rng):
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H)) if cell == "lstm" else None
    return x, h0, c0, random_params(cell, D, H, rng), rng.standard_normal((N, T, H))


@pytest.mark.parametrize("k", [T, T + 5], ids=["k_eq_T", "k_gt_T"])
@pytest.mark.parametrize("cell", CELLS)
def test_one_chunk_is_full_bptt(cell, k, rng):
    x, h0, c0, params, weights = make_inputs(cell, rng)
    result = cnp.truncated_bptt(x, h0, params, linear_loss(weights), k, cell, c0)
    out, cache = cnp.recurrent_forward(x, h0, params, cell, c0)
    _, _, _, grads = cnp.recurrent_backward(weights, cache)
    assert result.loss == approx(np.sum(weights * out))
    for key in PARAM_KEYS:
        np.testing.assert_array_equal(result.grads[key], grads[key], err_msg=key)
    np.testing.assert_array_equal(result.h, out[:, -1])


@pytest.mark.parametrize("k", [1, 2, 3], ids=["k1", "k2", "k3"])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_chunks_match_torch_autograd_with_detach_between_chunks(cell, k, rng):
    x, h0, c0, params, weights = make_inputs(cell, rng)
    result = cnp.truncated_bptt(x, h0, params, linear_loss(weights), k, cell, c0)
    module = TORCH_SEQUENCE[cell](D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for key in PARAM_KEYS:
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(params[key]))
    state = torch.from_numpy(h0[None])
    if c0 is not None:
        state = (state, torch.from_numpy(c0[None]))
    for start in range(0, T, k):
        out, state = module(torch.from_numpy(x[:, start : start + k]), state)
        (torch.from_numpy(weights[:, start : start + k]) * out).sum().backward()  # grads accumulate
        state = state.detach() if c0 is None else tuple(s.detach() for s in state)  # the cut
    for key in PARAM_KEYS:
        expected = getattr(module, f"{key}_l0").grad.numpy()
        assert_close(result.grads[key], expected, gradient_tol(F64), f"{cell} k={k} d{key}")
    final = state if c0 is None else state[0]
    assert_close(result.h, final[0].numpy(), forward_tol(F64), f"{cell} k={k} final h")
    if c0 is not None:
        assert_close(result.c, state[1][0].numpy(), forward_tol(F64), f"{cell} k={k} final c")


@pytest.mark.parametrize("cell", CELLS)
def test_truncation_changes_gradients_but_not_the_loss(cell, rng):
    """The state is carried exactly, so the outputs (and loss) do not depend on k; the gradients do."""
    x, h0, c0, params, weights = make_inputs(cell, rng)
    full = cnp.truncated_bptt(x, h0, params, linear_loss(weights), T, cell, c0)
    short = cnp.truncated_bptt(x, h0, params, linear_loss(weights), 2, cell, c0)
    assert short.loss == approx(full.loss)
    assert_close(short.h, full.h, forward_tol(F64), "final h")
    assert not np.allclose(short.grads["weight_hh"], full.grads["weight_hh"])


def test_chunk_by_chunk_calls_carrying_h_equal_one_call(rng):
    """The training pattern of the module docstring: one call per chunk, h carried by the caller."""
    x, h0, _, params, weights = make_inputs("gru", rng)
    whole = cnp.truncated_bptt(x, h0, params, linear_loss(weights), 3, "gru")
    h, loss, grads = h0, 0.0, {key: 0.0 for key in PARAM_KEYS}
    for sl in cnp.chunk_slices(T, 3):
        part = cnp.truncated_bptt(x[:, sl], h, params, linear_loss(weights[:, sl]), 3, "gru")
        h, loss = part.h, loss + part.loss
        grads = {key: grads[key] + part.grads[key] for key in PARAM_KEYS}
    assert loss == approx(whole.loss)
    for key in PARAM_KEYS:
        assert_close(grads[key], whole.grads[key], gradient_tol(F64), f"d{key}")


def test_chunk_slices_cover_the_sequence_once():
    assert cnp.chunk_slices(7, 3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert cnp.chunk_slices(6, 3) == [slice(0, 3), slice(3, 6)]
    assert cnp.chunk_slices(2, 5) == [slice(0, 2)]


@pytest.mark.parametrize("k", [0, -1, 2.5, None])
def test_bad_chunk_length(k):
    message = f"k: expected a positive integer number of steps per chunk, got {k!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.chunk_slices(5, k)
