"""Train and score any sequence classifier on (ids, label) pairs: the helpers a comparison needs.

One function trains a model the way every model of a comparison is trained (seeded shuffling,
Adam, early stopping on the validation loss, best epoch kept), one predicts class probabilities
for many sequences, and two give standard errors (over seeds, and over test examples).
A model is anything called as model(x (N, T) padded ids, lengths (N,)) -> logits (N, C).

Batches group sequences of similar length (LengthBuckets): a recurrent layer runs as many steps
as the longest sequence of its batch, so mixing a 400-word review with 20-word ones wastes most
of the work. The groups are reshuffled every epoch from the seed.
"""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Sampler

from course_lib.text.collate import collate
from course_lib.train.history import History
from course_lib.train.loop import fit
from course_lib.train.runtime import seed_everything


class LengthBuckets(Sampler):
    """Batches of indices with similar lengths, in a seeded random order (a DataLoader batch_sampler).

    Each epoch: shuffle all indices, cut them into pools of `pool` batches, sort each pool by
    length, cut it into batches of `batch_size`, and shuffle the batches. Every index appears in
    exactly one batch per epoch.
    """

    def __init__(self, lengths, batch_size: int, generator: torch.Generator, pool: int = 20):
        super().__init__()
        self.lengths = np.asarray(lengths)
        self.batch_size, self.generator, self.pool = batch_size, generator, pool

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).numpy()
        span = self.batch_size * self.pool
        batches = []
        for start in range(0, len(order), span):
            chunk = order[start : start + span]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            starts = range(0, len(chunk), self.batch_size)
            batches += [chunk[i : i + self.batch_size].tolist() for i in starts]
        for k in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[k]


def train_classifier(
    model: nn.Module,
    train_items: list,
    val_items: list,
    *,
    seed: int,
    lr: float = 3e-3,
    epochs: int = 10,
    patience: int | None = 3,
    batch_size: int = 64,
    clip_grad_norm: float | None = 1.0,
    weight_decay: float = 0.0,
    progress: bool = False,
) -> History:
    """Fit `model` on (ids, label) pairs with cross-entropy; returns its History (model trained in place).

    Batches come from LengthBuckets; their order depends on `seed` only. With patience, training
    stops after `patience` epochs without a lower validation loss and the best epoch's weights
    are restored.
    """
    seed_everything(seed)
    lengths = [len(ids) for ids, _ in train_items]
    buckets = LengthBuckets(lengths, batch_size, torch.Generator().manual_seed(seed))
    train_loader = DataLoader(train_items, batch_sampler=buckets, collate_fn=collate)
    val_loader = DataLoader(val_items, batch_size=256, collate_fn=collate)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = fit(model, train_loader, val_loader, optimizer=optimizer, epochs=epochs,
                  loss_fn=nn.CrossEntropyLoss(), clip_grad_norm=clip_grad_norm, patience=patience,
                  device="cpu", progress=progress)
    model.eval()
    return history


def predict_proba(model: nn.Module, sequences: list, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (M, C) float32 for M id sequences (each of length >= 1), in eval mode."""
    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(sequences), batch_size):
            x, lengths = collate(list(sequences[start : start + batch_size]))  # (n, T), (n,)
            out.append(torch.softmax(model(x, lengths), dim=-1).numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


def mean_and_standard_error(values) -> tuple[float, float]:
    """Mean of k values and the standard error of that mean, s / sqrt(k) (s with k - 1 dof; 0 for k = 1)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"expected a non-empty 1-D list of values, got shape {values.shape}")
    if values.size == 1:
        return float(values[0]), 0.0
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def binomial_standard_error(p: float, n: int) -> float:
    """Standard error of an accuracy p measured on n independent test examples: sqrt(p (1 - p) / n)."""
    if n < 1 or not 0.0 <= p <= 1.0:
        raise ValueError(f"expected 0 <= p <= 1 and n >= 1, got p={p}, n={n}")
    return float(np.sqrt(p * (1.0 - p) / n))
