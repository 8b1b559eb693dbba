"""Softmax cross-entropy over time with a padding mask, and squared error, against torch."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from np_reference import approx, assert_close

import course_lib.numpy as cnp
from course_lib.check import FD_MAX_REL_ERROR, forward_tol, gradient_tol, numerical_gradient, rel_error

F64 = np.dtype(np.float64)
PAD = -100  # torch's default ignore_index; any value works at masked positions


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def torch_cross_entropy(logits, y, mask, reduction):
    """F.cross_entropy with ignore_index at masked positions: (loss, dlogits)."""
    logits_t = torch.tensor(logits, requires_grad=True)
    V = logits.shape[-1]
    target = torch.from_numpy(np.where(mask, y, PAD)).reshape(-1)
    loss = F.cross_entropy(logits_t.reshape(-1, V), target, ignore_index=PAD, reduction=reduction)
    loss.backward()
    return loss.item(), logits_t.grad.numpy()


def make_batch(rng, lengths=(3, 5, 2), T=5, V=6, dtype=np.float64):
    """Logits (N, T, V), targets padded with PAD after each sequence's length, and the mask."""
    N = len(lengths)
    logits = (3 * rng.standard_normal((N, T, V))).astype(dtype)
    mask = np.arange(T) < np.array(lengths)[:, None]  # (N, T)
    return logits, np.where(mask, rng.integers(0, V, (N, T)), PAD), mask


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", [np.dtype(np.float64), np.dtype(np.float32)], ids=["float64", "float32"])
def test_cross_entropy_matches_torch(dtype, reduction, rng):
    logits, y, mask = make_batch(rng, dtype=dtype)
    loss, dlogits = cnp.softmax_cross_entropy(logits, y, mask, reduction)
    ref_loss, ref_dlogits = torch_cross_entropy(logits, y, mask, reduction)
    assert loss == approx(ref_loss, dtype)
    assert_close(dlogits, ref_dlogits, gradient_tol(dtype), "dlogits")


def test_cross_entropy_of_one_prediction_per_example(rng):
    logits, y = rng.standard_normal((4, 7)), rng.integers(0, 7, 4)
    loss, dlogits = cnp.softmax_cross_entropy(logits, y)
    ref_loss, ref_dlogits = torch_cross_entropy(logits, y, np.ones(4, bool), "mean")
    assert loss == approx(ref_loss)
    assert_close(dlogits, ref_dlogits, gradient_tol(F64), "dlogits")


def test_cross_entropy_gradient_matches_finite_differences(rng):
    logits, y, mask = make_batch(rng, lengths=(3, 1), T=3, V=4)
    _, dlogits = cnp.softmax_cross_entropy(logits, y, mask)
    numeric = numerical_gradient(lambda a: cnp.softmax_cross_entropy(a, y, mask)[0], logits)
    assert rel_error(dlogits, numeric) < FD_MAX_REL_ERROR


def test_padded_batch_equals_each_sequence_alone(rng):
    """A padded, masked batch sums to each unpadded sequence's loss; padding gets no gradient."""
    logits, y, mask = make_batch(rng)
    total, dlogits = cnp.softmax_cross_entropy(logits, y, mask, "sum")
    lengths = mask.sum(axis=1)
    alone = sum(
        cnp.softmax_cross_entropy(logits[n, :length], y[n, :length], reduction="sum")[0]
        for n, length in enumerate(lengths)
    )
    assert total == approx(alone)
    assert np.all(dlogits[~mask] == 0)


def test_all_masked_batch_gives_zero_loss_and_gradient(rng):
    logits, y, _ = make_batch(rng)
    loss, dlogits = cnp.softmax_cross_entropy(logits, y, np.zeros(y.shape, bool))
    assert loss == 0.0 and not np.any(dlogits)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0]])
    loss, dlogits = cnp.softmax_cross_entropy(logits, np.array([0]))
    assert loss == 0.0 and np.all(np.isfinite(dlogits))


@settings(deadline=None, max_examples=30)
@given(shift=st.floats(-50, 50), seed=st.integers(0, 1000))
def test_softmax_rows_sum_to_one_and_ignore_a_shift(shift, seed):
    logits = np.random.default_rng(seed).standard_normal((3, 5))
    p = cnp.softmax(logits)
    assert_close(p.sum(axis=-1), np.ones(3), forward_tol(F64), "row sums")
    assert_close(cnp.softmax(logits + shift), p, forward_tol(F64), "shifted")


@pytest.mark.parametrize(
    "y, mask, message",
    [
        (np.zeros((3, 4), int), None, "y: expected (N, T) with N=3, T=5 from logits, got shape (3, 4)"),
        (np.zeros((3, 5), int), np.ones((3, 4)), "mask: expected (N, T) with N=3, T=5 from y, got shape"),
        (np.full((3, 5), 6), None, "y: expected ids in [0, V) with V=6 from logits, got values in [6, 6]"),
        (np.zeros((3, 5)), None, "y: expected integer token ids, got dtype float64"),
    ],
    ids=["y_wrong_T", "mask_wrong_T", "y_out_of_range", "y_float"],
)
def test_cross_entropy_rejects_bad_targets(y, mask, message, rng):
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.softmax_cross_entropy(rng.standard_normal((3, 5, 6)), y, mask)


def test_cross_entropy_rejects_unknown_reduction(rng):
    with pytest.raises(ValueError, match="reduction: expected one of"):
        cnp.softmax_cross_entropy(rng.standard_normal((2, 3)), np.zeros(2, int), reduction="none")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_matches_torch(reduction, rng):
    pred, target = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 2))
    loss, dpred = cnp.mse_loss(pred, target, reduction=reduction)
    pred_t = torch.tensor(pred, requires_grad=True)
    ref = F.mse_loss(pred_t, torch.from_numpy(target), reduction=reduction)
    ref.backward()
    assert loss == approx(ref.item())
    assert_close(dpred, pred_t.grad.numpy(), gradient_tol(F64), "dpred")


def test_masked_mse_averages_over_counted_values_only(rng):
    pred, target = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    loss, dpred = cnp.mse_loss(pred, target, mask)
    assert loss == approx(np.mean((pred - target)[mask] ** 2))
    assert np.all(dpred[~mask] == 0)
    numeric = numerical_gradient(lambda a: cnp.mse_loss(a, target, mask)[0], pred)
    assert rel_error(dpred, numeric) < FD_MAX_REL_ERROR


def test_mse_rejects_mismatched_shapes():
    message = "target: expected shape (2, 3) from pred, got shape (3, 2)"
    with pytest.raises(ValueError, match=re.escape(message)):
        cnp.mse_loss(np.zeros((2, 3)), np.zeros((3, 2)))


def test_losses_do_not_modify_their_inputs(rng):
    logits, y, mask = make_batch(rng)
    pred, target = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    before = [a.copy() for a in (logits, y, mask, pred, target)]
    cnp.softmax_cross_entropy(logits, y, mask)
    cnp.mse_loss(pred, target)
    for was, now in zip(before, (logits, y, mask, pred, target), strict=True):
        np.testing.assert_array_equal(now, was)
