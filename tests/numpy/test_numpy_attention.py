"""NumPy attention (dot, general, additive) with a padding mask: shapes, masks, finite differences,
torch autograd, properties and errors.

The reference for forward and backward is torch autograd on the same math (course_lib.torch.attention's
modules with the same weights, and torch.nn.functional.scaled_dot_product_attention for the dot score).
"""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from np_reference import assert_close

import course_lib.numpy as cnp
from course_lib.check import (
    FD_MAX_REL_ERROR,
    check_vjp,
    forward_tol,
    gradient_tol,
    numerical_gradient,
    rel_error,
)
from course_lib.torch.attention import make_attention

SCORES = ["dot", "general", "additive"]
SIZES = [(3, 2, 5, 4, 3, 2, 6), (1, 1, 1, 3, 5, 1, 2), (2, 3, 7, 5, 5, 3, 3)]  # (N, T, S, Dq, Dk, Dv, A)
SIZE_IDS = [f"N{N}_T{T}_S{S}_Dq{Dq}_Dk{Dk}_Dv{Dv}_A{A}" for N, T, S, Dq, Dk, Dv, A in SIZES]
DTYPES = [np.dtype(np.float64), np.dtype(np.float32)]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread avoids oversubscribing the shared CPU cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def random_case(score, size, rng, dtype=np.float64):
    """query, keys, values, mask (a ragged batch: lengths S, 1, 2, ...), params, dcontext."""
    N, T, S, Dq, Dk, Dv, A = size
    Dk = Dq if score == "dot" else Dk
    lengths = np.array([S, 1, 2, 3, 4][:N]).clip(1, S)
    mask = np.arange(S) < lengths[:, None]  # (N, S)
    module = make_attention(score, Dq, Dk, A).double()
    params = {k: v.detach().numpy().astype(dtype) for k, v in module.state_dict().items()} or None
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in [(N, T, Dq), (N, S, Dk), (N, S, Dv)]]
    return (*arrays, mask, params, rng.standard_normal((N, T, Dv)).astype(dtype))


def torch_attention(score, query, keys, values, mask, params, dcontext):
    """Context, weights and every gradient from torch autograd on the course's torch module."""
    A = params["weight_score"].shape[0] if params and "weight_score" in params else None
    module = make_attention(score, query.shape[-1], keys.shape[-1], A)
    module = module.to(torch.float64 if query.dtype == np.float64 else torch.float32)
    if params:
        module.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    arrays = zip("qkv", (query, keys, values), strict=True)
    leaves = {name: torch.tensor(a, requires_grad=True) for name, a in arrays}
    context, weights = module(leaves["q"], leaves["k"], leaves["v"], torch.tensor(mask))
    context.backward(torch.tensor(dcontext))
    grads = {name: p.grad.numpy() for name, p in module.named_parameters()}
    return context.detach().numpy(), weights.detach().numpy(), [leaves[n].grad.numpy() for n in "qkv"], grads


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("score", SCORES)
def test_shapes_and_weights(score, size, rng):
    query, keys, values, mask, params, _ = random_case(score, size, rng)
    N, T, S, _, _, Dv, _ = size
    context, cache = cnp.attention_forward(query, keys, values, mask, params, score)
    assert context.shape == (N, T, Dv) and cache.weights.shape == (N, T, S)
    np.testing.assert_allclose(cache.weights.sum(-1), 1.0, rtol=1e-12)
    assert np.all(cache.weights[~np.broadcast_to(mask[:, None], (N, T, S))] == 0.0)  # exactly zero
    dq, dk, dv, grads = cnp.attention_backward(np.ones_like(context), cache)
    assert dq.shape == query.shape and dk.shape == keys.shape and dv.shape == values.shape
    assert sorted(grads) == sorted(params or {})
    assert all(grads[k].shape == params[k].shape for k in grads)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("score", SCORES)
def test_matches_torch_autograd(score, size, dtype, rng):
    case = random_case(score, size, rng, dtype)
    context, cache = cnp.attention_forward(*case[:5], score)
    dq, dk, dv, grads = cnp.attention_backward(case[5], cache)
    ref_context, ref_weights, ref_inputs, ref_grads = torch_attention(score, *case)
    assert_close(context, ref_context, forward_tol(dtype), f"{score} context")
    assert_close(cache.weights, ref_weights, forward_tol(dtype), f"{score} weights")
    for name, ours, ref in zip(["query", "keys", "values"], (dq, dk, dv), ref_inputs, strict=True):
        assert_close(ours, ref, gradient_tol(dtype), f"{score} d{name}")
    for key in ref_grads:
        assert_close(grads[key], ref_grads[key], gradient_tol(dtype), f"{score} d{key}")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("score", SCORES)
