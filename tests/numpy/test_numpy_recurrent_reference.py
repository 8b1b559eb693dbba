"""Every NumPy cell, step and sequence, forward and every gradient, against torch.nn (reference tests).

float64 uses the FORWARD and GRADIENT tables (1e-7); float32 the float32 rows, and the dtype must stay.
Cho et al.'s GRU, which torch.nn lacks, is compared with autograd on the same equations in torch ops.
"""

import numpy as np
import pytest
import torch
from np_reference import (
    CELLS,
    SIZE_IDS,
    SIZES,
    assert_close,
    random_inputs,
    sequence,
    step,
    torch_cho_gru,
    torch_sequence,
    torch_step,
)

from course_lib.check import forward_tol, gradient_tol

DTYPES = [np.dtype(np.float64), np.dtype(np.float32)]  # dtype objects: what tolerances.py looks up


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread avoids oversubscribing the shared CPU cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def assert_all_close(ours, reference, dtype, stage):
    """Outputs with the forward tolerance, then every gradient with the gradient tolerance."""
    (out, grads), (ref_out, ref_grads) = ours, reference
    assert_close(out, ref_out, forward_tol(dtype), f"{stage} forward")
    assert sorted(grads) == sorted(ref_grads), f"{stage}: gradient keys {sorted(grads)}"
    for key in ref_grads:
        assert_close(grads[key], ref_grads[key], gradient_tol(dtype), f"{stage} d{key}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("name", list(CELLS))
def test_sequence_matches_torch_nn(name, size, dtype, rng):
    x, h0, c0, params, dout = random_inputs(name, *size, rng, dtype)
    ours = sequence(name, x, h0, c0, params, dout)
    assert_all_close(ours, torch_sequence(name, x, h0, c0, params, dout), dtype, f"{name} sequence")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("name", list(CELLS))
def test_step_matches_torch_nn_cell(name, size, dtype, rng):
    N, _, D, H = size
    x, h, c, params, _ = random_inputs(name, N, 1, D, H, rng, dtype)
    dh, dc = rng.standard_normal((2, N, H)).astype(dtype)
    (h_next, c_next), grads = step(name, x[:, 0], h, c, params, dh, dc)
    (ref_h, ref_c), ref_grads = torch_step(name, x[:, 0], h, c, params, dh, dc)
    if c_next is not None:
        assert_close(c_next, ref_c, forward_tol(dtype), f"{name} step c_next")
    assert_all_close((h_next, grads), (ref_h, ref_grads), dtype, f"{name} step")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_cho_gru_sequence_matches_torch_autograd(size, dtype, rng):
    x, h0, _, params, dout = random_inputs("cho_gru", *size, rng, dtype)
    ours = sequence("cho_gru", x, h0, None, params, dout)
    assert_all_close(ours, torch_cho_gru(x, h0, params, dout), dtype, "cho_gru sequence")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_cho_gru_step_matches_torch_autograd(size, rng):
    N, _, D, H = size
    x, h, _, params, dout = random_inputs("cho_gru", N, 1, D, H, rng)
    (h_next, _), grads = step("cho_gru", x[:, 0], h, None, params, dout[:, 0], None)
    ref_out, ref_grads = torch_cho_gru(x, h, params, dout)
    ref_grads["h"] = ref_grads.pop("h0")
    ref_grads["x"] = ref_grads["x"][:, 0]
    assert_all_close((h_next, grads), (ref_out[:, 0], ref_grads), np.dtype(np.float64), "cho_gru step")
