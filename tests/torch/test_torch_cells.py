"""course_lib.torch cells against torch.nn's (reference), central differences, and properties.

Reference comparisons copy the state_dict of a torch.nn cell whose parameters come from the rng
fixture; float64 uses TORCH_FLOAT64 (the issue's 1e-9), float32 the dtype tables.
"""

import math

import pytest
import torch
from torch import nn

import course_lib.torch as ct
from course_lib.check import FD_EPS, FD_MAX_REL_ERROR, TORCH_FLOAT64, forward_tol, gradient_tol

# name -> (torch.nn class, ours, constructor keywords)
CELLS = {
    "rnn_tanh": (nn.RNNCell, ct.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, ct.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, ct.LSTMCell, {}),
    "gru": (nn.GRUCell, ct.GRUCell, {}),
}
SIZES = [(3, 4, 5), (1, 4, 5), (2, 5, 5), (4, 1, 2)]  # (N, D, H): D != H, N = 1, D = H, D = 1


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread avoids oversubscribing the shared CPU cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tensor(rng, *shape, dtype=torch.float64, requires_grad=False):
    return torch.from_numpy(rng.standard_normal(shape)).to(dtype).requires_grad_(requires_grad)


def make_pair(name, rng, D, H, bias=True, dtype=torch.float64):
    """(torch.nn cell, our cell) with the same random parameters."""
    reference_cls, our_cls, kwargs = CELLS[name]
    reference = reference_cls(D, H, bias=bias, dtype=dtype, **kwargs)
    with torch.no_grad():
        for p in reference.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.7, 0.7, p.shape)))
    ours = our_cls(D, H, bias=bias, dtype=dtype, **kwargs)
    ours.load_state_dict(reference.state_dict())
    return reference, ours


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def forward_backward(cell, x, hx, upstream):
    """Outputs and the gradients of sum(upstream * outputs) for x, hx and every parameter."""
    x = x.detach().clone().requires_grad_()
    hx = None if hx is None else tuple(h.detach().clone().requires_grad_() for h in hx)
    outputs = as_tuple(cell(x, None if hx is None else (hx if len(hx) == 2 else hx[0])))
    loss = sum((u * out).sum() for u, out in zip(upstream, outputs, strict=True))
    inputs = [x, *(hx or ()), *cell.parameters()]
    return outputs, torch.autograd.grad(loss, inputs)


def assert_close(actual, expected, tol, stage):
    """Shape and dtype first, then values within tol; the message names the stage that failed."""
    assert actual.shape == expected.shape, f"{stage}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    assert actual.dtype == expected.dtype, f"{stage}: dtype {actual.dtype} != {expected.dtype}"
    torch.testing.assert_close(actual, expected, rtol=tol.rtol, atol=tol.atol, msg=lambda m: f"{stage}: {m}")


def assert_matches_torch(name, rng, N, D, H, bias=True, batched=True, with_hx=True, dtype=torch.float64):
    """Forward outputs and every gradient of our cell equal torch.nn's."""
    reference, ours = make_pair(name, rng, D, H, bias, dtype)
    lead = (N,) if batched else ()
    num_states = 2 if name == "lstm" else 1
    x = tensor(rng, *lead, D, dtype=dtype)
    hx = tuple(tensor(rng, *lead, H, dtype=dtype) for _ in range(num_states)) if with_hx else None
    upstream = [tensor(rng, *lead, H, dtype=dtype) for _ in range(num_states)]
    expected_out, expected_grads = forward_backward(reference, x, hx, upstream)
    actual_out, actual_grads = forward_backward(ours, x, hx, upstream)
    f_tol = TORCH_FLOAT64 if dtype == torch.float64 else forward_tol(dtype)
    g_tol = TORCH_FLOAT64 if dtype == torch.float64 else gradient_tol(dtype)
    for k, (a, e) in enumerate(zip(actual_out, expected_out, strict=True)):
        assert_close(a, e, f_tol, f"forward output {k}")
    names = ["input"] + [f"hx[{k}]" for k in range(len(hx or ()))] + [n for n, _ in ours.named_parameters()]
    for stage, a, e in zip(names, actual_grads, expected_grads, strict=True):
        assert_close(a, e, g_tol, f"gradient of {stage}")


