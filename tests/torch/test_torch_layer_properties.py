"""course_lib.torch RNN, LSTM and GRU: a finite-difference VJP check and properties of sequences.

Padding (a packed batch equals each sequence alone), state flow, causality, h0 = None, a batch
of one, the reverse direction's start, dropout between layers, and CUDA when present. float64.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import course_lib.torch as ct
from course_lib.check import FD_EPS, FD_MAX_REL_ERROR, TORCH_FLOAT64

LAYERS = {"rnn": ct.RNN, "lstm": ct.LSTM, "gru": ct.GRU}
D, H, P = 3, 4, 2  # P: proj_size of the LSTM with projections


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread avoids oversubscribing the shared CPU cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tensor(rng, *shape):
    return torch.from_numpy(rng.standard_normal(shape))


def make_layer(name, rng, **kwargs):
    """A float64 layer with parameters drawn from rng."""
    layer = LAYERS[name](D, H, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.7, 0.7, p.shape)))
    return layer


def states(layer_output):
    """The final states of a layer's (output, h_n) or (output, (h_n, c_n)) as a tuple."""
    state = layer_output[1]
    return state if isinstance(state, tuple) else (state,)


def close(actual, expected, stage=""):
    torch.testing.assert_close(actual, expected, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol,
                               msg=lambda m: f"{stage}: {m}")


# ---------------------------------------------------------------- finite differences


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_vjp_matches_central_differences(name, bidirectional, rng):
    layer = make_layer(name, rng, num_layers=2, bidirectional=bidirectional)
    dirs = 2 if bidirectional else 1
    x = tensor(rng, 4, 2, D)
    hx = [tensor(rng, 2 * dirs, 2, H) for _ in range(2 if name == "lstm" else 1)]
    assert_vjp_matches_central_differences(layer, x, hx, rng)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_projected_lstm_vjp_matches_central_differences(bidirectional, rng):
    """LSTMP: h_0 has P units, c_0 H units; weight_hr's gradient is among the parameters'."""
    layer = make_layer("lstm", rng, num_layers=2, bidirectional=bidirectional, proj_size=P)
    dirs = 2 if bidirectional else 1
    x = tensor(rng, 4, 2, D)
    hx = [tensor(rng, 2 * dirs, 2, P), tensor(rng, 2 * dirs, 2, H)]
    assert_vjp_matches_central_differences(layer, x, hx, rng)


def assert_vjp_matches_central_differences(layer, x, hx, rng):
    """<u, J v> from autograd equals the central difference of <u, f> along a random direction v
    of (x, h0 (and c0), every parameter) together. x: (T, N, D); hx: [h_0] or [h_0, c_0]."""
    params = list(layer.parameters())
    leaves = [x, *hx, *params]
    directions = [tensor(rng, *leaf.shape) for leaf in leaves]

    def outputs():
        out = layer(x, tuple(hx) if len(hx) == 2 else hx[0])
        return (out[0], *states(out))

    upstream = [tensor(rng, *o.shape) for o in outputs()]

    def inner():
        return sum((u * o).sum() for u, o in zip(upstream, outputs(), strict=True))

    for leaf in [x, *hx]:
        leaf.requires_grad_()
    grads = torch.autograd.grad(inner(), leaves)
    analytic = sum((g * v).sum() for g, v in zip(grads, directions, strict=True)).item()
    with torch.no_grad():
        for leaf, v in zip(leaves, directions, strict=True):
            leaf += FD_EPS * v
        plus = inner().item()
        for leaf, v in zip(leaves, directions, strict=True):
            leaf -= 2 * FD_EPS * v
        minus = inner().item()
    numeric = (plus - minus) / (2 * FD_EPS)
    error = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-8)
    assert error < FD_MAX_REL_ERROR, f"analytic {analytic!r}, numeric {numeric!r}, rel error {error:.2e}"


# ---------------------------------------------------------------- padding and packing


