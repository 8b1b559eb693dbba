"""Stream batches for truncated BPTT, and stateful next-token scoring of a torch language model."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.check import TORCH_FLOAT64
from course_lib.torch.models import LanguageModel, LMConfig
from course_lib.train import TBPTTStep, evaluate
from course_lib.train.language_model import bits_per_token, next_token_log_probs, stream_batches


def tiny_lm(V=7, cell="lstm", seed=0):
    torch.manual_seed(seed)
    return LanguageModel(LMConfig(V, embed_dim=5, hidden_size=6, cell=cell)).double()


def test_stream_batches_layout():
    batches = stream_batches(np.arange(23), n_streams=2, seq_len=4)  # S = 11 per stream: 2 chunks
    assert len(batches) == 2
    (x0, y0), (x1, y1) = batches
    assert x0.dtype == torch.int64 and x0.shape == (2, 4)
    assert x0.tolist() == [[0, 1, 2, 3], [11, 12, 13, 14]]
    assert y0.tolist() == [[1, 2, 3, 4], [12, 13, 14, 15]]
    assert x1.tolist() == [[4, 5, 6, 7], [15, 16, 17, 18]]  # row i continues row i


@settings(deadline=None, max_examples=60)
@given(L=st.integers(2, 80), N=st.integers(1, 6), T=st.integers(1, 12))
def test_stream_batches_properties(L, N, T):
    ids = np.random.default_rng(L).integers(0, 50, size=L)
    if (L - 1) // N < T:
        with pytest.raises(ValueError, match="seq_len"):
            stream_batches(ids, N, T)
        return
    batches = stream_batches(ids, N, T)
    S = (L - 1) // N
    assert len(batches) == S // T
    x = torch.cat([b[0] for b in batches], dim=1)  # (N, S // T * T) the streams, reassembled
    y = torch.cat([b[1] for b in batches], dim=1)
    for i in range(N):
        start = i * S
        assert x[i].tolist() == ids[start : start + x.shape[1]].tolist()
        assert y[i].tolist() == ids[start + 1 : start + 1 + x.shape[1]].tolist()


@pytest.mark.parametrize("kwargs, message", [({"n_streams": 0, "seq_len": 2}, "n_streams"),
                                             ({"n_streams": 2, "seq_len": 1.5}, "seq_len")])
def test_stream_batches_rejects_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stream_batches(np.arange(10), **kwargs)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_log_probs_do_not_depend_on_the_chunk_length(cell):
    model = tiny_lm(cell=cell)
    ids = torch.randint(0, 7, (40,), generator=torch.Generator().manual_seed(1))
    whole = next_token_log_probs(model, ids, chunk=1000)
    for chunk in (1, 3, 17):
        np.testing.assert_allclose(next_token_log_probs(model, ids, chunk=chunk), whole,
                                   rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)


def test_log_probs_are_the_models_one_pass_distributions():
    model = tiny_lm()
    ids = torch.randint(0, 7, (25,), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        logits, _ = model(ids[None, :-1])  # (1, 24, V)
    expected = torch.log_softmax(logits[0], dim=-1).numpy()
    got = next_token_log_probs(model, ids, chunk=5)
    assert got.shape == (24, 7) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)
    by_hand = -np.mean([got[t, ids[t + 1]] for t in range(24)]) / math.log(2)
    assert bits_per_token(model, ids, chunk=5) == pytest.approx(by_hand, rel=1e-12)


def test_uniform_model_scores_log2_V_and_mode_is_restored():
    model = tiny_lm()
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    model.train()
    assert bits_per_token(model, [1, 2, 3, 4]) == pytest.approx(math.log2(7))
    assert model.training


def test_batches_work_with_tbptt_step():
    ids = np.random.default_rng(0).integers(0, 7, size=200)
    batches = stream_batches(ids, n_streams=3, seq_len=8)
    stats = evaluate(tiny_lm(), batches, batch_step=TBPTTStep())
    assert math.isfinite(stats["loss"])


def test_scoring_rejects_short_text():
    with pytest.raises(ValueError, match="L >= 2"):
        bits_per_token(tiny_lm(), [3])
