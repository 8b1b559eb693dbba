"""Mini-batches of tensors already in memory: a fast, seeded stand-in for DataLoader(TensorDataset(...)).

A DataLoader over a TensorDataset fetches examples one by one and stacks them again, which costs more
than a small model's training step. TensorBatches indexes each tensor once per batch instead:

    batches = TensorBatches(X, Y, batch_size=256, seed=0)   # re-iterable: one pass per epoch
    fit(model, batches, optimizer=opt, epochs=3, loss_fn=nn.CrossEntropyLoss(), progress=False)

Each pass draws a new permutation from a generator seeded once, so the sequence of epochs is the
same on every run, and independent of torch's global RNG.
"""

import torch


class TensorBatches:
    """Batches (t1[idx], t2[idx], ...) over the first dimension of equally long tensors."""

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        """Args:
        tensors: one or more tensors with the same first dimension M (e.g. inputs and targets).
        batch_size: rows per batch (the last one may be smaller unless drop_last).
        shuffle: a new random order on every pass (False: rows in order).
        seed: seeds this object's own generator.  drop_last: skip a final incomplete batch.
        """
        if not tensors:
            raise ValueError("pass at least one tensor")
        sizes = [len(t) for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"all tensors need the same first dimension, got {sizes}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.tensors, self.batch_size, self.shuffle, self.drop_last = tensors, batch_size, shuffle, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        """Batches per pass."""
        full, rest = divmod(len(self.tensors[0]), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        M = len(self.tensors[0])
        order = torch.randperm(M, generator=self.generator) if self.shuffle else torch.arange(M)
        for i in range(len(self)):
            rows = order[i * self.batch_size : (i + 1) * self.batch_size]  # (batch_size,)
            yield tuple(t[rows] for t in self.tensors)
