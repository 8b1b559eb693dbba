"""course_lib.torch RNN, LSTM and GRU against torch.nn: forward, every gradient, parameters, errors.

Each case copies the state_dict of a torch.nn layer with parameters from the rng fixture and runs
both on the same input, in float64 at TORCH_FLOAT64 (the issue's 1e-9) unless stated otherwise.
"""

import itertools

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence
from torch.profiler import profile

import course_lib.torch as ct
from course_lib.check import TORCH_FLOAT64, forward_tol, gradient_tol

# name -> (torch.nn class, ours, constructor keywords)
LAYERS = {
    "rnn_tanh": (nn.RNN, ct.RNN, {}),
    "rnn_relu": (nn.RNN, ct.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, ct.LSTM, {}),
    "gru": (nn.GRU, ct.GRU, {}),
}
T, N, D, H = 5, 3, 4, 3  # D != H catches transposed weights
LENGTHS = {"sorted": [5, 3, 2], "unsorted": [2, 5, 3]}
# num_layers, bidirectional, batch_first, bias
CONFIGS = list(itertools.product([1, 2], [False, True], [False, True], [True, False]))
CONFIG_IDS = [f"L{L}-{'bi' if bi else 'uni'}-{'bf' if bf else 'tm'}-{'bias' if b else 'nobias'}"
              for L, bi, bf, b in CONFIGS]
INPUTS = ["padded", "packed_sorted", "packed_unsorted", "unbatched"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread avoids oversubscribing the shared CPU cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tensor(rng, *shape, dtype=torch.float64):
    return torch.from_numpy(rng.standard_normal(shape)).to(dtype)


def make_pair(name, rng, dtype=torch.float64, **kwargs):
    """(torch.nn layer, our layer) with the same random parameters."""
    reference_cls, our_cls, extra = LAYERS[name]
    reference = reference_cls(D, H, dtype=dtype, **extra, **kwargs)
    with torch.no_grad():
        for p in reference.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.7, 0.7, p.shape)))
    ours = our_cls(D, H, dtype=dtype, **extra, **kwargs)
    ours.load_state_dict(reference.state_dict())
    return reference, ours


def make_input(kind, batch_first, rng, dtype=torch.float64):
    """(x, lengths or None): x is (T, N, D), (N, T, D) if batch_first, or (T, D) if unbatched."""
    if kind == "unbatched":
        return tensor(rng, T, D, dtype=dtype), None
    shape = (N, T, D) if batch_first else (T, N, D)
    lengths = LENGTHS[kind.removeprefix("packed_")] if kind.startswith("packed") else None
    return tensor(rng, *shape, dtype=dtype), lengths


def forward_backward(layer, x, lengths, hx, rng_seed):
    """Outputs (output or packed data, h_n[, c_n]) and gradients of a random linear loss with respect
    to x, hx and every parameter. rng_seed fixes the upstream gradients so both layers get the same."""
    x = x.detach().clone().requires_grad_()
    hx = None if hx is None else tuple(h.detach().clone().requires_grad_() for h in hx)
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=layer.batch_first,
                                   enforce_sorted=lengths == sorted(lengths, reverse=True))
    out, state = layer(inp, None if hx is None else (hx if len(hx) == 2 else hx[0]))
    if lengths is not None:
        assert isinstance(out, PackedSequence)
        out = out.data
    outputs = (out, *(state if isinstance(state, tuple) else (state,)))
    generator = torch.Generator().manual_seed(rng_seed)
    loss = sum((torch.randn(o.shape, generator=generator, dtype=o.dtype) * o).sum() for o in outputs)
    return outputs, torch.autograd.grad(loss, [x, *(hx or ()), *layer.parameters()])


def assert_close(actual, expected, tol, stage):
    """Shape and dtype first, then values within tol; the message names the stage that failed."""
    assert actual.shape == expected.shape, f"{stage}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    assert actual.dtype == expected.dtype, f"{stage}: dtype {actual.dtype} != {expected.dtype}"
    torch.testing.assert_close(actual, expected, rtol=tol.rtol, atol=tol.atol, msg=lambda m: f"{stage}: {m}")


