"""Seq2Seq: teacher forcing, greedy decoding, beam search (against greedy and exhaustive search)."""

import itertools

import pytest
import torch

from course_lib.check import TORCH_FLOAT64
from course_lib.torch.models import Seq2Seq, Seq2SeqConfig

CELLS = ["rnn", "lstm", "gru"]
PAD, BOS, EOS = 0, 1, 2
SRC_V, TGT_V = 9, 7


pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/torch/conftest.py


def close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)


def tiny_seq2seq(cell="gru", impl="scratch", tgt_vocab=TGT_V, seed=0) -> Seq2Seq:
    torch.manual_seed(seed)
    config = Seq2SeqConfig(SRC_V, tgt_vocab, embed_dim=5, hidden_size=6, cell=cell, impl=impl)
    return Seq2Seq(config).double()


def batch(N=3, S=5, T=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, SRC_V, (N, S), generator=g)
    tgt = torch.randint(3, TGT_V, (N, T), generator=g)
    tgt[:, 0] = BOS
    return src, tgt


@pytest.mark.parametrize("impl", ["scratch", "torch"])
@pytest.mark.parametrize("cell", CELLS)
def test_forward_shape(cell, impl):
    src, tgt = batch()
    assert tiny_seq2seq(cell, impl)(src, tgt).shape == (3, 5, TGT_V)


def test_full_teacher_forcing_equals_the_step_by_step_decoder():
    model = tiny_seq2seq("lstm")
    src, tgt = batch()
    hidden = model.encode(src)
    steps = []
    for t in range(tgt.shape[1] - 1):
        logits, hidden = model.decode(tgt[:, t : t + 1], hidden)
        steps.append(logits)
    close(model(src, tgt, teacher_forcing_ratio=1.0), torch.cat(steps, dim=1))


@pytest.mark.parametrize("cell", CELLS)
def test_ratio_0_feeds_back_the_previous_argmax(cell):
    model = tiny_seq2seq(cell)
    src, tgt = batch()
    free = model(src, tgt, teacher_forcing_ratio=0.0)  # (N, T-1, V)
    own = torch.cat([tgt[:, :1], free.argmax(dim=-1)], dim=1)  # bos, then its own predictions
    close(model(src, own, teacher_forcing_ratio=1.0), free)


def test_partial_teacher_forcing_is_reproducible_with_a_generator():
    model = tiny_seq2seq()
    src, tgt = batch(T=12)

    def run(seed):
        return model(src, tgt, teacher_forcing_ratio=0.5, generator=torch.Generator().manual_seed(seed))

    close(run(3), run(3))


def test_source_padding_does_not_change_the_encoding():
    model = tiny_seq2seq("lstm")
    src, _ = batch()
    lengths = torch.tensor([5, 2, 3])
    padded = src.clone()
    padded[torch.arange(5) >= lengths.unsqueeze(1)] = PAD
    h, c = model.encode(padded, lengths)
    for i in range(3):
        h_i, c_i = model.encode(src[i : i + 1, : lengths[i]])
        close(h[:, i : i + 1], h_i)
        close(c[:, i : i + 1], c_i)


@pytest.mark.parametrize("cell", CELLS)
def test_greedy_output_is_well_formed_and_scored_by_the_model(cell):
    model = tiny_seq2seq(cell)
    src, _ = batch(N=4)
    out = model.greedy_decode(src, max_len=6)
    N, L = out.tokens.shape
    assert N == 4 and L <= 6
    for tokens, length in zip(out.tokens, out.lengths, strict=True):
        body = tokens[:length]
        assert not torch.isin(body, torch.tensor([PAD, BOS])).any()
        assert (tokens[length:] == PAD).all()
        assert (body[:-1] != EOS).all() and (body[-1] == EOS or length == 6)
    tgt = torch.cat([torch.full((4, 1), BOS), out.tokens], dim=1)
    close(out.log_prob, model.sequence_log_prob(src, tgt))


@pytest.mark.parametrize("cell", CELLS)
def test_beam_size_1_equals_greedy(cell):
    model = tiny_seq2seq(cell)
    src, _ = batch(N=5)
    lengths = torch.tensor([5, 3, 4, 1, 2])
    greedy = model.greedy_decode(src, lengths, max_len=7)
    beam = model.beam_search(src, lengths, beam_size=1, max_len=7)
    assert torch.equal(beam.tokens, greedy.tokens)
    assert torch.equal(beam.lengths, greedy.lengths)
    close(beam.log_prob, greedy.log_prob)


@pytest.mark.parametrize("cell", CELLS)
def test_beam_log_prob_is_the_model_score_of_its_output_and_beats_greedy(cell):
    model = tiny_seq2seq(cell, seed=1)
    src, _ = batch(N=6, seed=1)
    greedy = model.greedy_decode(src, max_len=6)
    beam = model.beam_search(src, beam_size=4, max_len=6)
    tgt = torch.cat([torch.full((6, 1), BOS), beam.tokens], dim=1)
    close(beam.log_prob, model.sequence_log_prob(src, tgt))
    assert (beam.log_prob >= greedy.log_prob - TORCH_FLOAT64.atol).all()


def all_outputs(symbols, max_len):
    """Every output the decoder can emit: symbols then eos, or max_len symbols without eos."""
    for n in range(max_len):
        for body in itertools.product(symbols, repeat=n):
            yield [*body, EOS]
    yield from (list(body) for body in itertools.product(symbols, repeat=max_len))


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_a_beam_holding_every_hypothesis_is_exhaustive_search(length_penalty):
    max_len, tgt_vocab = 3, 5  # emit-able tokens: eos and the symbols 3, 4
    model = tiny_seq2seq("gru", tgt_vocab=tgt_vocab, seed=2)
    src, _ = batch(N=2, seed=2)
    outputs = list(all_outputs([3, 4], max_len))
    for i in range(2):
        src_i = src[i : i + 1].expand(len(outputs), -1)
        tgt = torch.full((len(outputs), max_len + 1), PAD)
        for j, out in enumerate(outputs):
            tgt[j, : len(out) + 1] = torch.tensor([BOS, *out])
        log_p = model.sequence_log_prob(src_i, tgt)  # (number of outputs,)
        lengths = torch.tensor([len(out) for out in outputs], dtype=torch.float64)
        best = int((log_p / lengths**length_penalty).argmax())
        beam = model.beam_search(src[i : i + 1], beam_size=3**max_len, max_len=max_len,
                                 length_penalty=length_penalty)
        assert beam.tokens[0, : beam.lengths[0]].tolist() == outputs[best]
        close(beam.log_prob[0], log_p[best])
        if length_penalty == 0:
            greedy = model.greedy_decode(src[i : i + 1], max_len=max_len)
            assert beam.log_prob[0] >= greedy.log_prob[0]


def test_beam_search_rejects_empty_beam():
    with pytest.raises(ValueError, match="beam_size"):
        tiny_seq2seq().beam_search(batch()[0], beam_size=0)
