"""The NumPy character RNN: torch reference, finite differences, state carrying, sampling, saving."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_lib.check import FD_MAX_REL_ERROR, check_vjp, gradient_tol, numerical_gradient, rel_error
from course_lib.numpy.char_rnn import (
    CHAR_RNN_KEYS,
    bits_per_char,
    char_rnn_forward,
    char_rnn_loss,
    init_char_rnn,
    load_char_rnn,
    one_hot,
    sample_char_rnn,
    save_char_rnn,
)

F64 = np.dtype(np.float64)
V, H = 7, 5


@pytest.fixture
def model(rng):
    return init_char_rnn(V, H, rng, dtype=np.float64)


def random_text(rng, N, T):
    ids = rng.integers(0, V, size=(N, T + 1))
    return ids[:, :-1], ids[:, 1:]


def torch_loss_and_grads(ids, targets, h0, params):
    """The same model in torch autograd: one-hot -> nn.functional RNN equations -> linear -> cross-entropy."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    x = torch.from_numpy(one_hot(ids, V, np.float64))  # (N, T, V)
    h = torch.zeros(ids.shape[0], H, dtype=torch.float64) if h0 is None else torch.from_numpy(h0)
    logits = []
    for t in range(ids.shape[1]):
        h = torch.tanh(x[:, t] @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"])
        logits.append(h @ p["weight_out"].T + p["bias_out"])
    loss = F.cross_entropy(torch.stack(logits, 1).reshape(-1, V), torch.from_numpy(targets).reshape(-1))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in p.items()}, h.detach().numpy()


@pytest.mark.parametrize("N,T", [(3, 6), (1, 1), (2, 9)], ids=["N3_T6", "N1_T1", "N2_T9"])
def test_loss_and_gradients_match_torch_autograd(model, rng, N, T):
    ids, targets = random_text(rng, N, T)
    h0 = rng.standard_normal((N, H))
    loss, grads, h_last = char_rnn_loss(ids, targets, h0, model)
    ref_loss, ref_grads, ref_h = torch_loss_and_grads(ids, targets, h0, model)
    tol = gradient_tol(F64)
    assert loss == pytest.approx(ref_loss, rel=tol.rtol, abs=tol.atol)
    np.testing.assert_allclose(h_last, ref_h, rtol=tol.rtol, atol=tol.atol, err_msg="h_last")
    assert sorted(grads) == sorted(CHAR_RNN_KEYS)
    for key in CHAR_RNN_KEYS:
        np.testing.assert_allclose(grads[key], ref_grads[key], rtol=tol.rtol, atol=tol.atol, err_msg=key)


@pytest.mark.parametrize("key", CHAR_RNN_KEYS)
def test_gradients_match_finite_differences(model, rng, key):
    ids, targets = random_text(rng, 2, 4)
    _, grads, _ = char_rnn_loss(ids, targets, None, model)

    def loss_at(value):
        return char_rnn_loss(ids, targets, None, {**model, key: value})[0]

    numeric = numerical_gradient(loss_at, model[key])
    error = rel_error(grads[key], numeric)
    assert error < FD_MAX_REL_ERROR, f"d{key}: analytic {grads[key]} numeric {numeric}"


def test_long_sequence_vjp(model, rng):
    ids, targets = random_text(rng, 2, 60)
    _, grads, _ = char_rnn_loss(ids, targets, None, model)
    check = check_vjp(
        lambda w: char_rnn_loss(ids, targets, None, {**model, "weight_hh": w})[0],
        model["weight_hh"],
        lambda u: u * grads["weight_hh"],
        rng,
    )
    assert check.rel_error < FD_MAX_REL_ERROR, check


def test_carrying_the_state_equals_one_pass(model, rng):
    ids, _ = random_text(rng, 3, 10)
    whole, h_whole = char_rnn_forward(ids, None, model)
    first, h = char_rnn_forward(ids[:, :4], None, model)
    second, h = char_rnn_forward(ids[:, 4:], h, model)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, h_whole, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32(rng):
    params = init_char_rnn(V, H, rng)
    ids, targets = random_text(rng, 2, 3)
    loss, grads, h = char_rnn_loss(ids, targets, None, params)
    assert all(params[k].dtype == np.float32 for k in CHAR_RNN_KEYS)
    assert all(grads[k].dtype == np.float32 for k in CHAR_RNN_KEYS) and h.dtype == np.float32


def test_bits_per_char_is_the_mean_loss_in_bits_for_any_chunk(model, rng):
    ids = rng.integers(0, V, size=50)
    loss, _, _ = char_rnn_loss(ids[None, :-1], ids[None, 1:], None, model)
    for chunk in (1, 7, 49, 100):
        assert bits_per_char(ids, model, chunk=chunk) == pytest.approx(loss / np.log(2), rel=1e-10)


def test_zero_weights_give_log2_v_bits(model, rng):
    zeros = {k: np.zeros_like(v) for k, v in model.items()}
    assert bits_per_char(rng.integers(0, V, size=20), zeros) == pytest.approx(np.log2(V))


def test_bits_per_char_rejects_short_text(model):
    with pytest.raises(ValueError, match="L >= 2"):
        bits_per_char(np.array([1]), model)


def test_sampling_is_reproducible_and_keeps_the_prompt(model):
    a = sample_char_rnn(model, [1, 2], 30, np.random.default_rng(5))
    b = sample_char_rnn(model, [1, 2], 30, np.random.default_rng(5))
    assert a == b and a[:2] == [1, 2] and len(a) == 32 and all(0 <= i < V for i in a)


def test_sampling_at_low_temperature_is_greedy(model, rng):
    ids = sample_char_rnn(model, [3], 10, rng, temperature=1e-6)
    logits, _ = char_rnn_forward(np.array([ids[:-1]]), None, model)
    assert ids[1:] == logits[0].argmax(axis=-1).tolist()


def test_sampling_rejects_bad_arguments(model, rng):
    with pytest.raises(ValueError, match="temperature"):
        sample_char_rnn(model, [1], 3, rng, temperature=0)
    with pytest.raises(ValueError, match="prompt_ids"):
        sample_char_rnn(model, [], 3, rng)


def test_save_and_load_round_trip_with_identical_bytes(tmp_path, rng):
    params = init_char_rnn(V, H, rng)
    itos = list("ab \n€xy")
    save_char_rnn(tmp_path / "a.npz", params, itos)
    save_char_rnn(tmp_path / "b.npz", params, itos)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded, loaded_itos = load_char_rnn(tmp_path / "a.npz")
    assert loaded_itos == itos
    for key in CHAR_RNN_KEYS:
        assert loaded[key].dtype == params[key].dtype
        np.testing.assert_array_equal(loaded[key], params[key])


def test_save_rejects_an_alphabet_of_the_wrong_size(tmp_path, model):
    with pytest.raises(ValueError, match="itos"):
        save_char_rnn(tmp_path / "m.npz", model, "abc")
