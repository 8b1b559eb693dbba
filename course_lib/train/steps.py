"""Batch steps: how one batch becomes a loss. `fit` and `evaluate` call step(model, batch).

A step returns the scalar mean loss over the batch, or a StepOutput that also carries the model's
outputs and the targets (needed for metrics). A step with a `reset()` method is stateful:
fit and evaluate call reset() before every pass over a loader (see TBPTTStep).

    supervised_step(loss_fn)   (x, y) -> model(x);  (x, lengths, y) -> model(x, lengths)
    seq2seq_step(pad_id)       (src, src_lengths, tgt) or (src, tgt) -> Seq2Seq logits for tgt[:, 1:]
    TBPTTStep(loss_fn)         (x, y) consecutive chunks; the hidden state carries across batches
"""

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from course_lib.torch.recurrent import detach_hidden


class StepOutput(NamedTuple):
    """loss: scalar tensor, mean over the batch.  outputs, targets: what metrics compare (or None)."""

    loss: torch.Tensor
    outputs: torch.Tensor | None = None
    targets: torch.Tensor | None = None


def describe(batch) -> str:
    """A short description of a batch's structure, for error messages."""
    if isinstance(batch, torch.Tensor):
        return f"Tensor{tuple(batch.shape)} {str(batch.dtype).replace('torch.', '')}"
    if isinstance(batch, dict):
        return "dict{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in batch.items()) + "}"
    if isinstance(batch, (tuple, list)):
        return f"{type(batch).__name__} of {len(batch)}: (" + ", ".join(describe(v) for v in batch) + ")"
    return type(batch).__name__


def flatten_steps(outputs: torch.Tensor, targets: torch.Tensor):
    """Per-step class scores (N, T, C) with integer targets (N, T) -> (N*T, C), (N*T,); else unchanged.

    This lets one classification loss (cross-entropy) serve language models as well.
    """
    per_step = targets.dim() >= 2 and outputs.dim() == targets.dim() + 1 and not targets.is_floating_point()
    if per_step:
        return outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1)
    return outputs, targets


def supervised_step(loss_fn: Callable) -> Callable:
    """The default step: batch (inputs, targets) or (inputs, lengths, targets).

    Calls model(inputs) or model(inputs, lengths); a model returning a tuple (such as the language
    model's (logits, hidden)) contributes its first element. Per-step logits (N, T, V) against
    targets (N, T) are flattened before loss_fn (see flatten_steps).
    """

    def step(model: nn.Module, batch) -> StepOutput:
        if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
            raise TypeError(
                "the default batch step expects batches (inputs, targets) or (inputs, lengths, targets); "
                f"the loader yielded {describe(batch)}. Pass batch_step=... to fit/evaluate for other batches"
            )
        *inputs, targets = batch
        outputs = model(*inputs)
        if isinstance(outputs, tuple):
            outputs = outputs[0]  # (logits, hidden) -> logits
        return StepOutput(loss_fn(*flatten_steps(outputs, targets)), outputs, targets)

    return step


def seq2seq_step(
    pad_id: int = 0, teacher_forcing_ratio: float = 1.0, generator: torch.Generator | None = None
) -> Callable:
    """Step for Seq2Seq: batch (src, src_lengths, tgt) or (src, tgt), tgt starting with bos.

    Loss is the mean cross-entropy over the non-pad tokens of tgt[:, 1:]. The ratio applies in
    train mode; in eval mode (validation, evaluate) full teacher forcing keeps the loss deterministic.
    """

    def step(model: nn.Module, batch) -> StepOutput:
        if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
            raise TypeError(
                "seq2seq_step expects batches (src, src_lengths, tgt) or (src, tgt); "
                f"the loader yielded {describe(batch)}"
            )
        src, src_lengths, tgt = batch if len(batch) == 3 else (batch[0], None, batch[1])
        ratio = teacher_forcing_ratio if model.training else 1.0
        logits = model(src, tgt, src_lengths, teacher_forcing_ratio=ratio, generator=generator)  # (N, T-1, V)
        targets = tgt[:, 1:]  # (N, T-1)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=pad_id)
        return StepOutput(loss, logits, targets)

    return step


class TBPTTStep:
    """Stateful language-model step for truncated backpropagation through time.

    Batches (x, y) must be consecutive chunks of N parallel streams: row i of batch b+1 continues
    row i of batch b. The final hidden state of each batch, detached (so gradients stop at the
    chunk boundary), is the initial state of the next. The state resets at every new pass over a
    loader and whenever the batch size changes.
    """

    def __init__(self, loss_fn: Callable | None = None):
        self.loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
        self.hidden = None

    def reset(self) -> None:
        """Forget the carried state (fit and evaluate call this before each pass)."""
        self.hidden = None

    def __call__(self, model: nn.Module, batch) -> StepOutput:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise TypeError(f"TBPTTStep expects batches (x, y); the loader yielded {describe(batch)}")
        x, y = batch
        if self.hidden is not None:
            h = self.hidden[0] if isinstance(self.hidden, tuple) else self.hidden  # (L, N, H)
            if h.shape[1] != x.shape[0]:
                self.hidden = None
        logits, hidden = model(x, self.hidden)  # (N, T, V)
        self.hidden = detach_hidden(hidden)
        return StepOutput(self.loss_fn(*flatten_steps(logits, y)), logits, y)