def assert_packed_batch_equals_each_alone(name, lengths, rng, enforce_sorted, **kwargs):
    layer = make_layer(name, rng, num_layers=2, bidirectional=True, batch_first=True, **kwargs)
    x = tensor(rng, len(lengths), max(lengths), D)
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=enforce_sorted)
    batch_out = layer(packed)
    padded, _ = pad_packed_sequence(batch_out[0], batch_first=True, total_length=max(lengths))
    for n, length in enumerate(lengths):
        alone = layer(x[n : n + 1, :length])  # the sequence without its padding
        close(padded[n, :length], alone[0][0], f"output of sequence {n}")
        assert torch.all(padded[n, length:] == 0)
        for k, (batch_state, alone_state) in enumerate(zip(states(batch_out), states(alone), strict=True)):
            close(batch_state[:, n], alone_state[:, 0], f"final state {k} of sequence {n}")


@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_packed_batch_equals_each_sequence_alone(name, enforce_sorted, rng):
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 1, 6, 4]
    assert_packed_batch_equals_each_alone(name, lengths, rng, enforce_sorted)


@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
def test_projected_lstm_packed_batch_equals_each_sequence_alone(enforce_sorted, rng):
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 1, 6, 4]
    assert_packed_batch_equals_each_alone("lstm", lengths, rng, enforce_sorted, proj_size=P)


@pytest.mark.slow
@settings(deadline=None, max_examples=15)
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4), name=st.sampled_from(list(LAYERS)))
def test_packed_batch_equals_each_sequence_alone_for_any_lengths(lengths, name):
    rng = np.random.default_rng(len(lengths))  # hypothesis cannot take the function-scoped fixture
    assert_packed_batch_equals_each_alone(name, lengths, rng, enforce_sorted=False)


@pytest.mark.parametrize("name", list(LAYERS))
def test_reverse_direction_starts_at_each_sequences_own_last_element(name, rng):
    """With packing, the reverse direction's first step is x[length - 1] from h0, not padding."""
    layer = make_layer(name, rng, bidirectional=True)
    x = tensor(rng, 5, 2, D)
    out, _ = layer(pack_padded_sequence(x, torch.tensor([5, 2])))
    padded, _ = pad_packed_sequence(out)
    reverse_cell_output = layer(x[1:2, 1:2])[0][0, 0, H:]  # reverse direction on x[1] alone
    close(padded[1, 1, H:], reverse_cell_output, "reverse output at the last element")


# ---------------------------------------------------------------- state flow and causality


@pytest.mark.parametrize("name", list(LAYERS))
def test_first_input_reaches_last_state(name, rng):
    layer = make_layer(name, rng, num_layers=2)
    x = tensor(rng, 6, 2, D)
    x2 = x.clone()
    x2[0] += 1.0
    assert not torch.allclose(states(layer(x))[0][-1], states(layer(x2))[0][-1])


@pytest.mark.parametrize("name", list(LAYERS))
def test_forward_direction_is_causal(name, rng):
    """Changing x[t] leaves the outputs before t unchanged and changes the output at t."""
    layer = make_layer(name, rng, num_layers=2, batch_first=True)
    x = tensor(rng, 2, 6, D)
    x2 = x.clone()
    x2[:, 3] += 1.0
    out, out2 = layer(x)[0], layer(x2)[0]
    assert torch.equal(out[:, :3], out2[:, :3])
    assert not torch.allclose(out[:, 3], out2[:, 3])


