"""WindowMLP (torch) against the NumPy window MLP: forward, gradients, sizes, and the window pairs."""

import numpy as np
import pytest
import torch

from course_lib.check import forward_tol, gradient_tol
from course_lib.numpy.window_mlp import init_window_mlp_params, window_mlp_backward, window_mlp_forward
from course_lib.torch.window_mlp import WindowMLP, windows

V, E, W, H = 11, 3, 4, 5  # vocabulary, embedding size, window, hidden units
F64 = "float64"


def float64_model(params=None):
    model = WindowMLP(V, E, W, H).double()
    return model if params is None else model.load_numpy_params(params)


def test_forward_and_gradients_match_the_numpy_window_mlp(rng):
    params = init_window_mlp_params(V, E, W, H, rng)
    idx, dlogits = rng.integers(0, V, (6, W)), rng.standard_normal((6, V))
    model = float64_model(params)
    logits = model(torch.from_numpy(idx))
    logits.backward(torch.from_numpy(dlogits))
    expected, cache = window_mlp_forward(idx, params)
    np.testing.assert_allclose(logits.detach().numpy(), expected, *forward_tol(F64), err_msg="logits")
    grads = window_mlp_backward(dlogits, cache)
    ours = dict(
        zip(
            params,
            (model.embed.weight, model.hidden.weight, model.hidden.bias, model.out.weight, model.out.bias),
            strict=True,
        )
    )
    for key, tensor in ours.items():
        np.testing.assert_allclose(tensor.grad.numpy(), grads[key], *gradient_tol(F64), err_msg=f"d{key}")


def test_numpy_params_round_trip(rng):
    params = init_window_mlp_params(V, E, W, H, rng)
    back = float64_model(params).numpy_params()
    assert list(back) == list(params)
    for key in params:
        np.testing.assert_array_equal(back[key], params[key], err_msg=key)


def test_first_layer_size_is_the_lectures_count():
    assert WindowMLP(V, 100, 100, 100).first_layer_size() == 100 * 100 * 100 + 100 == 1_000_100
    for window in (1, 4, 16):
        model = WindowMLP(V, E, window, H)
        assert model.first_layer_size() == window * E * H + H
        assert sum(p.numel() for p in model.parameters()) == V * E + window * E * H + H + H * V + V


def test_output_depends_on_the_order_inside_the_window():
    torch.manual_seed(0)
    model = WindowMLP(V, E, W, H)
    idx = torch.tensor([[1, 2, 3, 4]])
    assert not torch.allclose(model(idx), model(idx.flip(1)))


@pytest.mark.parametrize("shape", [(2, W + 1), (2, W - 1), (W,), (2, W, 1)])
def test_wrong_window_length_is_an_error(shape):
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        WindowMLP(V, E, W, H)(torch.zeros(shape, dtype=torch.long))


@pytest.mark.parametrize(
    "kwargs", [{"window": 0}, {"hidden_size": -1}, {"embed_dim": 2.0}, {"vocab_size": True}]
)
def test_invalid_sizes(kwargs):
    sizes = {"vocab_size": V, "embed_dim": E, "window": W, "hidden_size": H, **kwargs}
    with pytest.raises(ValueError, match="positive integer"):
        WindowMLP(**sizes)


def test_load_numpy_params_checks_shapes(rng):
    params = init_window_mlp_params(V, E, W + 1, H, rng)
    with pytest.raises(ValueError, match="weight_hidden"):
        float64_model(params)


@pytest.mark.parametrize("window", [1, 3, 9])
def test_windows_pairs_each_window_with_the_next_token(window):
    ids = torch.arange(10) * 7
    X, Y = windows(ids, window)
    assert X.shape == (10 - window, window) and Y.shape == (10 - window,)
    for i in range(len(X)):
        assert X[i].tolist() == ids[i : i + window].tolist() and Y[i] == ids[i + window]
    assert torch.equal(Y[:-1], X[1:, -1])  # the target of one window is the newest input of the next


@pytest.mark.parametrize("window", [0, 10])
def test_windows_rejects_impossible_widths(window):
    with pytest.raises(ValueError, match="longer than the window"):
        windows(torch.arange(10), window)
