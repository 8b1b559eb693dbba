"""Logistic regression on a bag of n-grams, written as an embedding sum.

    logits = b + Σ_{j in ids(x)} W[j]      (W: (F+1, C), row 0 the padding row, kept at zero)

which is exactly W^T x + b with x the (F,)-vector of feature counts: each feature id picks its row
of the weight matrix. A padded batch of id lists (N, T) needs no dense (N, F) matrix, so the model
scales to large n-gram vocabularies. Id lists come from course_lib.text.bag_of_words.
"""

import torch
from torch import nn


class BagClassifier(nn.Module):
    """Padded feature ids (N, T), 0 = padding -> class logits (N, C); a linear model on counts."""

    def __init__(self, num_ids: int, num_classes: int):
        """Args: num_ids: F + 1 feature ids, padding included. num_classes: C."""
        super().__init__()
        self.weight = nn.EmbeddingBag(num_ids, num_classes, mode="sum", padding_idx=0)
        nn.init.zeros_(self.weight.weight)
        self.bias = nn.Parameter(torch.zeros(num_classes))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Args: ids: (N, T) long, right-padded with 0. lengths: ignored (padding adds nothing).
        Returns: logits (N, C)."""
        return self.weight(ids) + self.bias  # (N, C)

    def dense_weight(self) -> torch.Tensor:
        """The weight matrix as nn.Linear would hold it: (C, F), column j for feature id j + 1."""
        return self.weight.weight[1:].T