def assert_matches_torch(name, rng, kind="padded", with_hx=True, dtype=torch.float64, **kwargs):
    reference, ours = make_pair(name, rng, dtype, **kwargs)
    x, lengths = make_input(kind, ours.batch_first, rng, dtype)
    layers_dirs = ours.num_layers * (2 if ours.bidirectional else 1)
    lead = (layers_dirs,) if kind == "unbatched" else (layers_dirs, N)
    sizes = [kwargs.get("proj_size") or H, H] if name == "lstm" else [H]  # h has P units under a projection
    hx = tuple(tensor(rng, *lead, size, dtype=dtype) for size in sizes)
    hx = hx if with_hx else None
    expected_out, expected_grads = forward_backward(reference, x, lengths, hx, rng_seed=1)
    actual_out, actual_grads = forward_backward(ours, x, lengths, hx, rng_seed=1)
    f_tol = TORCH_FLOAT64 if dtype == torch.float64 else forward_tol(dtype)
    g_tol = TORCH_FLOAT64 if dtype == torch.float64 else gradient_tol(dtype)
    for stage, a, e in zip(["output", "h_n", "c_n"], actual_out, expected_out, strict=False):
        assert_close(a, e, f_tol, f"forward {stage}")
    names = ["input"] + [f"hx[{k}]" for k in range(len(hx or ()))] + [n for n, _ in ours.named_parameters()]
    for stage, a, e in zip(names, actual_grads, expected_grads, strict=True):
        assert_close(a, e, g_tol, f"gradient of {stage}")


# ---------------------------------------------------------------- reference: torch.nn


@pytest.mark.parametrize("with_hx", [True, False], ids=["hx", "hx_none"])
@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_torch_float64(name, config, kind, with_hx, rng):
    num_layers, bidirectional, batch_first, bias = config
    assert_matches_torch(name, rng, kind, with_hx, num_layers=num_layers, bidirectional=bidirectional,
                         batch_first=batch_first, bias=bias)


