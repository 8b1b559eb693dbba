"""Bad input raises ValueError, and the message names the expected and the received shape."""

import re

import numpy as np
import pytest
from np_reference import random_params

import course_lib.numpy as cnp

N, T, D, H = 2, 3, 5, 4


def seq_call(cell, x, h0=None, params=None, c0=None, nonlinearity="tanh"):
    """Call the contract's forward function of `cell`."""
    params = random_params(cell, D, H, np.random.default_rng(0)) if params is None else params
    if cell == "lstm":
        return cnp.lstm_forward(x, h0, c0, params)
    if cell == "rnn":
        return cnp.rnn_forward(x, h0, params, nonlinearity)
    return {"gru": cnp.gru_forward, "cho_gru": cnp.cho_gru_forward}[cell](x, h0, params)


def step_call(cell, x, h, params=None, c=None):
    """Call the contract's step forward function of `cell`."""
    params = random_params(cell, D, H, np.random.default_rng(0)) if params is None else params
    if cell == "lstm":
        return cnp.lstm_step_forward(x, h, np.zeros((N, H)) if c is None else c, params)
    forward = {"rnn": cnp.rnn_step_forward, "gru": cnp.gru_step_forward, "cho_gru": cnp.cho_gru_step_forward}
    return forward[cell](x, h, params)


CELLS = ["rnn", "lstm", "gru", "cho_gru"]
STEP_BACKWARD = {
    "rnn": cnp.rnn_step_backward,
    "gru": cnp.gru_step_backward,
    "cho_gru": cnp.cho_gru_step_backward,
}


def test_message_of_the_issue_example():
    with pytest.raises(ValueError) as info:
        seq_call("rnn", np.zeros((2, 3, 4)))
    assert str(info.value) == "x: expected (N, T, D) with D=5 from weight_ih, got shape (2, 3, 4)"


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(N, T, D + 1), (N, D), (N, T, D, 1)], ids=["wrong_D", "rank2", "rank4"])
def test_sequence_x_of_wrong_shape(cell, shape):
    message = f"x: expected (N, T, D) with D=5 from weight_ih, got shape {shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        seq_call(cell, np.zeros(shape))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(N + 1, H), (N, H + 1), (H,), (1, N, H)], ids=["N", "H", "rank1", "rank3"])
def test_sequence_h0_of_wrong_shape(cell, shape):
    message = f"h0: expected (N, H) with N={N} from x and H={H} from weight_hh, got shape {shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        seq_call(cell, np.zeros((N, T, D)), h0=np.zeros(shape))


def test_lstm_c0_of_wrong_shape():
    message = "c0: expected (N, H) with N=2 from x and H=4 from weight_hh, got shape (2, 6)"
    with pytest.raises(ValueError, match=re.escape(message)):
        seq_call("lstm", np.zeros((N, T, D)), c0=np.zeros((N, H + 2)))


def test_sequence_of_zero_steps():
    with pytest.raises(ValueError, match=re.escape("at least one time step, got shape (2, 0, 5)")):
        seq_call("gru", np.zeros((N, 0, D)))


@pytest.mark.parametrize("cell", CELLS)
def test_step_x_of_wrong_shape(cell):
    message = "x: expected (N, D) with D=5 from weight_ih, got shape (2, 3, 5)"
    with pytest.raises(ValueError, match=re.escape(message)):
        step_call(cell, np.zeros((N, T, D)), np.zeros((N, H)))


@pytest.mark.parametrize("cell", CELLS)
def test_step_h_prev_of_wrong_shape(cell):
    message = "h_prev: expected (N, H) with N=2 from x and H=4 from weight_hh, got shape (3, 4)"
    with pytest.raises(ValueError, match=re.escape(message)):
        step_call(cell, np.zeros((N, D)), np.zeros((N + 1, H)))


def test_lstm_step_c_prev_of_wrong_shape():
    message = "c_prev: expected (N, H) with N=2 from x and H=4 from weight_hh, got shape (2,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        step_call("lstm", np.zeros((N, D)), np.zeros((N, H)), c=np.zeros((N,)))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("missing", ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
