"""Attention modules and the attention encoder–decoder: shapes, masks, autograd, scaled_dot_product_attention,
padding, errors; AttentionSeq2Seq reusing Seq2Seq's teacher forcing, greedy decoding and beam search."""

import re

import pytest
import torch
import torch.nn.functional as F

from course_lib.check import TORCH_FLOAT64
from course_lib.torch.attention import (
    AdditiveAttention,
    DotProductAttention,
    GeneralAttention,
    SelfAttention,
    make_attention,
    masked_softmax,
)
from course_lib.torch.models import Seq2Seq, Seq2SeqConfig
from course_lib.torch.models_attention import (
    AttentionSeq2Seq,
    AttentionSeq2SeqConfig,
    SelfAttentionClassifier,
    SelfAttentionClassifierConfig,
)

SCORES = ["dot", "general", "additive"]
CELLS = ["rnn", "lstm", "gru"]
PAD, BOS, EOS = 0, 1, 2
SRC_V, TGT_V = 9, 7

pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/torch/conftest.py


def close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)


def case(score, N=3, T=2, S=5, Dq=4, Dk=3, Dv=2, A=6, seed=0):
    """A float64 module and query, keys, values, mask (lengths S, 1, 3, ...)."""
    torch.manual_seed(seed)
    Dk = Dq if score == "dot" else Dk
    module = make_attention(score, Dq, Dk, A).double()
    q, k, v = torch.randn(N, T, Dq), torch.randn(N, S, Dk), torch.randn(N, S, Dv)
    lengths = torch.tensor([S, 1, 3, 2, 4][:N]).clamp(max=S)
    mask = torch.arange(S) < lengths.unsqueeze(1)  # (N, S)
    return module, q.double(), k.double(), v.double(), mask


@pytest.mark.parametrize("score", SCORES)
def test_shapes_weights_and_exact_zeros(score):
    module, q, k, v, mask = case(score)
    context, weights = module(q, k, v, mask)
    assert context.shape == (3, 2, 2) and weights.shape == (3, 2, 5)
    close(weights.sum(-1), torch.ones(3, 2, dtype=torch.float64))
    assert (weights[~mask.unsqueeze(1).expand(-1, 2, -1)] == 0).all()  # exactly zero, not small


@pytest.mark.parametrize("score", SCORES)
def test_a_2d_query_is_one_step(score):
    module, q, k, v, mask = case(score, T=1)
    context, weights = module(q[:, 0], k, v, mask)
    assert context.shape == (3, 2) and weights.shape == (3, 5)
    context3, weights3 = module(q, k, v, mask)
    close(context, context3[:, 0])
    close(weights, weights3[:, 0])


@pytest.mark.parametrize("score", SCORES)
def test_gradcheck_float64_with_a_mask(score):
    """Autograd of every input and parameter against finite differences, odd sizes, a ragged mask."""
    module, q, k, v, mask = case(score, N=3, T=3, S=5, Dq=5, Dk=3, Dv=3, A=7)
    names = [name for name, _ in module.named_parameters()]

    def f(q, k, v, *weights):
        return torch.func.functional_call(module, dict(zip(names, weights, strict=True)), (q, k, v, mask))[0]

    inputs = [t.detach().clone().requires_grad_(True) for t in (q, k, v, *module.parameters())]
    assert torch.autograd.gradcheck(f, inputs)


@pytest.mark.parametrize("mask_shape", ["NS", "NTS"])
@pytest.mark.parametrize("scale", [None, 1.0], ids=["scaled", "luong_dot"])
def test_dot_equals_scaled_dot_product_attention(scale, mask_shape):
    _, q, k, v, mask = case("dot", N=3, T=4, S=6, Dq=5, Dv=3)
    if mask_shape == "NTS":
        mask = torch.rand(3, 4, 6, generator=torch.Generator().manual_seed(0)) < 0.5
        mask[..., 1] = True
    context, _ = DotProductAttention(scale)(q, k, v, mask)
    sdpa_mask = mask.unsqueeze(1) if mask.dim() == 2 else mask  # (N, 1 or T, S)
    close(context, F.scaled_dot_product_attention(q, k, v, attn_mask=sdpa_mask, scale=scale))


