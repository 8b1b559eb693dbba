"""TensorBatches: every row once per pass, reproducible shuffles, sizes, and use with fit."""

import pytest
import torch
from torch import nn

from course_lib.train import fit
from course_lib.train.tensor_batches import TensorBatches


def rows_seen(batches):
    return torch.cat([x for x, _ in batches])


def test_each_pass_covers_every_row_once_in_a_new_order():
    X, Y = torch.arange(10), torch.arange(10) * 2
    batches = TensorBatches(X, Y, batch_size=3, seed=1)
    first, second = rows_seen(batches), rows_seen(batches)
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(10))
    assert not torch.equal(first, second)
    for x, y in batches:
        assert torch.equal(y, 2 * x)  # rows stay paired


def test_same_seed_same_epochs():
    X = torch.arange(20)
    a, b = TensorBatches(X, batch_size=4, seed=7), TensorBatches(X, batch_size=4, seed=7)
    for _ in range(3):
        assert [t.tolist() for (t,) in a] == [t.tolist() for (t,) in b]


def test_global_rng_is_not_used():
    X = torch.arange(20)
    torch.manual_seed(0)
    a = [t.tolist() for (t,) in TensorBatches(X, batch_size=5, seed=3)]
    torch.manual_seed(123)
    assert a == [t.tolist() for (t,) in TensorBatches(X, batch_size=5, seed=3)]


@pytest.mark.parametrize("drop_last, expected", [(False, [4, 4, 2]), (True, [4, 4])])
def test_batch_sizes_and_len(drop_last, expected):
    batches = TensorBatches(torch.zeros(10, 3), batch_size=4, drop_last=drop_last)
    assert [len(x) for (x,) in batches] == expected and len(batches) == len(expected)


def test_no_shuffle_keeps_order():
    X = torch.arange(7)
    assert rows_seen((x, None) for (x,) in TensorBatches(X, batch_size=3, shuffle=False)).tolist() == list(
        range(7)
    )


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((torch.zeros(3), torch.zeros(4)), {"batch_size": 2}, "same first dimension"),
        ((), {"batch_size": 2}, "at least one"),
        ((torch.zeros(3),), {"batch_size": 0}, "batch_size"),
    ],
)
def test_invalid_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBatches(*args, **kwargs)


def test_works_as_a_fit_loader():
    torch.manual_seed(0)
    X = torch.randn(64, 3)
    Y = X @ torch.tensor([1.0, -2.0, 0.5])
    model = nn.Linear(3, 1)
    history = fit(
        model,
        TensorBatches(X, Y.unsqueeze(1), batch_size=16),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=30,
        loss_fn=nn.MSELoss(),
        progress=False,
        device="cpu",
    )
    assert history.train_loss[-1] < 1e-3 < history.train_loss[0]