def test_missing_param_key(cell, missing):
    params = random_params(cell, D, H, np.random.default_rng(0))
    del params[missing]
    with pytest.raises(ValueError, match=re.escape(f"params: missing keys ['{missing}']")):
        seq_call(cell, np.zeros((N, T, D)), params=params)


@pytest.mark.parametrize(
    "cell, params_of, message",
    [
        ("lstm", "gru", "weight_hh: expected (4*H, H) for a LSTM, got shape (12, 4)"),
        ("gru", "rnn", "weight_hh: expected (3*H, H) for a GRU, got shape (4, 4)"),
        ("rnn", "lstm", "weight_hh: expected (H, H) for a RNN, got shape (16, 4)"),
    ],
    ids=["lstm_given_gru_params", "gru_given_rnn_params", "rnn_given_lstm_params"],
)
def test_params_of_another_cell(cell, params_of, message):
    params = random_params(params_of, D, H, np.random.default_rng(0))
    with pytest.raises(ValueError, match=re.escape(message)):
        seq_call(cell, np.zeros((N, T, D)), params=params)


@pytest.mark.parametrize(
    "key, shape, dims",
    [
        ("weight_ih", (16, D, 1), "(4*H, D)"),
        ("weight_ih", (12, D), "(4*H, D)"),
        ("bias_ih", (12,), "(4*H,)"),
        ("bias_hh", (16, 1), "(4*H,)"),
    ],
    ids=["weight_ih_rank3", "weight_ih_rows", "bias_ih_length", "bias_hh_rank2"],
)
def test_param_of_wrong_shape(key, shape, dims):
    message = f"{key}: expected {dims} with 4*H=16 from weight_hh, got shape {shape}"
    params = random_params("lstm", D, H, np.random.default_rng(0))
    params[key] = np.zeros(shape)
    with pytest.raises(ValueError, match=re.escape(message)):
        seq_call("lstm", np.zeros((N, T, D)), params=params)


def test_params_that_are_not_a_dict():
    with pytest.raises(ValueError, match="params: expected a dict"):
        seq_call("rnn", np.zeros((N, T, D)), params=[np.zeros((H, D))])


@pytest.mark.parametrize("nonlinearity", ["sigmoid", "Tanh", "", None])
def test_bad_nonlinearity(nonlinearity):
    message = f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        seq_call("rnn", np.zeros((N, T, D)), nonlinearity=nonlinearity)
    params = random_params("rnn", D, H, np.random.default_rng(0))
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.rnn_step_forward(np.zeros((N, D)), np.zeros((N, H)), params, nonlinearity)


@pytest.mark.parametrize("cell", CELLS)
def test_backward_with_dout_of_wrong_shape(cell, rng):
    params = random_params(cell, D, H, rng)
    _, cache = cnp.recurrent_forward(rng.standard_normal((N, T, D)), None, params, cell)
    message = f"dout: expected shape {(N, T, H)} from the forward pass, got shape {(N, T, H + 1)}"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.recurrent_backward(np.zeros((N, T, H + 1)), cache)


@pytest.mark.parametrize("cell", CELLS)
def test_step_backward_with_upstream_of_wrong_shape(cell, rng):
    params = random_params(cell, D, H, rng)
    *_, cache = step_call(cell, np.zeros((N, D)), np.zeros((N, H)), params)
    message = f"dh_next: expected shape {(N, H)} from the forward pass, got shape {(H,)}"
    with pytest.raises(ValueError, match=re.escape(message)):
        if cell == "lstm":
            cnp.lstm_step_backward(np.zeros((H,)), np.zeros((N, H)), cache)
        else:
            STEP_BACKWARD[cell](np.zeros((H,)), cache)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cell": "mlp"}, "cell: expected one of ('rnn', 'lstm', 'gru', 'cho_gru'), got 'mlp'"),
        ({"cell": "gru", "c0": np.zeros((N, H))}, "c0: only an LSTM has a cell state"),
        ({"cell": "lstm", "nonlinearity": "relu"}, "nonlinearity: only the RNN takes one"),
    ],
    ids=["unknown_cell", "c0_for_gru", "relu_for_lstm"],
)
def test_recurrent_forward_rejects_options_the_cell_lacks(kwargs, message, rng):
    params = random_params("gru", D, H, rng)
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.recurrent_forward(np.zeros((N, T, D)), None, params, **kwargs)
