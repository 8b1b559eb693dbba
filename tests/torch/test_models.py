"""The course's models: language model, sequence classifier, forecaster, and the layer factory.

Seq2seq lives in test_models_seq2seq.py. Exact comparisons run in float64 with the
TORCH_FLOAT64 tolerance; generation tests compare token ids, which must match exactly.
"""

import pytest
import torch
from torch import nn

from course_lib.check import TORCH_FLOAT64
from course_lib.torch.models import (
    ClassifierConfig,
    Forecaster,
    ForecasterConfig,
    LanguageModel,
    LMConfig,
    SequenceClassifier,
    detach_hidden,
    make_recurrent,
    sample_next,
)
from course_lib.torch.recurrent import check_lengths, run_padded

CELLS = ["rnn", "lstm", "gru"]
IMPLS = ["scratch", "torch"]
V = 11  # vocabulary size used throughout


pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/torch/conftest.py


def close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)


def tiny_lm(cell="lstm", impl="scratch", seed=0, **kw) -> LanguageModel:
    torch.manual_seed(seed)
    return LanguageModel(LMConfig(V, embed_dim=6, hidden_size=8, cell=cell, impl=impl, **kw)).double()


# ---------------------------------------------------------------- factory


@pytest.mark.parametrize("cell", CELLS)
def test_scratch_and_torch_impls_share_parameters_and_outputs(cell):
    scratch, reference = tiny_lm(cell, "scratch"), tiny_lm(cell, "torch", seed=1)
    reference.load_state_dict(scratch.state_dict())
    x = torch.randint(0, V, (3, 5), generator=torch.Generator().manual_seed(0))
    close(scratch(x)[0], reference(x)[0])


def test_make_recurrent_rejects_unknown_cell_and_impl():
    with pytest.raises(ValueError, match="cell must be one of"):
        make_recurrent("transformer", "torch", 4, 4)
    with pytest.raises(ValueError, match="impl must be one of"):
        make_recurrent("gru", "cudnn", 4, 4)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_run_padded_gives_each_sequence_what_it_gets_alone(bidirectional):
    torch.manual_seed(0)
    rnn = make_recurrent("lstm", "scratch", 3, 4, num_layers=2, bidirectional=bidirectional).double()
    lengths = torch.tensor([2, 5, 3])
    x = torch.randn(3, 5, 3, dtype=torch.float64)
    x[0, 2:] = 1e3  # padding: must not reach anything
    out, (h, _) = run_padded(rnn, x, lengths)
    for i, n in enumerate(lengths.tolist()):
        alone, (h_alone, _) = rnn(x[i : i + 1, :n])
        close(out[i, :n], alone[0])
        close(h[:, i], h_alone[:, 0])
        assert not out[i, n:].any()  # zeros at padded steps


def test_check_lengths_names_the_expected_shape_and_range():
    assert check_lengths(torch.tensor([3, 1]), 2, 3).dtype == torch.long
    for bad in (torch.tensor([0, 2]), torch.tensor([4, 2]), torch.tensor([1, 2, 3])):
        with pytest.raises(ValueError, match=r"lengths must have shape \(2,\) with values in 1..3, got"):
            check_lengths(bad, 2, 3)


def test_detach_hidden_cuts_the_graph_for_tensors_tuples_and_none():
    h = torch.ones(1, 2, 3, requires_grad=True) * 2
    assert detach_hidden(h).grad_fn is None
    assert all(t.grad_fn is None for t in detach_hidden((h, h)))
    assert detach_hidden(None) is None


# ---------------------------------------------------------------- language model


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_lm_shapes(cell, impl):
    model = tiny_lm(cell, impl, num_layers=2)
    logits, hidden = model(torch.randint(0, V, (3, 5)))
    assert logits.shape == (3, 5, V)
    h = hidden[0] if cell == "lstm" else hidden
    assert h.shape == (2, 3, 8)


@pytest.mark.parametrize("cell", CELLS)
def test_lm_carried_state_equals_one_long_pass(cell):
    model = tiny_lm(cell)
    x = torch.randint(0, V, (2, 9))
    full, _ = model(x)
    first, hidden = model(x[:, :4])
    second, _ = model(x[:, 4:], detach_hidden(hidden))
    close(torch.cat([first, second], dim=1), full)


def test_lm_tied_weights_share_one_matrix():
    model = LanguageModel(LMConfig(V, embed_dim=8, hidden_size=8, impl="torch", tie_weights=True))
    assert model.head.weight is model.embed.weight
    with pytest.raises(ValueError, match="embed_dim == hidden_size"):
        LanguageModel(LMConfig(V, embed_dim=6, hidden_size=8, impl="torch", tie_weights=True))


@pytest.mark.parametrize("cell", CELLS)
def test_generate_greedy_carries_state_like_full_recomputation(cell):
    model = tiny_lm(cell)
    prompt = torch.tensor([[1, 2, 3], [4, 5, 6]])
    out = model.generate(prompt, n_steps=6, temperature=0)
    assert out.shape == (2, 9)
    assert torch.equal(out[:, :3], prompt)
    logits, _ = model(out)  # teacher-forced pass over the whole output: (2, 9, V)
    assert torch.equal(out[:, 3:], logits[:, 2:-1].argmax(dim=-1))


def test_generate_takes_a_1d_prompt_and_restores_train_mode():
    model = tiny_lm(dropout=0.5)
    model.train()
    out = model.generate(torch.tensor([1, 2]), n_steps=4, generator=torch.Generator().manual_seed(0))
    assert out.shape == (6,)
    assert model.training