@pytest.mark.parametrize("kind", ["padded", "packed_unsorted"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_matches_torch_float32(name, kind, rng):
    """torch.nn's float32 LSTM runs oneDNN's fused kernel: equal only to the float32 tolerances."""
    assert_matches_torch(name, rng, kind, dtype=torch.float32, num_layers=2, bidirectional=True)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("with_hx", [True, False], ids=["hx", "hx_none"])
@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_lstm_with_projection_matches_torch_float64(config, kind, with_hx, rng):
    """proj_size P = 2 < H = 3 < D = 4 (LSTMP): output, h_n (P units), c_n (H units), every gradient."""
    num_layers, bidirectional, batch_first, bias = config
    assert_matches_torch("lstm", rng, kind, with_hx, proj_size=2, num_layers=num_layers,
                         bidirectional=bidirectional, batch_first=batch_first, bias=bias)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("kind", ["padded", "packed_unsorted"])
def test_lstm_with_projection_matches_torch_float32(kind, rng):
    assert_matches_torch("lstm", rng, kind, dtype=torch.float32, proj_size=2, num_layers=2,
                         bidirectional=True)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_lstm_proj_size_zero_is_the_plain_lstm(config, rng):
    """proj_size=0, torch.nn's default, passed explicitly as in its module tests: a plain LSTM."""
    kwargs = dict(zip(["num_layers", "bidirectional", "batch_first", "bias"], config, strict=True))
    _, plain = make_pair("lstm", rng, **kwargs)
    zero = ct.LSTM(D, H, proj_size=0, dtype=torch.float64, **kwargs)
    zero.load_state_dict(plain.state_dict())
    assert zero.proj_size == 0 and repr(zero) == repr(plain)
    assert list(dict(zero.named_parameters())) == list(dict(plain.named_parameters()))
    assert_matches_torch("lstm", rng, "packed_unsorted", proj_size=0, **kwargs)


@pytest.mark.parametrize("name", list(LAYERS))
def test_packed_output_keeps_torch_batch_sizes_and_indices(name, rng):
    reference, ours = make_pair(name, rng)
    x, lengths = make_input("packed_unsorted", False, rng)
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    expected, actual = reference(packed)[0], ours(packed)[0]
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        assert torch.equal(getattr(actual, field), getattr(expected, field)), field


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_single_step_and_single_sequence_match_torch(name, rng):
    """T = 1 and N = 1, the edges where a time or batch index is easily dropped."""
    for shape in [(1, N, D), (T, 1, D)]:
        reference, ours = make_pair(name, rng, num_layers=2, bidirectional=True)
        x = tensor(rng, *shape)
        for a, e in zip(ours(x), reference(x), strict=True):
            for a_k, e_k in zip(a if isinstance(a, tuple) else (a,), e if isinstance(e, tuple) else (e,),
                                strict=True):
                assert_close(a_k, e_k, TORCH_FLOAT64, f"forward, input {shape}")


@pytest.mark.slow  # the profiler takes a few seconds to start
def test_no_call_into_torch_recurrent_kernels(rng):
    """The profiler records every aten op, composite ones included: none may be a recurrent kernel."""
    kernels = ("lstm", "gru", "rnn_tanh", "rnn_relu", "mkldnn_rnn", "cudnn_rnn")
    x, lengths = make_input("packed_unsorted", False, rng)
    x.requires_grad_()
    modules = [make_pair(name, rng, num_layers=2, bidirectional=True)[1] for name in LAYERS]
    with profile() as prof:
        for layer in modules:
            packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
            layer(packed)[0].data.sum().backward()
        for cls in (ct.RNNCell, ct.LSTMCell, ct.GRUCell):
            out = cls(D, H, dtype=torch.float64)(x[0])
            (out[0] if isinstance(out, tuple) else out).sum().backward()
    called = {event.name for event in prof.events()}
    assert "aten::mm" in called or "aten::addmm" in called  # the profiler did record our ops
    assert not [name for name in called if any(k in name for k in kernels)]


# ---------------------------------------------------------------- parameters and init


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_parameters_have_torch_names_shapes_and_order(name, config, rng):
    num_layers, bidirectional, batch_first, bias = config
    reference, ours = make_pair(name, rng, num_layers=num_layers, bidirectional=bidirectional,
                                batch_first=batch_first, bias=bias)
    expected = [(n, p.shape) for n, p in reference.named_parameters()]
    assert [(n, p.shape) for n, p in ours.named_parameters()] == expected
    reference.load_state_dict(ours.state_dict())  # and back the other way
    assert [[p.shape for p in ws] for ws in ours.all_weights] == [
        [p.shape for p in ws] for ws in reference.all_weights]


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_lstm_projection_parameters_have_torch_names_shapes_and_order(config, rng):
    """weight_hr_l{k}[_reverse] (P, H) after the biases; weight_hh (4H, P); layer 1 reads dirs*P inputs."""
    num_layers, bidirectional, batch_first, bias = config
    reference, ours = make_pair("lstm", rng, proj_size=2, num_layers=num_layers, bidirectional=bidirectional,
                                batch_first=batch_first, bias=bias)
    expected = [(n, p.shape) for n, p in reference.named_parameters()]
    assert [(n, p.shape) for n, p in ours.named_parameters()] == expected
    assert ours.weight_hr_l0.shape == (2, H) and ours.weight_hh_l0.shape == (4 * H, 2)
    assert ours._flat_weights_names == reference._flat_weights_names
    reference.load_state_dict(ours.state_dict())


def test_flat_weights_follow_torch_and_weight_norm(rng):
    """test_nn's test_rnn_weight_norm: _flat_weights lists the weights in torch.nn's order, and a
    weight under weight_norm is a plain tensor there until the reparametrisation is removed."""
    for proj_size, name, count in [(0, "weight_ih_l0", 4), (2, "weight_hr_l0", 5)]:
        reference, ours = make_pair("lstm", rng, proj_size=proj_size)
        assert [w.shape for w in ours._flat_weights] == [w.shape for w in reference._flat_weights]
        assert all(w is getattr(ours, n) for w, n in zip(ours._flat_weights, ours._flat_weights_names,
                                                          strict=True))
        for layer in (reference, ours):
            with pytest.warns(FutureWarning):  # torch.nn.utils.weight_norm is deprecated but still used
                layer = nn.utils.weight_norm(layer, name=name)
            assert sum(isinstance(w, nn.Parameter) for w in layer._flat_weights) == count - 1
            layer = nn.utils.remove_weight_norm(layer, name=name)
            assert sum(isinstance(w, nn.Parameter) for w in layer._flat_weights) == count


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_init_draws_the_same_numbers_as_torch(name):
    """Same seed, same weights: U(-1/sqrt(H), 1/sqrt(H)) drawn in registration order."""
    reference_cls, our_cls, extra = LAYERS[name]
    with torch.random.fork_rng():  # the global generator is restored afterwards
        torch.manual_seed(7)
        expected = reference_cls(D, 16, num_layers=2, bidirectional=True, **extra).state_dict()
        torch.manual_seed(7)
        actual = our_cls(D, 16, num_layers=2, bidirectional=True, **extra).state_dict()
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key
        assert value.abs().max() <= 1 / 16**0.5


@pytest.mark.parametrize("name", list(LAYERS) + ["lstm_proj"])
def test_layer_repr_and_attributes_match_torch(name, rng):
    kwargs = {"num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5, "bidirectional": True}
    if name == "lstm_proj":
        name, kwargs = "lstm", {**kwargs, "proj_size": 2}
    reference, ours = make_pair(name, rng, **kwargs)
    assert repr(ours) == repr(reference)
    for attribute in ["input_size", "hidden_size", *kwargs, "mode", "proj_size"]:
        assert getattr(ours, attribute) == getattr(reference, attribute), attribute


def test_layers_accept_torch_positional_arguments():
    """RNN takes nonlinearity as its fourth positional argument, like torch.nn.RNN."""
    layer = ct.RNN(4, 3, 2, "relu", False, True, 0.0, True)
    assert (layer.num_layers, layer.nonlinearity, layer.bias, layer.batch_first, layer.bidirectional) == (
        2, "relu", False, True, True)
    lstm = ct.LSTM(4, 3, 2, False, True, 0.0, True, 2)
    assert (lstm.num_layers, lstm.bias, lstm.batch_first, lstm.bidirectional, lstm.proj_size) == (
        2, False, True, True, 2)


def test_layer_device_and_dtype_arguments():
    layer = ct.GRU(4, 3, device="cpu", dtype=torch.float64)
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in layer.parameters())


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_wrong_input_size_raises_torch_error(name, rng):
    _, ours = make_pair(name, rng)
    message = f"input.size\\(-1\\) must be equal to input_size. Expected {D}, got 2"
    with pytest.raises(RuntimeError, match=message):
        ours(tensor(rng, T, N, 2))


@pytest.mark.parametrize("bad", ["hidden_size", "batch", "layers", "dims"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_wrong_hx_shape_raises_like_torch(name, bad, rng):
    """Same exception type and message as torch.nn for each kind of wrong hx."""
    reference, ours = make_pair(name, rng)
    shape = {"hidden_size": (1, N, H + 1), "batch": (1, N + 1, H), "layers": (2, N, H), "dims": (N, H)}[bad]
    h = tensor(rng, *shape)
    hx = (h, tensor(rng, 1, N, H)) if name == "lstm" else h
    x = tensor(rng, T, N, D)
    assert_same_error(reference, ours, x, hx, error=RuntimeError)


def assert_same_error(reference, ours, *args, error):
    """Both layers raise `error` with the same message for layer(*args); returns the message."""
    with pytest.raises(error) as expected:
        reference(*args)
    with pytest.raises(error) as actual:
        ours(*args)
    assert type(actual.value) is type(expected.value) is error
    assert str(actual.value) == str(expected.value)
    return str(actual.value)


# input shape, dtype, h shape (c has the same, or H units under a projection) -> torch.nn's exception
# and message: it checks hx dimensions, then the input dtype and size, then hx sizes, then T > 0.
ORDER_CASES = {
    "input_size_and_hx_dims": ((T, N, 2), torch.float64, (N, H), RuntimeError, "hx"),
    "dtype_and_hx_size": ((T, N, D), torch.float32, (1, N, H + 1), ValueError, "dtype"),
    "input_size_and_hx_size": ((T, N, 2), torch.float64, (1, N, H + 1), RuntimeError, "input.size(-1)"),
    "unbatched_with_3d_hx": ((T, D), torch.float64, (1, N, H), RuntimeError, "For unbatched 2-D input"),
    "zero_length_and_hx_size": ((0, N, D), torch.float64, (1, N + 1, H), RuntimeError, "Expected hidden"),
    "zero_length_with_good_hx": ((0, N, D), torch.float64, (1, N, H), RuntimeError, "sequence length"),
}


@pytest.mark.parametrize("case", list(ORDER_CASES))
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_checks_arguments_in_torch_order(name, case, rng):
    """When several things are wrong, the first error is torch.nn's (type and message)."""
    x_shape, dtype, h_shape, error, start = ORDER_CASES[case]
    reference, ours = make_pair(name, rng)
    h = tensor(rng, *h_shape)
    hx = (h, tensor(rng, *h_shape)) if name == "lstm" else h
    message = assert_same_error(reference, ours, tensor(rng, *x_shape, dtype=dtype), hx, error=error)
    assert start in message


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("bad", ["h_size", "c_size", "h_dims"])
def test_lstm_with_projection_checks_hx_like_torch(bad, rng):
    """h_0 must have P units and c_0 H units."""
    reference, ours = make_pair("lstm", rng, proj_size=2)
    h_shape, c_shape = {"h_size": ((1, N, H), (1, N, H)), "c_size": ((1, N, 2), (1, N, 2)),
                        "h_dims": ((N, 2), (1, N, H))}[bad]
    x = tensor(rng, T, N, D)
    message = assert_same_error(reference, ours, x, (tensor(rng, *h_shape), tensor(rng, *c_shape)),
                                error=RuntimeError)
    expected = {"h_size": "Expected hidden[0] size (1, 3, 2), got [1, 3, 3]",
                "c_size": "Expected hidden[1] size (1, 3, 3), got [1, 3, 2]",
                "h_dims": "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 3-D) tensors",
                }[bad]
    assert message == expected


# ---------------------------------------------------------------- zero-length and empty inputs


@pytest.mark.parametrize("layout", ["time_major", "batch_first", "unbatched"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_zero_length_sequence_raises_torch_error(name, bidirectional, layout):
    """test_nn's test_error_RNN_seq_len_zero, in every layout: T = 0 is torch.nn's RuntimeError."""
    reference_cls, our_cls, extra = LAYERS[name]
    kwargs = {"bidirectional": bidirectional, "batch_first": layout == "batch_first", **extra}
    x = torch.ones({"time_major": (0, 10, 5), "batch_first": (10, 0, 5), "unbatched": (0, 5)}[layout])
    message = assert_same_error(reference_cls(5, 6, **kwargs), our_cls(5, 6, **kwargs), x, error=RuntimeError)
    assert message == "Expected sequence length to be larger than 0 in RNN"


@pytest.mark.parametrize("name", list(LAYERS))
def test_empty_batch_runs_and_backpropagates_like_torch(name):
    """test_nn's test_RNN_input_size_zero: N = 0 gives empty outputs and states, and backward runs."""
    reference_cls, our_cls, extra = LAYERS[name]
    for cls in (reference_cls, our_cls):
        x = torch.zeros(5, 0, 3, requires_grad=True)
        out, state = cls(3, 4, bidirectional=True, **extra)(x)
        assert out.shape == (5, 0, 8)
        assert [s.shape for s in (state if isinstance(state, tuple) else (state,))] == [(2, 0, 4)] * (
            2 if name == "lstm" else 1)
        out.sum().backward()
        assert x.grad.shape == (5, 0, 3)


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_rejects_wrong_input_dims_and_dtype(name, rng):
    _, ours = make_pair(name, rng)
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        ours(tensor(rng, 1, T, N, D))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        ours(tensor(rng, T, N, D, dtype=torch.float32))


@pytest.mark.parametrize(
    "kwargs, error",
    [({"dropout": 1.5}, ValueError), ({"dropout": True}, ValueError), ({"hidden_size": 0}, ValueError),
     ({"num_layers": 0}, ValueError), ({"bias": 1}, TypeError), ({"input_size": 2.0}, TypeError)],
    ids=["dropout_range", "dropout_bool", "hidden_zero", "layers_zero", "bias_type", "input_size_type"],
)
def test_layer_constructor_rejects_what_torch_rejects(kwargs, error):
    args = {"input_size": D, "hidden_size": H, **kwargs}
    with pytest.raises(error):
        nn.LSTM(**args)
    with pytest.raises(error):
        ct.LSTM(**args)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [({"proj_size": -1}, ValueError, "proj_size should be a positive integer or zero to disable projections"),
     ({"proj_size": H}, ValueError, "proj_size has to be smaller than hidden_size"),
     ({"proj_size": H + 1}, ValueError, "proj_size has to be smaller than hidden_size"),
     ({"hidden_size": 0, "input_size": 2.0}, TypeError, "input_size should be of type int, got: float"),
     ({"input_size": 0, "hidden_size": 2.0}, ValueError, "input_size must be greater than zero")],
    ids=["proj_negative", "proj_equal_hidden", "proj_above_hidden", "type_before_value", "value_before_type"],
)
def test_lstm_constructor_messages_match_torch(kwargs, error, message):
    args = {"input_size": D, "hidden_size": H, **kwargs}
    for cls in (nn.LSTM, ct.LSTM):
        with pytest.raises(error) as raised:
            cls(**args)
        assert str(raised.value) == message


@pytest.mark.parametrize("proj_size", [0, 2])
@pytest.mark.parametrize("name", ["rnn_tanh", "rnn_relu", "gru"])
def test_rnn_and_gru_reject_proj_size_like_torch(name, proj_size):
    """Even proj_size=0: torch.nn.RNN and GRU raise for the keyword, whatever its value."""
    reference_cls, our_cls, extra = LAYERS[name]
    for cls in (reference_cls, our_cls):
        with pytest.raises(ValueError) as raised:
            cls(D, H, proj_size=proj_size, **extra)
        assert str(raised.value) == "proj_size argument is only supported for LSTM, not RNN or GRU"
    with pytest.raises(TypeError, match="unexpected keyword argument 'projection'"):
        our_cls(D, H, projection=2, **extra)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ct.GRU(D, H, dropout=0.3)


def test_rnn_rejects_unknown_nonlinearity():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        ct.RNN(D, H, nonlinearity="gelu")
