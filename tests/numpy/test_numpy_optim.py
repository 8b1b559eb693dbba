"""Optimisers against torch.optim step by step, gradient clipping against torch.nn.utils."""

import copy
import re

import numpy as np
import pytest
import torch
from np_reference import approx, assert_close

import course_lib.numpy as cnp
from course_lib.check import forward_tol

F64 = np.dtype(np.float64)

# name -> (ours, torch.optim factory); both with the same hyperparameters.
OPTIMIZERS = {
    "sgd": (lambda: cnp.SGD(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "momentum": (
        lambda: cnp.Momentum(lr=0.1, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    ),
    "nesterov": (
        lambda: cnp.Momentum(lr=0.1, momentum=0.8, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True),
    ),
    "adagrad": (lambda: cnp.Adagrad(lr=0.5), lambda p: torch.optim.Adagrad(p, lr=0.5)),
    "adam": (
        lambda: cnp.Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    ),
}


@pytest.fixture(scope="module")
def torch_optim_ready():
    """The first torch.optim optimizer a process builds imports torch._dynamo (seconds); pay it once here."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)


def random_params(rng):
    return {"weight_hh": rng.standard_normal((3, 2)), "bias_hh": rng.standard_normal(3)}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_matches_torch_optim_over_several_steps(name, rng, torch_optim_ready):
    ours_factory, torch_factory = OPTIMIZERS[name]
    params = random_params(rng)
    tensors = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    ours, reference = ours_factory(), torch_factory(list(tensors.values()))
    for _ in range(5):
        grads = {key: rng.standard_normal(value.shape) for key, value in params.items()}
        ours.step(params, grads)
        for key, tensor in tensors.items():
            tensor.grad = torch.from_numpy(grads[key])
        reference.step()
        for key, tensor in tensors.items():
            assert_close(params[key], tensor.detach().numpy(), forward_tol(F64), f"{name} {key}")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_step_updates_the_arrays_in_place_and_leaves_grads_alone(name, rng):
    params = random_params(rng)
    arrays = dict(params)
    grads = {key: rng.standard_normal(value.shape) for key, value in params.items()}
    before = copy.deepcopy((params, grads))
    assert OPTIMIZERS[name][0]().step(params, grads) is None
    for key in params:
        assert params[key] is arrays[key], "step must update the same array object"
        assert not np.array_equal(params[key], before[0][key])
        np.testing.assert_array_equal(grads[key], before[1][key])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_float32_params_stay_float32(name, rng):
    params = {key: value.astype(np.float32) for key, value in random_params(rng).items()}
    grads = {key: rng.standard_normal(value.shape).astype(np.float32) for key, value in params.items()}
    optimizer = OPTIMIZERS[name][0]()
    optimizer.step(params, grads)
    optimizer.step(params, grads)
    assert {value.dtype for value in params.values()} == {np.dtype(np.float32)}


def test_only_keys_in_grads_are_updated(rng):
    params = random_params(rng)
    bias = params["bias_hh"].copy()
    cnp.Adam().step(params, {"weight_hh": np.ones((3, 2))})
    np.testing.assert_array_equal(params["bias_hh"], bias)


def test_adam_reduces_a_quadratic(rng):
    target = rng.standard_normal(4)
    params, optimizer = {"w": np.zeros(4)}, cnp.Adam(lr=0.1)
    for _ in range(300):
        optimizer.step(params, {"w": 2 * (params["w"] - target)})
    assert np.max(np.abs(params["w"] - target)) < 1e-3  # converged, not a rounding tolerance


def test_step_rejects_unknown_keys_and_wrong_shapes(rng):
    params = random_params(rng)
    with pytest.raises(ValueError, match=re.escape("grads: key 'weight_ih' is not in params")):
        cnp.SGD(0.1).step(params, {"weight_ih": np.zeros((3, 2))})
    message = "grads['bias_hh']: expected shape (3,) from params, got shape (2,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.SGD(0.1).step(params, {"bias_hh": np.zeros(2)})


@pytest.mark.parametrize("lr", [0, -0.1])
def test_learning_rate_must_be_positive(lr):
    with pytest.raises(ValueError, match="lr: expected a positive learning rate"):
        cnp.SGD(lr)


def torch_clipped(grads, clip):
    """torch.nn.utils's clipping applied to copies: (clipped grads, the norm torch reports)."""
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for tensor, g in zip(tensors, grads.values(), strict=True):
        tensor.grad = torch.tensor(g)
    norm = clip(tensors)
    return {key: t.grad.numpy() for key, t in zip(grads, tensors, strict=True)}, norm


@pytest.mark.parametrize("max_norm", [0.5, 100.0], ids=["clips", "below_threshold"])
def test_clip_grad_norm_matches_torch(max_norm, rng):
    grads = {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal(4)}
    before = copy.deepcopy(grads)
    clipped, norm = cnp.clip_grad_norm(grads, max_norm)
    expected, expected_norm = torch_clipped(grads, lambda ts: torch.nn.utils.clip_grad_norm_(ts, max_norm))
    assert norm == approx(expected_norm.item())
    for key in grads:
        assert_close(clipped[key], expected[key], forward_tol(F64), f"clipped {key}")
        np.testing.assert_array_equal(grads[key], before[key])  # the input is not modified
    assert cnp.global_norm(clipped) <= max_norm


def test_clip_grad_value_matches_torch_and_reports_the_norm_before(rng):
    grads = {"a": 3 * rng.standard_normal((3, 2)), "b": 3 * rng.standard_normal(4)}
    clipped, norm = cnp.clip_grad_value(grads, 1.0)
    expected, _ = torch_clipped(grads, lambda ts: torch.nn.utils.clip_grad_value_(ts, 1.0))
    for key in grads:
        np.testing.assert_array_equal(clipped[key], expected[key])
    all_values = np.concatenate([g.ravel() for g in grads.values()])
    assert norm == approx(np.linalg.norm(all_values))


def test_clipping_keeps_float32(rng):
    grads = {"a": rng.standard_normal((3, 2)).astype(np.float32)}
    assert cnp.clip_grad_norm(grads, 0.1)[0]["a"].dtype == np.float32
    assert cnp.clip_grad_value(grads, 0.1)[0]["a"].dtype == np.float32


@pytest.mark.parametrize("clip", [cnp.clip_grad_norm, cnp.clip_grad_value])
def test_clipping_threshold_must_be_positive(clip):
    with pytest.raises(ValueError, match="expected a positive number"):
        clip({"a": np.ones(2)}, 0.0)
