"""The fixed-window MLP language model against torch.nn modules, finite differences, and its size."""

import re

import numpy as np
import pytest
import torch
from np_reference import assert_close

import course_lib.numpy as cnp
from course_lib.check import FD_MAX_REL_ERROR, forward_tol, gradient_tol, numerical_gradient, rel_error

F64 = np.dtype(np.float64)
V, E, W, H = 11, 3, 4, 5  # vocabulary, embedding size, window, hidden units


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def torch_window_mlp(idx, params, dlogits):
    """Embedding -> flatten -> Linear -> tanh -> Linear in torch.nn, with our weights."""
    embedding = torch.nn.Embedding(V, E, dtype=torch.float64)
    hidden = torch.nn.Linear(W * E, H, dtype=torch.float64)
    out = torch.nn.Linear(H, V, dtype=torch.float64)
    pairs = [
        (embedding.weight, "embedding"),
        (hidden.weight, "weight_hidden"),
        (hidden.bias, "bias_hidden"),
        (out.weight, "weight_out"),
        (out.bias, "bias_out"),
    ]
    with torch.no_grad():
        for tensor, key in pairs:
            tensor.copy_(torch.from_numpy(params[key]))
    logits = out(torch.tanh(hidden(embedding(torch.from_numpy(idx)).flatten(1))))
    logits.backward(torch.from_numpy(dlogits))
    return logits.detach().numpy(), {key: tensor.grad.numpy() for tensor, key in pairs}


def test_window_mlp_matches_torch_nn(rng):
    params = cnp.init_window_mlp_params(V, E, W, H, rng)
    idx, dlogits = rng.integers(0, V, (6, W)), rng.standard_normal((6, V))
    logits, cache = cnp.window_mlp_forward(idx, params)
    grads = cnp.window_mlp_backward(dlogits, cache)
    ref_logits, ref_grads = torch_window_mlp(idx, params, dlogits)
    assert_close(logits, ref_logits, forward_tol(F64), "logits")
    for key, expected in ref_grads.items():
        assert_close(grads[key], expected, gradient_tol(F64), f"d{key}")


def test_window_mlp_backward_matches_finite_differences(rng):
    params = cnp.init_window_mlp_params(V, E, W, H, rng)
    idx, dlogits = rng.integers(0, V, (3, W)), rng.standard_normal((3, V))
    grads = cnp.window_mlp_backward(dlogits, cnp.window_mlp_forward(idx, params)[1])
    for key, value in params.items():
        numeric = numerical_gradient(lambda a, key=key: cnp.window_mlp_forward(idx, {**params, key: a})[0],
                                     value, dlogits)
        assert rel_error(grads[key], numeric) < FD_MAX_REL_ERROR, key


def test_first_layer_grows_with_the_window(rng):
    """The lecture's count: a window of w tokens of E-dim embeddings into H units needs w·E·H weights."""
    for window in (1, 4, 100):
        params = cnp.init_window_mlp_params(V, 100, window, 100, rng)
        assert params["weight_hidden"].size == window * 100 * 100
    first_layer = params["weight_hidden"].size + params["bias_hidden"].size  # w = 100: "more than a million"
    assert first_layer == 1_000_100


def test_logits_depend_on_the_order_of_the_window(rng):
    params = cnp.init_window_mlp_params(V, E, W, H, rng)
    idx = np.array([[1, 2, 3, 4]])
    reversed_window = cnp.window_mlp_forward(idx[:, ::-1], params)[0]
    assert not np.allclose(cnp.window_mlp_forward(idx, params)[0], reversed_window)


def test_window_mlp_rejects_a_window_of_the_wrong_width(rng):
    params = cnp.init_window_mlp_params(V, E, W, H, rng)
    message = f"x: expected (N, D) with D={W * E} from weight, got shape (2, {(W + 1) * E})"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.window_mlp_forward(np.zeros((2, W + 1), int), params)


def test_window_mlp_rejects_missing_params(rng):
    params = cnp.init_window_mlp_params(V, E, W, H, rng)
    del params["bias_out"]
    with pytest.raises(ValueError, match=re.escape("params: missing keys ['bias_out']")):
        cnp.window_mlp_forward(np.zeros((2, W), int), params)