# ---------------------------------------------------------------- reference: torch.nn


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("size", SIZES, ids=[f"N{n}_D{d}_H{h}" for n, d, h in SIZES])
@pytest.mark.parametrize("name", list(CELLS))
def test_cell_matches_torch_float64(name, size, bias, rng):
    assert_matches_torch(name, rng, *size, bias=bias)


@pytest.mark.parametrize("with_hx", [True, False], ids=["hx", "hx_none"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("name", list(CELLS))
def test_cell_matches_torch_batched_unbatched_and_default_hx(name, batched, with_hx, rng):
    assert_matches_torch(name, rng, 3, 4, 5, batched=batched, with_hx=with_hx)


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_matches_torch_float32(name, rng):
    assert_matches_torch(name, rng, 3, 4, 5, dtype=torch.float32)


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_parameters_have_torch_names_shapes_and_order(name, rng):
    reference, ours = make_pair(name, rng, 4, 5)
    expected = [(n, p.shape) for n, p in reference.named_parameters()]
    assert [(n, p.shape) for n, p in ours.named_parameters()] == expected
    reference.load_state_dict(ours.state_dict())  # and back the other way


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_init_draws_the_same_numbers_as_torch(name):
    """Same seed, same weights: U(-1/sqrt(H), 1/sqrt(H)) drawn in registration order."""
    reference_cls, our_cls, kwargs = CELLS[name]
    with torch.random.fork_rng():  # the global generator is restored afterwards
        torch.manual_seed(123)
        expected = reference_cls(4, 9, **kwargs).state_dict()
        torch.manual_seed(123)
        actual = our_cls(4, 9, **kwargs).state_dict()
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key
    assert all(v.abs().max() <= 1 / math.sqrt(9) for v in actual.values())


# ---------------------------------------------------------------- finite differences (float64)


def numeric_gradient(f, x):
    """Element-wise central differences of the scalar f() with respect to x (changed and restored)."""
    grad = torch.zeros_like(x)
    flat, grad_flat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + FD_EPS
        plus = f()
        flat[i] = old - FD_EPS
        minus = f()
        flat[i] = old
        grad_flat[i] = (plus - minus) / (2 * FD_EPS)
    return grad


def rel_error(a, b):
    """CS231n's max element-wise relative error."""
    return (a - b).abs().div((a.abs() + b.abs()).clamp(min=1e-8)).max().item()


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("name", list(CELLS))
def test_cell_gradients_match_central_differences(name, bias, rng):
    _, cell = make_pair(name, rng, 3, 4, bias)
    num_states = 2 if name == "lstm" else 1
    x = tensor(rng, 2, 3)
    hx = tuple(tensor(rng, 2, 4) for _ in range(num_states))
    upstream = [tensor(rng, 2, 4) for _ in range(num_states)]
    _, analytic = forward_backward(cell, x, hx, upstream)

    def loss():
        with torch.no_grad():
            outputs = as_tuple(cell(x, hx if num_states == 2 else hx[0]))
            return sum((u * out).sum() for u, out in zip(upstream, outputs, strict=True)).item()

    targets = [x, *hx, *(p.data for p in cell.parameters())]
    names = ["input"] + [f"hx[{k}]" for k in range(num_states)] + [n for n, _ in cell.named_parameters()]
    for stage, target, grad in zip(names, targets, analytic, strict=True):
        numeric = numeric_gradient(loss, target)
        error = rel_error(grad, numeric)
        assert error < FD_MAX_REL_ERROR, f"{stage}: rel error {error:.2e}\nanalytic {grad}\nnumeric {numeric}"


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_hx_none_equals_zeros(name, rng):
    _, cell = make_pair(name, rng, 4, 5)
    x = tensor(rng, 3, 4)
    zeros = torch.zeros(3, 5, dtype=torch.float64)
    for a, b in zip(as_tuple(cell(x)), as_tuple(cell(x, (zeros, zeros) if name == "lstm" else zeros)),
                    strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_batch_of_one_equals_unbatched(name, rng):
    _, cell = make_pair(name, rng, 4, 5)
    x, h = tensor(rng, 4), tensor(rng, 5)
    hx = (h, h) if name == "lstm" else h
    batch_hx = (h[None], h[None]) if name == "lstm" else h[None]
    for a, b in zip(as_tuple(cell(x, hx)), as_tuple(cell(x[None], batch_hx)), strict=True):
        assert a.shape == (5,)
        torch.testing.assert_close(a, b[0], rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_output_depends_on_input_and_state(name, rng):
    _, cell = make_pair(name, rng, 4, 5)
    x, h = tensor(rng, 2, 4), tensor(rng, 2, 5)
    hx = (h, h) if name == "lstm" else h
    base = as_tuple(cell(x, hx))[0]
    assert not torch.allclose(as_tuple(cell(x + 1, hx))[0], base)
    hx2 = (h + 1, h) if name == "lstm" else h + 1
    assert not torch.allclose(as_tuple(cell(x, hx2))[0], base)


# ---------------------------------------------------------------- errors


# torch.nn's own error cases for the cells (common_modules' module_error_inputs for RNNCell, GRUCell
# and LSTMCell, and test_nn's test_RNN_cell_no_broadcasting), messages as torch 2.x raises them.
# case -> (input shape, h shape, c shape for the LSTM or None for h's, exception, message) for D=10, H=20
CELL_ERRORS = {
    "input_size": ((3, 11), (3, 20), None, RuntimeError,
                   "input has inconsistent input_size: got 11 expected 10"),
    "input_size_unbatched": ((11,), None, None, RuntimeError,
                             "input has inconsistent input_size: got 11 expected 10"),
    "hidden_size": ((3, 10), (3, 21), None, RuntimeError,
                    "hidden0 has inconsistent hidden_size: got 21, expected 20"),
    "batch": ((3, 10), (5, 20), None, RuntimeError,
              "Input batch size 3 doesn't match hidden0 batch size 5"),
    "batch_of_one_hx": ((3, 10), (1, 20), None, RuntimeError,
                        "Input batch size 3 doesn't match hidden0 batch size 1"),
    "unbatched_input_batched_hx": ((10,), (3, 20), None, RuntimeError,
                                   "hidden0 has inconsistent hidden_size: got 3, expected 20"),
    "batched_input_unbatched_hx": ((3, 10), (20,), None, RuntimeError,
                                   "Input batch size 3 doesn't match hidden0 batch size 20"),
    "hx_4d": ((3, 10), (3, 1, 1, 20), None, ValueError,
              "{name}: Expected {hidden} to be 1D or 2D, got 4D instead"),
    "hx_3d": ((3, 10), (1, 3, 20), None, ValueError,
              "{name}: Expected {hidden} to be 1D or 2D, got 3D instead"),
    "input_3d": ((1, 3, 10), None, None, ValueError,
                 "{name}: Expected input to be 1D or 2D, got 3D instead"),
    "input_0d": ((), None, None, ValueError,
                 "{name}: Expected input to be 1D or 2D, got 0D instead"),
    "c_hidden_size": ((3, 10), (3, 20), (3, 21), RuntimeError,
                      "hidden1 has inconsistent hidden_size: got 21, expected 20"),
    "c_batch": ((3, 10), (3, 20), (5, 20), RuntimeError,
                "Input batch size 3 doesn't match hidden1 batch size 5"),
    "c_4d": ((3, 10), (3, 20), (3, 1, 1, 20), ValueError,
             "LSTMCell: Expected hx[1] to be 1D or 2D, got 4D instead"),
}


# the c_* cases are about the LSTM's cell state
CELL_ERROR_CASES = [(name, case) for name in CELLS for case in CELL_ERRORS
                    if name == "lstm" or CELL_ERRORS[case][2] is None]


def cell_error_case(name, case, rng):
    """(torch.nn cell, our cell, input, hx) for CELL_ERRORS[case]."""
    x_shape, h_shape, c_shape, _, _ = CELL_ERRORS[case]
    reference_cls, our_cls, kwargs = CELLS[name]
    x = tensor(rng, *x_shape, dtype=torch.float32)
    hx = None if h_shape is None else tensor(rng, *h_shape, dtype=torch.float32)
    if name == "lstm" and hx is not None:
        c = tensor(rng, *(c_shape or (3, 20)), dtype=torch.float32)
        hx = (hx, c) if c_shape is not None else (hx, hx)
    return reference_cls(10, 20, **kwargs), our_cls(10, 20, **kwargs), x, hx


@pytest.mark.parametrize("name, case", CELL_ERROR_CASES, ids=[f"{n}-{c}" for n, c in CELL_ERROR_CASES])
def test_cell_errors_have_torch_type_and_message(name, case, rng):
    """The exact exception type and message of torch.nn, checked against torch.nn itself."""
    reference, ours, x, hx = cell_error_case(name, case, rng)
    _, _, _, error, message = CELL_ERRORS[case]
    cell_name = type(reference).__name__
    message = message.format(name=cell_name, hidden="hx[0]" if name == "lstm" else "hidden")
    with pytest.raises(error) as expected:
        reference(x, hx)
    with pytest.raises(error) as actual:
        ours(x, hx)
    assert type(actual.value) is type(expected.value) is error
    assert str(expected.value) == message  # the table is torch's own wording
    assert str(actual.value) == message


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_errors_do_not_broadcast_hx(name, rng):
    """test_nn's test_RNN_cell_no_broadcasting: a bad h, c or input is a RuntimeError, never broadcast."""
    _, cell = make_pair(name, rng, 10, 20)
    x, good = tensor(rng, 3, 10), tensor(rng, 3, 20)
    for bad_x, bad in [(x, tensor(rng, 1, 20)), (x, tensor(rng, 3, 1)), (tensor(rng, 3, 1), good)]:
        for hx in [(bad, good), (good, bad)] if name == "lstm" else [bad]:
            with pytest.raises(RuntimeError):
                cell(bad_x, hx)


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_with_zero_hidden_size_builds_and_runs_like_torch(name, rng):
    """test_nn's test_RNN_cell_forward_zero_hidden_size: H = 0 gives empty parameters and (N, 0) states."""
    reference_cls, our_cls, kwargs = CELLS[name]
    cell = our_cls(10, 0, **kwargs)
    reference = reference_cls(10, 0, **kwargs)
    assert [(n, p.shape) for n, p in cell.named_parameters()] == [
        (n, p.shape) for n, p in reference.named_parameters()]
    x, h = torch.randn(3, 10), torch.randn(3, 0)
    out = as_tuple(cell(x, (h, h) if name == "lstm" else h))
    assert [o.shape for o in out] == [torch.Size([3, 0])] * len(out)
    assert [o.shape for o in as_tuple(cell(x[0]))] == [torch.Size([0])] * len(out)


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_rejects_3d_input(name, rng):
    _, cell = make_pair(name, rng, 5, 3)
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D"):
        cell(tensor(rng, 1, 2, 5))


def test_rnn_cell_rejects_unknown_nonlinearity():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        ct.RNNCell(3, 4, nonlinearity="sigmoid")


def test_cell_repr_matches_torch():
    assert repr(ct.RNNCell(3, 4, bias=False, nonlinearity="relu")) == repr(
        nn.RNNCell(3, 4, bias=False, nonlinearity="relu"))
    assert repr(ct.LSTMCell(3, 4)) == repr(nn.LSTMCell(3, 4))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", list(CELLS))
def test_cell_runs_on_cuda(name, rng):
    _, cell = make_pair(name, rng, 4, 5)
    out = as_tuple(cell.cuda()(tensor(rng, 2, 4).cuda()))
    assert all(o.device.type == "cuda" for o in out)

