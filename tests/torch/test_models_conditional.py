"""The conditional language model: shapes, the condition's effect, causality, generation, training."""

import pytest
import torch
from torch.utils.data import DataLoader

from course_lib.text.collate import IGNORE_INDEX
from course_lib.torch.models_conditional import (
    ConditionalLanguageModel,
    ConditionalLMConfig,
    conditional_collate,
    conditional_lm_step,
)
from course_lib.train import fit

PAD, BOS, EOS = 0, 1, 2


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_shapes_and_the_condition_changes_the_output(cell):
    torch.manual_seed(0)
    config = ConditionalLMConfig(7, 3, embed_dim=4, cond_dim=3, hidden_size=5, cell=cell)
    model = ConditionalLanguageModel(config)
    x = torch.randint(3, 7, (2, 6))
    logits, hidden = model(x, torch.tensor([0, 1]))
    assert logits.shape == (2, 6, 7)
    other, _ = model(x, torch.tensor([2, 2]))
    assert not torch.allclose(logits, other)


def test_without_condition_the_class_is_ignored():
    torch.manual_seed(0)
    model = ConditionalLanguageModel(ConditionalLMConfig(7, 3, hidden_size=5, use_condition=False))
    x = torch.randint(3, 7, (1, 4))
    a, _ = model(x, torch.tensor([0]))
    b, _ = model(x, torch.tensor([2]))
    torch.testing.assert_close(a, b)


def test_causal_and_carrying_the_state_equals_one_pass():
    torch.manual_seed(0)
    model = ConditionalLanguageModel(ConditionalLMConfig(7, 3, hidden_size=5, cell="lstm")).eval()
    x, c = torch.randint(3, 7, (2, 6)), torch.tensor([1, 2])
    full, _ = model(x, c)
    changed = x.clone()
    changed[:, 4] = 3 if changed[0, 4] != 3 else 4
    torch.testing.assert_close(model(changed, c)[0][:, :4], full[:, :4])  # the past ignores the future
    first, hidden = model(x[:, :3], c)
    rest, _ = model(x[:, 3:], c, hidden)
    torch.testing.assert_close(torch.cat([first, rest], 1), full)


def test_collate_shifts_and_pads():
    x, y, c = conditional_collate([([5, 6, 7], 1), ([8], 0)], BOS, EOS)
    assert x.tolist() == [[BOS, 5, 6, 7], [BOS, 8, PAD, PAD]]
    assert y.tolist() == [[5, 6, 7, EOS], [8, EOS, IGNORE_INDEX, IGNORE_INDEX]]
    assert c.tolist() == [1, 0]


def test_it_learns_one_word_per_condition_and_generates_it():
    words = {0: [3, 4, 5], 1: [6, 6], 2: [5, 4, 3, 3]}
    items = [(w, k) for k, w in words.items()] * 20
    torch.manual_seed(0)
    model = ConditionalLanguageModel(ConditionalLMConfig(7, 3, hidden_size=16))
    loader = DataLoader(items, batch_size=12, shuffle=True, generator=torch.Generator().manual_seed(0),
                        collate_fn=lambda b: conditional_collate(b, BOS, EOS))
    history = fit(model, loader, optimizer=torch.optim.Adam(model.parameters(), 0.05), epochs=15,
                  batch_step=conditional_lm_step, progress=False, device="cpu")
    assert history.train_loss[-1] < 0.05
    out = model.generate(torch.tensor([0, 1, 2]), BOS, EOS, max_len=8, temperature=0.0)
    assert out == [words[0], words[1], words[2]]
    g = torch.Generator().manual_seed(0)
    sampled = model.generate(torch.tensor([1] * 5), BOS, EOS, max_len=1, generator=g)
    assert all(len(s) <= 1 for s in sampled)