def test_general_is_sdpa_of_the_projected_query():
    module, q, k, v, mask = case("general")
    context, _ = module(q, k, v, mask)
    projected = q @ module.weight  # (N, T, Dk): qᵀ W k = (q W) · k
    reference = F.scaled_dot_product_attention(projected, k, v, attn_mask=mask.unsqueeze(1), scale=1.0)
    close(context, reference)


def test_additive_score_by_hand():
    module, q, k, v, _ = case("additive", N=2, T=1, S=3)
    _, weights = module(q, k, v)
    Wq, Wk, w = module.weight_query, module.weight_key, module.weight_score
    e = torch.stack([w @ torch.tanh(Wq @ q[0, 0] + Wk @ k[0, s]) for s in range(3)])
    close(weights[0, 0], e.softmax(0))


@pytest.mark.parametrize("score", SCORES)
def test_padding_the_memory_changes_nothing(score):
    module, q, k, v, mask = case(score)
    context, weights = module(q, k, v, mask)
    pad = (0, 0, 0, 3)  # three more key positions, masked, holding large values
    k_p, v_p = F.pad(k, pad, value=1e3), F.pad(v, pad, value=-1e3)
    context_p, weights_p = module(q, k_p, v_p, F.pad(mask, (0, 3), value=False))
    close(context_p, context)
    close(weights_p[..., :5], weights)
    assert (weights_p[..., 5:] == 0).all()


@pytest.mark.parametrize("score", SCORES)
def test_each_row_equals_running_it_alone(score):
    module, q, k, v, mask = case(score)
    context, _ = module(q, k, v, mask)
    for n in range(3):
        S = int(mask[n].sum())
        close(module(q[n : n + 1], k[n : n + 1, :S], v[n : n + 1, :S])[0], context[n : n + 1])


def test_masked_softmax_matches_softmax_over_the_real_positions():
    scores = torch.randn(2, 1, 4, dtype=torch.float64)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    weights = masked_softmax(scores, mask)
    close(weights[0, 0, :2], scores[0, 0, :2].softmax(0))
    assert (weights[0, 0, 2:] == 0).all()
    close(weights[1], scores[1].softmax(-1))


def test_parameter_names_and_shapes():
    assert {k: tuple(v.shape) for k, v in AdditiveAttention(4, 3, 6).state_dict().items()} == {
        "weight_query": (6, 4), "weight_key": (6, 3), "weight_score": (6,)}
    assert {k: tuple(v.shape) for k, v in GeneralAttention(4, 3).state_dict().items()} == {"weight": (4, 3)}
    assert not list(DotProductAttention().parameters())