def test_backward_matches_finite_differences(score, size, rng):
    query, keys, values, mask, params, dcontext = random_case(score, size, rng)
    inputs = {"query": query, "keys": keys, "values": values, **(params or {})}

    def run(d):
        p = {k: d[k] for k in params} if params else None
        return cnp.attention_forward(d["query"], d["keys"], d["values"], mask, p, score)[0]

    _, cache = cnp.attention_forward(query, keys, values, mask, params, score)
    dq, dk, dv, grads = cnp.attention_backward(dcontext, cache)
    analytic = {"query": dq, "keys": dk, "values": dv, **grads}
    for key, value in inputs.items():
        numeric = numerical_gradient(lambda a, key=key: run({**inputs, key: a}), value, dcontext)
        error = rel_error(analytic[key], numeric)
        assert error < FD_MAX_REL_ERROR, f"{score} d{key}: rel error {error:.2e}\n{analytic[key]}\n{numeric}"


@pytest.mark.parametrize("score", SCORES)
def test_vjp_on_a_longer_memory(score, rng):
    query, keys, values, mask, params, _ = random_case(score, (3, 4, 40, 6, 5, 4, 7), rng)
    _, cache = cnp.attention_forward(query, keys, values, mask, params, score)
    check = check_vjp(lambda k: cnp.attention_forward(query, k, values, mask, params, score)[0], keys,
                      lambda u: cnp.attention_backward(u, cache)[1], rng)
    assert check.rel_error < FD_MAX_REL_ERROR, check


def test_masked_softmax_backward_matches_finite_differences(rng):
    scores = rng.standard_normal((2, 3, 5))
    mask = rng.random((2, 3, 5)) < 0.6
    mask[..., 0] = True
    weights, cache = cnp.masked_softmax_forward(scores, mask)
    dweights = rng.standard_normal(weights.shape)
    numeric = numerical_gradient(lambda s: cnp.masked_softmax_forward(s, mask)[0], scores, dweights)
    analytic = cnp.masked_softmax_backward(dweights, cache)
    assert rel_error(analytic, numeric) < FD_MAX_REL_ERROR
    assert np.all(analytic[~mask] == 0.0) and np.all(weights[~mask] == 0.0)


@pytest.mark.parametrize("scale", [None, 1.0, 0.3], ids=["default", "luong_dot", "custom"])
def test_dot_score_equals_scaled_dot_product_attention(scale, rng):
    N, T, S, D, Dv = 3, 4, 6, 5, 3
    query, keys, values = (rng.standard_normal(shape) for shape in [(N, T, D), (N, S, D), (N, S, Dv)])
    mask = rng.random((N, T, S)) < 0.5
    mask[..., 2] = True
    context, _ = cnp.attention_forward(query, keys, values, mask, score="dot", scale=scale)
    reference = F.scaled_dot_product_attention(*map(torch.tensor, (query, keys, values)),
                                               attn_mask=torch.tensor(mask), scale=scale)
    assert_close(context, reference.numpy(), forward_tol(np.float64), "dot vs scaled_dot_product_attention")


@pytest.mark.parametrize("score", SCORES)
def test_padding_the_memory_changes_nothing(score, rng):
    """Extra key positions, masked out, with any values: same context, same weights on the real part."""
    query, keys, values, mask, params, _ = random_case(score, (3, 2, 4, 3, 3, 2, 5), rng)
    context, cache = cnp.attention_forward(query, keys, values, mask, params, score)
    pad = 3
    keys_p = np.concatenate([keys, 1e3 * rng.standard_normal((3, pad, keys.shape[2]))], axis=1)
    values_p = np.concatenate([values, 1e3 * rng.standard_normal((3, pad, values.shape[2]))], axis=1)
    mask_p = np.concatenate([mask, np.zeros((3, pad), dtype=bool)], axis=1)
    context_p, cache_p = cnp.attention_forward(query, keys_p, values_p, mask_p, params, score)
    assert_close(context_p, context, forward_tol(np.float64), "padded context")
    assert_close(cache_p.weights[..., :4], cache.weights, forward_tol(np.float64), "padded weights")
    assert np.all(cache_p.weights[..., 4:] == 0.0)


@pytest.mark.parametrize("score", SCORES)
def test_each_row_equals_running_it_alone(score, rng):
    query, keys, values, mask, params, _ = random_case(score, (3, 2, 5, 4, 3, 2, 6), rng)
    context, _ = cnp.attention_forward(query, keys, values, mask, params, score)
    for n in range(3):
        S = int(mask[n].sum())
        one = (query[n : n + 1], keys[n : n + 1, :S], values[n : n + 1, :S])
        alone, _ = cnp.attention_forward(*one, None, params, score)
        assert_close(alone[0], context[n], forward_tol(np.float64), f"row {n}")


