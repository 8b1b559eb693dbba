"""The sequence tagger: shapes, both implementations, causality of each direction, exact padding.

Exact comparisons run in float64 with the TORCH_FLOAT64 tolerance.
"""

import pytest
import torch

from course_lib.check import TORCH_FLOAT64
from course_lib.torch.models_tagger import SequenceTagger, TaggerConfig

CELLS = ["rnn", "lstm", "gru"]
V, C = 11, 4  # vocabulary and tag set sizes used throughout


pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/torch/conftest.py


def close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=TORCH_FLOAT64.rtol, atol=TORCH_FLOAT64.atol)


def tiny_tagger(cell="lstm", impl="scratch", bidirectional=False, seed=0, **kw) -> SequenceTagger:
    torch.manual_seed(seed)
    config = TaggerConfig(C, V, embed_dim=5, hidden_size=6, cell=cell, impl=impl, bidirectional=bidirectional,
                          **kw)
    return SequenceTagger(config).double()


def ids(N, T, seed=0):
    return torch.randint(1, V, (N, T), generator=torch.Generator().manual_seed(seed))  # no pad id


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("impl", ["scratch", "torch"])
def test_shapes(impl, bidirectional):
    model = tiny_tagger("gru", impl, bidirectional, num_layers=2)
    assert model(ids(3, 7)).shape == (3, 7, C)
    assert model.head.in_features == (12 if bidirectional else 6)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", CELLS)
def test_scratch_and_torch_impls_agree(cell, bidirectional):
    scratch = tiny_tagger(cell, "scratch", bidirectional)
    reference = tiny_tagger(cell, "torch", bidirectional, seed=1)
    reference.load_state_dict(scratch.state_dict())
    x = ids(3, 6)
    close(scratch(x), reference(x))
    lengths = torch.tensor([6, 2, 4])
    close(scratch(x, lengths), reference(x, lengths))


@pytest.mark.parametrize("cell", CELLS)
def test_unidirectional_is_causal(cell):
    model = tiny_tagger(cell)
    x = ids(2, 8)
    changed = x.clone()
    changed[:, 5] = (x[:, 5] % (V - 1)) + 1  # another non-pad token at step 5
    before, after = model(x), model(changed)
    close(after[:, :5], before[:, :5])  # the past does not see the change
    assert not torch.allclose(after[:, 5:], before[:, 5:])


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_reads_the_future(cell):
    model = tiny_tagger(cell, bidirectional=True)
    x = ids(2, 8)
    changed = x.clone()
    changed[:, -1] = (x[:, -1] % (V - 1)) + 1
    assert not torch.allclose(model(changed)[:, 0], model(x)[:, 0])  # step 0 sees the last token


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", CELLS)
def test_padded_batch_equals_each_sequence_alone(cell, bidirectional):
    model = tiny_tagger(cell, bidirectional=bidirectional)
    lengths = [5, 2, 7]
    x = torch.zeros(3, 7, dtype=torch.long)  # right-padded with pad id 0
    for row, n in enumerate(lengths):
        x[row, :n] = ids(1, n, seed=row)[0]
    batched = model(x, torch.tensor(lengths))
    for row, n in enumerate(lengths):
        close(batched[row, :n], model(x[row : row + 1, :n])[0])
        close(batched[row, n:], model.head.bias.expand(7 - n, C))  # padded steps: the bias alone


def test_lengths_none_equals_full_lengths():
    model = tiny_tagger("lstm", bidirectional=True)
    x = ids(2, 5)
    close(model(x), model(x, torch.tensor([5, 5])))


def test_rejects_bad_lengths():
    model = tiny_tagger()
    with pytest.raises(ValueError, match="lengths must have shape"):
        model(ids(2, 5), torch.tensor([5, 6]))
    with pytest.raises(ValueError, match="lengths must have shape"):
        model(ids(2, 5), torch.tensor([0, 3]))