Q, K, V = torch.zeros(2, 3, 4), torch.zeros(2, 5, 4), torch.zeros(2, 5, 6)
BAD_CALLS = {
    "query_rank": (lambda: DotProductAttention()(torch.zeros(4), K, V),
                   "query: expected (N, Dq) or (N, T, Dq), got shape (4,)"),
    "query_size": (lambda: GeneralAttention(3, 4)(Q, K, V),
                   "query: expected last size Dq=3 (query_size), got shape (2, 3, 4)"),
    "keys_batch": (lambda: DotProductAttention()(Q, torch.zeros(3, 5, 4), V),
                   "keys: expected (N, S, Dk) with N=2 from query and Dk=Dk, got shape (3, 5, 4)"),
    "keys_size": (lambda: AdditiveAttention(4, 3, 5)(Q, K, V),
                  "keys: expected (N, S, Dk) with N=2 from query and Dk=3, got shape (2, 5, 4)"),
    "dot_sizes": (lambda: DotProductAttention()(Q, torch.zeros(2, 5, 3), V),
                  "keys: expected last size Dk=4 (= Dq, the query's) for a dot product, got shape (2, 5, 3)"),
    "values_length": (lambda: DotProductAttention()(Q, K, torch.zeros(2, 4, 6)),
                      "values: expected (N, S, Dv) with N=2, S=5 from keys, got shape (2, 4, 6)"),
    "dtype": (lambda: DotProductAttention()(Q, K.double(), V),
              "keys: expected dtype torch.float32 (the query's), got torch.float64"),
    "mask_dtype": (lambda: DotProductAttention()(Q, K, V, torch.ones(2, 5)),
                   "mask: expected dtype torch.bool (True at real positions), got torch.float32"),
    "mask_shape": (lambda: DotProductAttention()(Q, K, V, torch.ones(2, 4, dtype=torch.bool)),
                   "mask: expected (N, S) or (N, T, S) with N=2, T=3, S=5, got shape (2, 4)"),
    "mask_empty_row": (lambda: DotProductAttention()(Q, K, V, torch.arange(5) < torch.tensor([[3], [0]])),
                       "mask: every query needs at least one True position, got a row of all False"),
    "make_unknown": (lambda: make_attention("cosine", 4, 4),
                     "score must be one of ('dot', 'general', 'additive'), got 'cosine'"),
    "make_dot_sizes": (lambda: make_attention("dot", 4, 3),
                       "dot attention needs query_size == key_size, got 4 and 3"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_input_names_expected_and_received(name):
    call, message = BAD_CALLS[name]
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# The attention encoder–decoder.


def tiny(cell="gru", attention="additive", impl="scratch", seed=0, tgt_vocab=TGT_V) -> AttentionSeq2Seq:
    torch.manual_seed(seed)
    config = AttentionSeq2SeqConfig(SRC_V, tgt_vocab, embed_dim=5, hidden_size=6, cell=cell, impl=impl,
                                    attention=attention, attn_size=4)
    return AttentionSeq2Seq(config).double()


def batch(N=3, S=5, T=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, SRC_V, (N, S), generator=g)
    tgt = torch.randint(3, TGT_V, (N, T), generator=g)
    tgt[:, 0] = BOS
    return src, tgt


@pytest.mark.parametrize("attention", SCORES)
@pytest.mark.parametrize("cell", CELLS)
def test_model_shapes(cell, attention):
    model = tiny(cell, attention)
    src, tgt = batch()
    assert model(src, tgt).shape == (3, 5, TGT_V)
    assert model.attention_weights(src, tgt).shape == (3, 5, 5)


def test_parameter_count():
    model = tiny("gru", "additive")
    E, H, A, V = 5, 6, 4, TGT_V
    plain = Seq2Seq(Seq2SeqConfig(SRC_V, TGT_V, embed_dim=E, hidden_size=H))
    extra = 3 * H * H + V * H + (A * H + A * H + A)  # decoder input E+H, head input 2H, attention
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in plain.parameters()) + extra


@pytest.mark.parametrize("cell", CELLS)
def test_full_teacher_forcing_equals_the_step_by_step_decoder(cell):
    model = tiny(cell)
    src, tgt = batch()
    lengths = torch.tensor([5, 2, 3])
    state, steps = model.encode(src, lengths), []
    for t in range(tgt.shape[1] - 1):
        logits, state = model.decode(tgt[:, t : t + 1], state)
        steps.append(logits)
    close(model(src, tgt, lengths), torch.cat(steps, dim=1))


@pytest.mark.parametrize("cell", CELLS)
def test_source_padding_changes_nothing_and_gets_zero_weight(cell):
    model = tiny(cell, "general")
    src, tgt = batch()
    lengths = torch.tensor([5, 2, 3])
    padded = src.masked_fill(torch.arange(5) >= lengths.unsqueeze(1), PAD)
    logits = model(padded, tgt, lengths)
    weights = model.attention_weights(padded, tgt, lengths)
    source_position = torch.arange(5).expand(3, 5, 5)  # (N, T-1, S): the last axis indexes the source
    assert (weights[source_position >= lengths.view(3, 1, 1)] == 0).all()
    for i in range(3):
        close(logits[i : i + 1], model(src[i : i + 1, : lengths[i]], tgt[i : i + 1]))


def test_scratch_and_torch_layers_agree():
    scratch, reference = tiny("lstm", impl="scratch"), tiny("lstm", impl="torch")
    reference.load_state_dict(scratch.state_dict())
    src, tgt = batch()
    close(scratch(src, tgt, torch.tensor([5, 4, 1])), reference(src, tgt, torch.tensor([5, 4, 1])))


def test_every_source_position_reaches_the_first_output():
    """Every source position reaches the first output directly, not only through the final state."""
    model = tiny("gru")
    src, tgt = batch(N=1)
    embedded = model.src_embed(src).detach().requires_grad_(True)
    memory, hidden = model.encoder(embedded)
    state = (hidden, memory.transpose(0, 1), torch.ones(5, 1, dtype=torch.bool))
    logits, _ = model.decode(tgt[:, :1], state)
    (grad,) = torch.autograd.grad(logits.sum(), embedded)
    assert (grad.norm(dim=-1) > 0).all()


@pytest.mark.parametrize("cell", CELLS)
def test_greedy_decoding_is_reused_and_scored_by_the_model(cell):
    model = tiny(cell, seed=1)
    src, _ = batch(N=4, seed=1)
    lengths = torch.tensor([5, 3, 1, 4])
    out = model.greedy_decode(src, lengths, max_len=6)
    tgt = torch.cat([torch.full((4, 1), BOS), out.tokens], dim=1)
    close(out.log_prob, model.sequence_log_prob(src, tgt, lengths))
    for i in range(4):
        alone = model.greedy_decode(src[i : i + 1, : lengths[i]], max_len=6)
        assert alone.tokens[0, : alone.lengths[0]].tolist() == out.tokens[i, : out.lengths[i]].tolist()


@pytest.mark.parametrize("cell", CELLS)
def test_beam_search_is_reused(cell):
    model = tiny(cell, "dot", seed=2)
    src, _ = batch(N=5, seed=2)
    lengths = torch.tensor([5, 3, 4, 1, 2])
    greedy = model.greedy_decode(src, lengths, max_len=7)
    beam1 = model.beam_search(src, lengths, beam_size=1, max_len=7)
    assert torch.equal(beam1.tokens, greedy.tokens)
    close(beam1.log_prob, greedy.log_prob)
    beam = model.beam_search(src, lengths, beam_size=4, max_len=7)
    tgt = torch.cat([torch.full((5, 1), BOS), beam.tokens], dim=1)
    close(beam.log_prob, model.sequence_log_prob(src, tgt, lengths))
    assert (beam.log_prob >= greedy.log_prob - TORCH_FLOAT64.atol).all()


# Self-attention and the classifier built on it.


def test_self_attention_is_dot_product_attention_of_projections():
    torch.manual_seed(0)
    layer = SelfAttention(5, 4).double()
    x = torch.randn(2, 6, 5, dtype=torch.float64)
    mask = torch.arange(6) < torch.tensor([[6], [3]])
    y, weights = layer(x, mask)
    q, k, v = layer.query(x), layer.key(x), layer.value(x)
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.unsqueeze(1))
    close(y, layer.out(reference))
    assert weights.shape == (2, 6, 6) and (weights[1, :, 3:] == 0).all()


def test_self_attention_rejects_a_wrong_input_size():
    message = "x: expected (N, T, D) with D=5 (input_size), got shape (2, 6, 4)"
    with pytest.raises(ValueError, match=re.escape(message)):
        SelfAttention(5, 4)(torch.zeros(2, 6, 4))


def test_self_attention_classifier_is_exact_on_padded_batches_and_sees_order():
    torch.manual_seed(0)
    model = SelfAttentionClassifier(SelfAttentionClassifierConfig(3, SRC_V, embed_dim=6, ff_size=5,
                                                                  max_len=8)).double()
    x, _ = batch(N=3, S=6)
    lengths = torch.tensor([6, 2, 4])
    x = x.masked_fill(torch.arange(6) >= lengths.unsqueeze(1), PAD)
    logits = model(x, lengths)
    assert logits.shape == (3, 3)
    for i in range(3):
        close(logits[i : i + 1], model(x[i : i + 1, : lengths[i]]))
    assert not torch.allclose(model(x[:1]), model(x[:1].flip(1)))  # position embeddings: order matters
    message = "x: expected (N, T) with T <= max_len=8, got shape (1, 9)"
    with pytest.raises(ValueError, match=re.escape(message)):
        model(torch.ones(1, 9, dtype=torch.long))