@pytest.mark.parametrize("score", SCORES)
def test_a_2d_query_is_one_step(score, rng):
    query, keys, values, mask, params, dcontext = random_case(score, (3, 1, 5, 4, 3, 2, 6), rng)
    context, cache = cnp.attention_forward(query, keys, values, mask, params, score)
    context2, cache2 = cnp.attention_forward(query[:, 0], keys, values, mask, params, score)
    assert context2.shape == (3, 2)
    np.testing.assert_array_equal(context2, context[:, 0])
    dq, *rest = cnp.attention_backward(dcontext, cache)
    dq2, *rest2 = cnp.attention_backward(dcontext[:, 0], cache2)
    np.testing.assert_array_equal(dq2, dq[:, 0])
    for a, b in zip(rest[:2], rest2[:2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_no_mask_equals_an_all_true_mask(rng):
    query, keys, values, _, params, _ = random_case("additive", SIZES[0], rng)
    full = np.ones(keys.shape[:2], dtype=bool)
    a, _ = cnp.attention_forward(query, keys, values, None, params, "additive")
    b, _ = cnp.attention_forward(query, keys, values, full, params, "additive")
    np.testing.assert_array_equal(a, b)


def test_inputs_are_not_modified(rng):
    case = random_case("additive", SIZES[0], rng)
    copies = [np.copy(a) for a in case[:4]] + [{k: v.copy() for k, v in case[4].items()}, np.copy(case[5])]
    _, cache = cnp.attention_forward(*case[:5], "additive")
    cnp.attention_backward(case[5], cache)
    for before, after in zip(copies[:4] + copies[5:], case[:4] + case[5:], strict=True):
        np.testing.assert_array_equal(before, after)
    for key, value in copies[4].items():
        np.testing.assert_array_equal(value, case[4][key])


# Bad input: a ValueError whose message names what was expected and what was received.
Q, K, V = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
ADDITIVE = {"weight_query": np.zeros((7, 4)), "weight_key": np.zeros((6, 4)), "weight_score": np.zeros(7)}


def forward(query=Q, keys=K, values=V, mask=None, params=None, score="dot", scale=None):
    return cnp.attention_forward(query, keys, values, mask, params, score, scale)


BAD_CALLS = {
    "query_rank": (lambda: forward(query=np.zeros(4)),
                   "query: expected (N, T, Dq) or (N, Dq), got shape (4,)"),
    "keys_batch": (lambda: forward(keys=np.zeros((3, 5, 4))),
                   "keys: expected (N, S, Dk) with N=2, Dk=4 from query, got shape (3, 5, 4)"),
    "dot_sizes": (lambda: forward(keys=np.zeros((2, 5, 3))),
                  "keys: expected (N, S, Dk) with N=2, Dk=4 from query, got shape (2, 5, 3)"),
    "values_length": (lambda: forward(values=np.zeros((2, 4, 6))),
                      "values: expected (N, S, Dv) with N=2 from query and S=5 from keys, "
                      "got shape (2, 4, 6)"),
    "mask_dtype": (lambda: forward(mask=np.ones((2, 5))),
                   "mask: expected dtype bool (True at real positions), got float64"),
    "mask_shape": (lambda: forward(mask=np.ones((2, 4), dtype=bool)),
                   "mask: expected (N, S) or (N, T, S) with N=2, T=3, S=5 from the scores, "
                   "got shape (2, 4)"),
    "mask_empty_row": (lambda: forward(mask=np.arange(5) < np.array([[3], [0]])),
                       "mask: every query needs at least one True position, got none for (n, t) = (1, 0)"),
    "score_name": (lambda: forward(score="multiplicative"),
                   "score: expected one of ('dot', 'general', 'additive'), got 'multiplicative'"),
    "scale_not_dot": (lambda: forward(params={"weight": np.zeros((4, 4))}, score="general", scale=2.0),
                      "scale: only the 'dot' score takes one, got scale=2.0 for score='general'"),
    "missing_param": (lambda: forward(params={"weight": np.zeros((4, 4))}, score="additive"),
                      "params: missing key 'weight_query'; got keys ['weight']"),
    "general_weight": (lambda: forward(params={"weight": np.zeros((4, 3))}, score="general"),
                       "weight: expected (Dq, Dk) with Dq=4 from query and Dk=4 from keys, got shape (4, 3)"),
    "additive_key_weight": (lambda: forward(params=ADDITIVE, score="additive"),
                            "weight_key: expected (A, Dk) with A=7 from weight_query and Dk=4 from keys, "
                            "got shape (6, 4)"),
    "dcontext_shape": (lambda: cnp.attention_backward(np.zeros((2, 3, 5)), forward()[1]),
                       "dcontext: expected shape (2, 3, 6) from the forward pass, got shape (2, 3, 5)"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_input_names_expected_and_received(name):
    call, message = BAD_CALLS[name]
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_float32_stays_float32(rng):
    case = random_case("additive", SIZES[0], rng, np.float32)
    context, cache = cnp.attention_forward(*case[:5], "additive")
    dq, dk, dv, grads = cnp.attention_backward(case[5], cache)
    assert {a.dtype for a in (context, cache.weights, dq, dk, dv, *grads.values())} == {np.dtype(np.float32)}
