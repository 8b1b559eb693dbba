"""Embedding, affine and temporal affine against torch.nn, finite differences, and properties."""

import copy
import re

import numpy as np
import pytest
import torch
from np_reference import assert_close

import course_lib.numpy as cnp
from course_lib.check import FD_MAX_REL_ERROR, forward_tol, gradient_tol, numerical_gradient, rel_error

DTYPES = [np.dtype(np.float64), np.dtype(np.float32)]
DTYPE_IDS = ["float64", "float32"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("padding_idx", [None, 0], ids=["no_padding", "padding_idx0"])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_embedding_matches_torch_nn(dtype, padding_idx, rng):
    V, E = 7, 3
    weight = rng.standard_normal((V, E)).astype(dtype)
    idx = np.array([[0, 3, 3, 6], [1, 0, 3, 2]])  # repeated ids must accumulate
    dout = rng.standard_normal((2, 4, E)).astype(dtype)
    out, cache = cnp.embedding_forward(idx, weight, padding_idx)
    dweight = cnp.embedding_backward(dout, cache)
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    module = torch.nn.Embedding(V, E, padding_idx=padding_idx, dtype=torch_dtype)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(weight))
    ref_out = module(torch.from_numpy(idx))
    ref_out.backward(torch.from_numpy(dout))
    assert_close(out, ref_out.detach().numpy(), forward_tol(dtype), "embedding forward")
    assert_close(dweight, module.weight.grad.numpy(), gradient_tol(dtype), "embedding dweight")


def test_embedding_backward_matches_finite_differences(rng):
    weight, idx = rng.standard_normal((5, 2)), np.array([[4, 1, 4], [0, 1, 1]])
    dout = rng.standard_normal((2, 3, 2))
    _, cache = cnp.embedding_forward(idx, weight)
    numeric = numerical_gradient(lambda w: cnp.embedding_forward(idx, w)[0], weight, dout)
    assert rel_error(cnp.embedding_backward(dout, cache), numeric) < FD_MAX_REL_ERROR


def test_embedding_of_a_window_has_the_window_shape(rng):
    weight = rng.standard_normal((10, 4))
    out, _ = cnp.embedding_forward(np.array([[1, 2, 3]]), weight)
    assert out.shape == (1, 3, 4)
    np.testing.assert_array_equal(out[0, 1], weight[2])


@pytest.mark.parametrize(
    "idx, message",
    [
        (np.array([[0, 7]]), "idx: expected ids in [0, V) with V=7 from weight, got values in [0, 7]"),
        (np.array([[-1, 2]]), "idx: expected ids in [0, V) with V=7 from weight, got values in [-1, 2]"),
        (np.array([[0.0, 1.0]]), "idx: expected integer token ids, got dtype float64"),
    ],
    ids=["too_large", "negative", "float"],
)
def test_embedding_rejects_bad_ids(idx, message, rng):
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.embedding_forward(idx, rng.standard_normal((7, 3)))


def torch_linear(x, weight, bias, dout):
    """torch.nn.functional.linear and autograd: (out, dx, dweight, dbias)."""
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    out = torch.nn.functional.linear(xt, wt, bt)
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("temporal", [False, True], ids=["affine", "temporal_affine"])
def test_affine_matches_torch_linear(temporal, dtype, rng):
    lead = (3, 4) if temporal else (3,)
    x = rng.standard_normal((*lead, 5)).astype(dtype)
    weight, bias = rng.standard_normal((2, 5)).astype(dtype), rng.standard_normal(2).astype(dtype)
    dout = rng.standard_normal((*lead, 2)).astype(dtype)
    forward, backward = (
        (cnp.temporal_affine_forward, cnp.temporal_affine_backward)
        if temporal
        else (cnp.affine_forward, cnp.affine_backward)
    )
    out, cache = forward(x, weight, bias)
    ours = (out, *backward(dout, cache))
    reference = torch_linear(x, weight, bias, dout)
    for stage, actual, expected in zip(("out", "dx", "dweight", "dbias"), ours, reference, strict=True):
        tol = forward_tol(dtype) if stage == "out" else gradient_tol(dtype)
        assert_close(actual, expected, tol, stage)


@pytest.mark.parametrize("temporal", [False, True], ids=["affine", "temporal_affine"])
def test_affine_backward_matches_finite_differences(temporal, rng):
    forward, backward = (
        (cnp.temporal_affine_forward, cnp.temporal_affine_backward)
        if temporal
        else (cnp.affine_forward, cnp.affine_backward)
    )
    lead = (2, 3) if temporal else (2,)
    inputs = [rng.standard_normal((*lead, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)]
    dout = rng.standard_normal((*lead, 3))
    grads = backward(dout, forward(*inputs)[1])
    for position, (value, grad) in enumerate(zip(inputs, grads, strict=True)):

        def f(a, position=position):
            return forward(*inputs[:position], a, *inputs[position + 1 :])[0]

        assert rel_error(grad, numerical_gradient(f, value, dout)) < FD_MAX_REL_ERROR, f"input {position}"


def test_temporal_affine_is_affine_at_every_step(rng):
    x, weight, bias = rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    out, _ = cnp.temporal_affine_forward(x, weight, bias)
    for t in range(5):
        expected = cnp.affine_forward(x[:, t], weight, bias)[0]
        assert_close(out[:, t], expected, forward_tol(DTYPES[0]), f"step {t}")


def test_layers_do_not_modify_their_inputs(rng):
    x, weight, bias = rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    dout, demb = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 2, 3))
    idx = np.array([[1, 1], [2, 0]])
    before = copy.deepcopy((x, weight, bias, dout, idx, demb))
    cnp.temporal_affine_backward(dout, cnp.temporal_affine_forward(x, weight, bias)[1])
    cnp.embedding_backward(demb, cnp.embedding_forward(idx, weight)[1])
    for was, now in zip(before, (x, weight, bias, dout, idx, demb), strict=True):
        np.testing.assert_array_equal(now, was)


@pytest.mark.parametrize(
    "x_shape, weight_shape, bias_shape, message",
    [
        ((2, 4), (3, 5), (3,), "x: expected (N, D) with D=5 from weight, got shape (2, 4)"),
        ((2, 5), (3, 5), (2,), "bias: expected (M,) with M=3 from weight, got shape (2,)"),
        ((2, 5), (3, 5, 1), (3,), "weight: expected (M, D), got shape (3, 5, 1)"),
    ],
    ids=["x_wrong_D", "bias_wrong_M", "weight_rank3"],
)
def test_affine_rejects_bad_shapes(x_shape, weight_shape, bias_shape, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.affine_forward(np.zeros(x_shape), np.zeros(weight_shape), np.zeros(bias_shape))


def test_temporal_affine_rejects_a_single_step():
    message = "x: expected (N, T, D) with D=5 from weight, got shape (2, 5)"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.temporal_affine_forward(np.zeros((2, 5)), np.zeros((3, 5)), np.zeros(3))
