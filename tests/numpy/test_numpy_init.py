"""Initialisers: shapes, dtypes, the distributions they promise, and that they load into torch.nn."""

import re

import numpy as np
import pytest
import torch
from np_reference import assert_close

import course_lib.numpy as cnp
from course_lib.check import forward_tol

INIT = {"rnn": cnp.init_rnn_params, "lstm": cnp.init_lstm_params, "gru": cnp.init_gru_params}
TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
F64 = np.dtype(np.float64)


@pytest.mark.parametrize("scheme", ["torch", "xavier", "orthogonal"])
@pytest.mark.parametrize("cell", list(INIT))
def test_params_have_torch_shapes_and_load_into_torch_nn(cell, scheme, rng):
    D, H = 3, 5
    params = INIT[cell](D, H, rng, scheme=scheme)
    G = GATES[cell]
    expected = {"weight_ih": (G * H, D), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
    assert {key: value.shape for key, value in params.items()} == expected
    module = TORCH[cell](D, H, dtype=torch.float64)
    module.load_state_dict({f"{key}_l0": torch.from_numpy(value) for key, value in params.items()})


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("cell", list(INIT))
def test_dtype_is_respected(cell, dtype, rng):
    params = INIT[cell](2, 3, rng, dtype=dtype)
    assert {value.dtype for value in params.values()} == {np.dtype(dtype)}


@pytest.mark.parametrize("cell", list(INIT))
def test_torch_scheme_is_uniform_within_one_over_sqrt_h(cell, rng):
    H = 16
    values = np.concatenate([v.ravel() for v in INIT[cell](8, H, rng).values()])
    bound = 1 / np.sqrt(H)
    assert np.all(np.abs(values) <= bound)
    assert np.max(np.abs(values)) > 0.9 * bound  # it uses the whole range
    assert abs(np.std(values) - bound / np.sqrt(3)) < 0.1 * bound  # std of U(-a, a) is a/√3


def test_same_seed_gives_same_params():
    first = cnp.init_lstm_params(3, 4, np.random.default_rng(7))
    second = cnp.init_lstm_params(3, 4, np.random.default_rng(7))
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


@pytest.mark.parametrize("shape", [(200, 300), (300, 200)], ids=["wide", "tall"])
def test_xavier_uniform_and_normal_have_the_glorot_variance(shape, rng):
    expected_std = np.sqrt(2 / sum(shape))
    for init in (cnp.xavier_uniform, cnp.xavier_normal):
        # A statistical bound, not a rounding tolerance: 60,000 samples estimate a std to about 0.3%.
        assert np.std(init(shape, rng)) == pytest.approx(expected_std, rel=0.03), init.__name__
    bound = np.sqrt(6 / sum(shape))
    assert np.max(np.abs(cnp.xavier_uniform(shape, rng))) <= bound


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3)], ids=["square", "wide", "tall"])
def test_orthogonal_has_orthonormal_rows_or_columns(shape, rng):
    q = cnp.orthogonal(shape, rng, gain=2.0)
    small = min(shape)
    gram = q @ q.T if shape[0] <= shape[1] else q.T @ q
    assert_close(gram, 4.0 * np.eye(small), forward_tol(F64), "Gram matrix")
    assert_close(np.linalg.svd(q, compute_uv=False), np.full(small, 2.0), forward_tol(F64), "singular values")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_orthogonal_scheme_makes_each_recurrent_gate_block_orthogonal(cell, rng):
    H = 4
    weight_hh = INIT[cell](3, H, rng, scheme="orthogonal")["weight_hh"]
    for g in range(GATES[cell]):
        block = weight_hh[g * H : (g + 1) * H]
        assert_close(block @ block.T, np.eye(H), forward_tol(F64), f"{cell} gate block {g}")


def test_irnn_keeps_a_nonnegative_state_without_input(rng):
    """Le, Jaitly & Hinton (2015): W_hh = I and zero biases make relu(h W_hhᵀ) = h, a perfect memory."""
    params = cnp.init_rnn_params(3, 4, rng, scheme="irnn")
    np.testing.assert_array_equal(params["weight_hh"], np.eye(4))
    assert not np.any(params["bias_ih"]) and not np.any(params["bias_hh"])
    assert np.std(params["weight_ih"]) < 0.01
    h0 = np.abs(rng.standard_normal((2, 4)))
    out, _ = cnp.rnn_forward(np.zeros((2, 50, 3)), h0, params, nonlinearity="relu")
    np.testing.assert_array_equal(out[:, -1], h0)


def test_identity_is_a_scaled_eye():
    np.testing.assert_array_equal(cnp.identity(3, gain=0.5), 0.5 * np.eye(3))


def test_forget_bias_is_added_to_the_forget_block_only(rng):
    H = 3
    without = cnp.init_lstm_params(2, H, np.random.default_rng(1))
    with_bias = cnp.init_lstm_params(2, H, np.random.default_rng(1), forget_bias=1.0)
    np.testing.assert_allclose(with_bias["bias_ih"] - without["bias_ih"], [0] * H + [1] * H + [0] * 2 * H)
    np.testing.assert_array_equal(with_bias["bias_hh"], without["bias_hh"])


def test_irnn_is_only_for_the_rnn(rng):
    message = "scheme: expected one of ('torch', 'xavier', 'orthogonal') for lstm, got 'irnn'"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.init_lstm_params(3, 4, rng, scheme="irnn")


@pytest.mark.parametrize(
    "D, H", [(0, 4), (3, -1), (3, 2.0), (True, 2)], ids=["D0", "H_negative", "H_float", "D_bool"]
)
def test_sizes_must_be_positive_integers(D, H, rng):
    with pytest.raises(ValueError, match="expected a positive integer"):
        cnp.init_gru_params(D, H, rng)
