"""Gradient norm and clipping against torch.nn.utils.clip_grad_norm_."""

import pytest
import torch

from course_lib.check import TORCH_FLOAT64
from course_lib.train import clip_grad_norm_, grad_norm


def params_with_grads(rng, scale):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    params = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p in params:
        p.grad = torch.from_numpy(rng.normal(scale=scale, size=p.shape))
    return params


@pytest.mark.parametrize("scale", [0.01, 10.0], ids=["below", "above"])
def test_clip_matches_torch(rng, scale):
    ours = params_with_grads(rng, scale)
    reference = [p.detach().clone().requires_grad_() for p in ours]
    for p, q in zip(ours, reference, strict=True):
        q.grad = p.grad.clone()
    norm = clip_grad_norm_(ours, max_norm=1.0)
    expected = torch.nn.utils.clip_grad_norm_(reference, max_norm=1.0)
    assert norm == pytest.approx(float(expected), rel=TORCH_FLOAT64.rtol)
    for p, q in zip(ours, reference, strict=True):
        torch.testing.assert_close(p.grad, q.grad, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)
    assert grad_norm(ours) <= 1.0 + 1e-12


def test_grad_norm_skips_parameters_without_gradients(rng):
    params = params_with_grads(rng, 1.0)
    flat = torch.cat([p.grad.flatten() for p in params])
    no_grad = torch.zeros(5, requires_grad=True)
    assert grad_norm([*params, no_grad]) == pytest.approx(float(flat.norm()), rel=TORCH_FLOAT64.rtol)
    assert grad_norm([no_grad]) == 0.0


def test_clip_rejects_non_positive_max_norm(rng):
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_(params_with_grads(rng, 1.0), 0.0)
