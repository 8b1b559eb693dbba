"""Batch steps: the default supervised step, the seq2seq step and truncated BPTT."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_lib.check import TORCH_FLOAT64
from course_lib.torch.models import Seq2Seq, Seq2SeqConfig, detach_hidden
from course_lib.train import TBPTTStep, accuracy, seq2seq_step, supervised_step
from course_lib.train.steps import describe, flatten_steps

CE = nn.CrossEntropyLoss()


def close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)


def test_flatten_steps_only_flattens_per_step_class_scores():
    logits, targets = torch.zeros(2, 3, 5), torch.zeros(2, 3, dtype=torch.long)
    flat_logits, flat_targets = flatten_steps(logits, targets)
    assert flat_logits.shape == (6, 5) and flat_targets.shape == (6,)
    per_sequence = torch.zeros(2, 5), torch.zeros(2, dtype=torch.long)
    assert flatten_steps(*per_sequence) == per_sequence
    regression = torch.zeros(2, 4, 1), torch.zeros(2, 4)  # float targets: never flattened
    assert flatten_steps(*regression) == regression


def test_supervised_step_on_a_language_model_uses_the_logits(lm_batches, make_lm):
    model = make_lm().double()
    x, y = lm_batches[0]
    out = supervised_step(CE)(model, (x, y))
    logits = model(x)[0]
    close(out.loss, CE(logits.flatten(0, 1), y.flatten()))
    assert out.outputs.shape == (4, 12, 5) and accuracy(out.outputs, out.targets) >= 0


def test_supervised_step_passes_lengths_to_the_model(classify_data, make_classifier):
    model = make_classifier().double()
    x, lengths, y = classify_data.tensors
    out = supervised_step(CE)(model, (x, lengths, y))
    close(out.loss, CE(model(x, lengths), y))


def test_describe_names_structure_shapes_and_dtypes():
    text = describe([torch.zeros(2, 3), {"k": 1}])
    assert text == "list of 2: (Tensor(2, 3) float32, dict{'k': int})"


def tiny_seq2seq():
    torch.manual_seed(0)
    return Seq2Seq(Seq2SeqConfig(6, 7, embed_dim=4, hidden_size=5, impl="torch")).double()


def test_seq2seq_step_ignores_padding_and_uses_full_teacher_forcing_in_eval():
    model = tiny_seq2seq().eval()
    src = torch.tensor([[3, 4, 5], [4, 3, 0]])
    src_lengths = torch.tensor([3, 2])
    tgt = torch.tensor([[1, 3, 4, 2], [1, 5, 2, 0]])
    step = seq2seq_step(pad_id=0, teacher_forcing_ratio=0.0)
    out = step(model, (src, src_lengths, tgt))
    logits = model(src, tgt, src_lengths)
    expected = F.cross_entropy(logits[tgt[:, 1:] != 0], tgt[:, 1:][tgt[:, 1:] != 0])
    close(out.loss, expected)
    model.train()
    assert not torch.allclose(step(model, (src, src_lengths, tgt)).loss, expected)
    close(seq2seq_step()(model, (src, tgt)).loss, step(model.eval(), (src, None, tgt)).loss)


def test_seq2seq_step_rejects_other_batches():
    with pytest.raises(TypeError, match="seq2seq_step expects"):
        seq2seq_step()(tiny_seq2seq(), torch.zeros(2, 3))


def test_tbptt_step_carries_detached_state_and_resets_on_a_new_batch_size(lm_batches, make_lm):
    model = make_lm().double()
    (x1, y1), (x2, y2) = lm_batches
    step = TBPTTStep()
    step(model, (x1, y1))
    carried = step(model, (x2, y2))
    _, hidden = model(x1)
    expected = CE(model(x2, detach_hidden(hidden))[0].flatten(0, 1), y2.flatten())
    close(carried.loss, expected)
    assert step.hidden.grad_fn is None
    fresh = step(model, (x2[:2], y2[:2]))  # batch size 4 -> 2: start from zeros
    close(fresh.loss, CE(model(x2[:2])[0].flatten(0, 1), y2[:2].flatten()))
    with pytest.raises(TypeError, match="TBPTTStep expects"):
        step(model, (x1, None, y1))