def test_low_temperature_and_top_k_1_equal_greedy():
    model = tiny_lm("gru")
    prompt = torch.tensor([[3, 1], [7, 7], [0, 9]])
    greedy = model.generate(prompt, 10, temperature=0)
    cold = model.generate(prompt, 10, temperature=1e-4, generator=torch.Generator().manual_seed(1))
    top1 = model.generate(prompt, 10, temperature=1.0, top_k=1, generator=torch.Generator().manual_seed(2))
    assert torch.equal(cold, greedy)
    assert torch.equal(top1, greedy)


def test_generate_is_reproducible_with_a_seeded_generator():
    model = tiny_lm("lstm")
    prompt = torch.tensor([[1, 2, 3]] * 4)

    def run(seed):
        generator = torch.Generator().manual_seed(seed)
        return model.generate(prompt, 15, temperature=1.5, top_k=5, generator=generator)

    assert torch.equal(run(0), run(0))
    assert not torch.equal(run(0), run(1))


def test_sample_next_top_k_only_draws_among_the_k_best(rng):
    logits = torch.from_numpy(rng.normal(size=(500, V)))
    draws = sample_next(logits, temperature=2.0, top_k=3, generator=torch.Generator().manual_seed(0))
    allowed = logits.topk(3, dim=-1).indices  # (500, 3)
    assert (allowed == draws.unsqueeze(1)).any(dim=1).all()


def test_sample_next_rejects_bad_arguments():
    with pytest.raises(ValueError, match="temperature"):
        sample_next(torch.zeros(1, V), temperature=-1.0)
    with pytest.raises(ValueError, match="top_k"):
        sample_next(torch.zeros(1, V), top_k=V + 1)


# ---------------------------------------------------------------- sequence classifier


def tiny_classifier(cell, impl="scratch", **kw) -> SequenceClassifier:
    torch.manual_seed(0)
    config = ClassifierConfig(3, vocab_size=V, input_size=5, hidden_size=6, cell=cell, impl=impl, **kw)
    return SequenceClassifier(config).double()


@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", CELLS)
def test_padded_batch_gives_each_sequence_its_logits_alone(cell, bidirectional, pooling):
    model = tiny_classifier(cell, bidirectional=bidirectional, pooling=pooling, num_layers=2)
    lengths = torch.tensor([4, 7, 1, 5])
    x = torch.randint(1, V, (4, 7))
    x[torch.arange(7) >= lengths.unsqueeze(1)] = 0  # right padding
    batch = model(x, lengths)
    assert batch.shape == (4, 3)
    alone = torch.cat([model(x[i : i + 1, : lengths[i]]) for i in range(4)])
    close(batch, alone)


@pytest.mark.parametrize("impl", IMPLS)
def test_classifier_padding_values_do_not_matter(impl):
    model = tiny_classifier("gru", impl, bidirectional=True)
    lengths = torch.tensor([2, 5])
    x = torch.randint(1, V, (2, 5))
    garbage = x.clone()
    garbage[0, 2:] = 7  # a real token where padding should be
    close(model(garbage, lengths), model(x, lengths))


def test_classifier_on_float_features_and_lengths_none_means_full():
    torch.manual_seed(0)
    model = SequenceClassifier(ClassifierConfig(4, input_size=3, hidden_size=5, impl="torch")).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    close(model(x), model(x, torch.tensor([6, 6])))
    assert model(x).shape == (2, 4)


def test_classifier_rejects_bad_lengths_and_pooling():
    model = tiny_classifier("rnn")
    with pytest.raises(ValueError, match="lengths"):
        model(torch.ones(2, 4, dtype=torch.long), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match="pooling"):
        tiny_classifier("rnn", pooling="max")


# ---------------------------------------------------------------- forecaster


def tiny_forecaster(cell="gru", impl="scratch", **kw) -> Forecaster:
    torch.manual_seed(0)
    return Forecaster(ForecasterConfig(hidden_size=6, cell=cell, impl=impl, **kw)).double()


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_forecaster_direct_head_shape(cell, impl):
    model = tiny_forecaster(cell, impl, input_size=3, output_size=2, horizon=4)
    assert model(torch.randn(5, 8, 3, dtype=torch.float64)).shape == (5, 4, 2)


@pytest.mark.parametrize("cell", CELLS)
def test_rollout_feeds_each_prediction_back_as_the_next_input(cell):
    model = tiny_forecaster(cell, input_size=2, output_size=2, horizon=3)
    x = torch.randn(4, 6, 2, dtype=torch.float64)
    rolled = model.rollout(x, n_steps=5)
    assert rolled.shape == (4, 5, 2)
    window = x
    for t in range(5):  # recompute from scratch on the window extended by the predictions so far
        step = model(window)[:, :1]  # (4, 1, 2)
        close(rolled[:, t : t + 1], step)
        window = torch.cat([window, step], dim=1)


def test_rollout_needs_matching_input_and_output_sizes():
    model = tiny_forecaster(input_size=3, output_size=1)
    with pytest.raises(ValueError, match="output_size == input_size"):
        model.rollout(torch.randn(1, 4, 3, dtype=torch.float64), 2)


def test_models_train_one_step_through_backward():
    model = tiny_classifier("lstm", bidirectional=True)
    lengths = torch.tensor([3, 2])
    loss = nn.functional.cross_entropy(model(torch.randint(1, V, (2, 3)), lengths), torch.tensor([0, 2]))
    loss.backward()
    assert all(p.grad is not None for p in model.rnn.parameters())
