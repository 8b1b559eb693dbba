"""BagClassifier: an embedding sum that is exactly logistic regression on feature counts."""

import torch
from torch import nn

from course_lib.text.collate import collate
from course_lib.torch.models_bag import BagClassifier


def test_equals_a_linear_layer_on_count_vectors():
    torch.manual_seed(0)
    F, C = 7, 3
    model = BagClassifier(F + 1, C)
    with torch.no_grad():
        model.weight.weight[1:].normal_()
        model.bias.normal_()
    linear = nn.Linear(F, C)
    with torch.no_grad():
        linear.weight.copy_(model.dense_weight())
        linear.bias.copy_(model.bias)
    ids = [[1, 3, 3, 7], [2], [5, 6]]  # id j + 1 is feature j; repeats count twice
    x, lengths = collate(ids)
    counts = torch.zeros(len(ids), F)
    for i, row in enumerate(ids):
        for j in row:
            counts[i, j - 1] += 1
    torch.testing.assert_close(model(x, lengths), linear(counts))


def test_padding_adds_nothing_and_starts_at_zero():
    model = BagClassifier(5, 2)
    assert torch.count_nonzero(model(torch.tensor([[1, 2, 0, 0]]))) == 0  # zero init: logits = bias = 0
    with torch.no_grad():
        model.weight.weight[1:].fill_(1.0)
    short = model(torch.tensor([[1, 2]]))
    padded = model(torch.tensor([[1, 2, 0, 0, 0]]))
    torch.testing.assert_close(short, padded)
    assert model.dense_weight().shape == (2, 4)


def test_padding_row_gets_no_gradient():
    model = BagClassifier(4, 2)
    model(torch.tensor([[1, 0, 0], [3, 2, 0]])).sum().backward()
    assert torch.all(model.weight.weight.grad[0] == 0)
    assert torch.all(model.weight.weight.grad[1:] != 0)