@pytest.mark.parametrize("name", list(LAYERS))
def test_h0_none_equals_zeros(name, rng):
    layer = make_layer(name, rng, num_layers=2, bidirectional=True)
    x = tensor(rng, 5, 3, D)
    zeros = torch.zeros(4, 3, H, dtype=torch.float64)
    with_zeros = layer(x, (zeros, zeros) if name == "lstm" else zeros)
    without = layer(x)
    assert torch.equal(with_zeros[0], without[0])
    for a, b in zip(states(with_zeros), states(without), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("batch_first", [False, True], ids=["tm", "bf"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_batch_of_one_equals_unbatched(name, batch_first, rng):
    layer = make_layer(name, rng, num_layers=2, bidirectional=True, batch_first=batch_first)
    x, h = tensor(rng, 5, D), tensor(rng, 4, H)
    unbatched = layer(x, (h, h) if name == "lstm" else h)
    batch_dim = 0 if batch_first else 1
    batched = layer(x.unsqueeze(batch_dim), (h[:, None], h[:, None]) if name == "lstm" else h[:, None])
    assert unbatched[0].shape == (5, 2 * H)
    close(unbatched[0], batched[0].squeeze(batch_dim), "output")
    for a, b in zip(states(unbatched), states(batched), strict=True):
        assert a.shape == (4, H)
        close(a, b[:, 0], "final state")


def test_projected_lstm_h0_none_is_zeros_and_a_batch_of_one_is_unbatched(rng):
    """h_0 (L*dirs, N, P) and c_0 (L*dirs, N, H): zeros by default; unbatched drops N."""
    layer = make_layer("lstm", rng, num_layers=2, bidirectional=True, proj_size=P)
    x = tensor(rng, 5, 3, D)
    zeros = (torch.zeros(4, 3, P, dtype=torch.float64), torch.zeros(4, 3, H, dtype=torch.float64))
    for a, b in zip([layer(x)[0], *states(layer(x))], [layer(x, zeros)[0], *states(layer(x, zeros))],
                    strict=True):
        assert torch.equal(a, b)
    h, c = tensor(rng, 4, P), tensor(rng, 4, H)
    unbatched = layer(x[:, 0], (h, c))
    batched = layer(x[:, :1], (h[:, None], c[:, None]))
    assert unbatched[0].shape == (5, 2 * P)
    close(unbatched[0], batched[0][:, 0], "output")
    for a, b, size in zip(states(unbatched), states(batched), [P, H], strict=True):
        assert a.shape == (4, size)
        close(a, b[:, 0], "final state")


# ---------------------------------------------------------------- dropout


@pytest.mark.parametrize("name", list(LAYERS))
def test_dropout_is_off_in_eval_mode(name, rng):
    layer = make_layer(name, rng, num_layers=2, dropout=0.5).eval()
    x = tensor(rng, 5, 3, D)
    assert torch.equal(layer(x)[0], layer(x)[0])
    layer.dropout = 0.0
    assert torch.equal(layer(x)[0], layer.train()(x)[0])  # train mode without dropout: same numbers


@pytest.mark.parametrize("name", list(LAYERS))
def test_dropout_applies_between_layers_only(name, rng):
    """Training mode: layer 0's final state is untouched, layer 1 sees a dropped input; a single
    layer has nothing to drop (no dropout after the last layer)."""
    layer = make_layer(name, rng, num_layers=2, dropout=0.5)
    x = tensor(rng, 5, 3, D)
    eval_out = layer.eval()(x)
    train_out = layer.train()(x)
    close(states(train_out)[0][0], states(eval_out)[0][0], "layer 0 final state")
    assert not torch.allclose(train_out[0], eval_out[0])
    with pytest.warns(UserWarning):
        single = make_layer(name, rng, dropout=0.5)
    assert torch.equal(single.train()(x)[0], single.eval()(x)[0])


@pytest.mark.parametrize("name", list(LAYERS))
def test_training_dropout_draws_the_same_mask_as_torch(name, rng):
    """With the same seed, training-mode dropout drops the same elements as torch.nn."""
    ours = make_layer(name, rng, num_layers=3, dropout=0.4, bidirectional=True)
    reference = getattr(nn, name.upper())(D, H, 3, dropout=0.4, bidirectional=True, dtype=torch.float64)
    reference.load_state_dict(ours.state_dict())
    x = tensor(rng, 5, 2, D)
    with torch.random.fork_rng():  # the global generator is restored afterwards
        torch.manual_seed(0)
        expected = reference(x)[0]
        torch.manual_seed(0)
        actual = ours(x)[0]
    close(actual, expected, "training-mode output")


# ---------------------------------------------------------------- devices


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_runs_on_cuda_like_on_cpu(name, rng):
    layer = make_layer(name, rng, num_layers=2, bidirectional=True)
    x = tensor(rng, 5, 3, D)
    lengths = torch.tensor([5, 2, 4])
    expected = layer(pack_padded_sequence(x, lengths, enforce_sorted=False))
    actual = layer.cuda()(pack_padded_sequence(x.cuda(), lengths, enforce_sorted=False))
    close(actual[0].data.cpu(), expected[0].data, "output")
    for a, b in zip(states(actual), states(expected), strict=True):
        assert a.device.type == "cuda"
        close(a.cpu(), b, "final state")
