"""The one training loop every notebook uses: `fit` and `evaluate`.

Per epoch, fit runs:  for batch in train_loader:  loss = step(model, batch);  backward;
record the global gradient norm (then clip it to clip_grad_norm);  optimizer.step().
Then it evaluates on val_loader, records a History entry, steps the scheduler, saves the
checkpoint and checks early stopping. What a batch looks like is the step's business:
see course_lib.train.steps (default: (inputs, targets) or (inputs, lengths, targets)).
"""

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import torch
from torch import nn

from course_lib.progress import progress_bar
from course_lib.train.checkpoint import load_checkpoint, save_checkpoint
from course_lib.train.clip import clip_grad_norm_, grad_norm
from course_lib.train.history import History
from course_lib.train.runtime import default_device, seed_everything, to_device
from course_lib.train.steps import StepOutput, supervised_step


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    loss_fn: Callable | None = None,
    batch_step: Callable | None = None,
    metrics: Mapping[str, Callable] | None = None,
    clip_grad_norm: float | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    checkpoint_path=None,
    resume: bool = False,
    scheduler=None,
    device=None,
    seed: int | None = None,
    progress: bool = True,
) -> History:
    """Train `model` for up to `epochs` epochs and return its History.

    Args:
        train_loader, val_loader: re-iterable batch sources (DataLoader, list of batches).
        optimizer: built on model.parameters().  epochs: total epochs, counting resumed ones.
        loss_fn, batch_step: exactly one. loss_fn(outputs, targets) makes the default step
            (supervised_step); batch_step(model, batch) returns a loss or a StepOutput.
        metrics: name -> fn(outputs, targets) -> float, recorded for train and val per epoch.
        clip_grad_norm: clip the global gradient norm to this value (None: no clipping).
        patience: stop after this many epochs without a monitored-loss improvement larger
            than min_delta, then restore the best epoch's weights (None: no early stopping).
        checkpoint_path: save model, optimizer, scheduler, history and RNG states after every
            epoch. resume=True continues from it when the file exists (else starts fresh).
        scheduler: stepped once per epoch; ReduceLROnPlateau gets the monitored loss.
        device: where to train; None picks default_device() (CUDA when present). The model moves.
        seed: seed_everything(seed) before training (resuming then restores the saved RNGs).
        progress: plain-text bars on stderr (course_lib.progress); False for tests.
    Returns:
        History with per-epoch losses and metrics, gradient norms and the best epoch.
    """
    step = _resolve_step(loss_fn, batch_step)
    metrics = dict(metrics or {})
    device = torch.device(device) if device is not None else default_device()
    if seed is not None:
        seed_everything(seed)
    model.to(device)
    history, start, best_state = History(), 0, None
    if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
        ckpt = load_checkpoint(checkpoint_path, model, optimizer, scheduler=scheduler, restore_rng=True)
        history = ckpt.history if ckpt.history is not None else History()
        start = ckpt.epoch + 1 if ckpt.epoch is not None else 0
        best_state = ckpt.extra.get("best_state")
    if history.stopped_early:
        start = epochs  # a resumed run that already stopped early stays stopped
    # One bar for the whole run, one tick per training batch (per epoch when the loader has no len):
    # a single line that a notebook shows as it grows, with the epoch and losses beside it.
    per_epoch = len(train_loader) if hasattr(train_loader, "__len__") else None
    bar = progress_bar(None, "training", epochs * (per_epoch or 1), initial=start * (per_epoch or 1),
                       disable=not progress)
    for epoch in range(start, epochs):
        train, norms = _run_epoch(model, train_loader, step, device, metrics, optimizer, clip_grad_norm,
                                  bar=bar if per_epoch else None)
        if not per_epoch:
            bar.update(1)
        val = _run_epoch(model, val_loader, step, device, metrics)[0] if val_loader is not None else None
        improved = history.record(train, val, norms)
        if improved and patience is not None:
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        _step_scheduler(scheduler, history.monitored[-1])
        bar.set_postfix({"epochs": f"{epoch + 1}/{epochs}", **_postfix(history)})
        out_of_patience = patience is not None and epoch - history.best_epoch >= patience
        history.stopped_early = out_of_patience and epoch < epochs - 1
        if checkpoint_path is not None:
            extra = {"best_state": best_state} if best_state is not None else None
            save_checkpoint(checkpoint_path, model, optimizer, scheduler=scheduler, history=history,
                            epoch=epoch, extra=extra)
        if history.stopped_early:
            break
    bar.close()
    if patience is not None and best_state is not None:
        model.load_state_dict(best_state)
    return history


def evaluate(
    model: nn.Module,
    loader: Iterable,
    *,
    loss_fn: Callable | None = None,
    batch_step: Callable | None = None,
    metrics: Mapping[str, Callable] | None = None,
    device=None,
    progress: bool = False,
) -> dict[str, float]:
    """Mean loss and metrics over `loader` in eval mode without gradients.

    Args: as for fit; device None means wherever the model's parameters are (nothing moves).
    Returns:
        {"loss": ..., **metrics}, each averaged over batches weighted by batch size.
        The model's train/eval mode is restored afterwards.
    """
    step = _resolve_step(loss_fn, batch_step)
    if device is None:
        device = next(model.parameters()).device
    device = torch.device(device)
    was_training = model.training
    try:
        batches = progress_bar(loader, "evaluating", leave=False, disable=not progress)
        stats, _ = _run_epoch(model, batches, step, device, dict(metrics or {}))
    finally:
        model.train(was_training)
    return stats


def _run_epoch(model, loader, step, device, metrics, optimizer=None, clip=None, bar=None):
    """One pass over `loader`: train when an optimizer is given, else evaluate under no_grad.

    `bar`, when given, advances by one per batch.

    Returns ({"loss": mean, **metric means}, gradient norms per step (empty when evaluating)).
    """
    training = optimizer is not None
    model.train(training)
    if hasattr(step, "reset"):
        step.reset()  # stateful steps (TBPTT) start each pass from zeros
    totals = dict.fromkeys(["loss", *metrics], 0.0)
    count, norms = 0, []
    with torch.set_grad_enabled(training):
        for i, batch in enumerate(loader):
            batch = to_device(batch, device)
            out = _as_step_output(step(model, batch), metrics)
            if not torch.isfinite(out.loss):
                raise FloatingPointError(f"loss is {out.loss.item()} at batch {i}; try a smaller learning "
                                         "rate or clip_grad_norm")
            if training:
                optimizer.zero_grad(set_to_none=True)
                out.loss.backward()
                params = model.parameters()
                norms.append(clip_grad_norm_(params, clip) if clip is not None else grad_norm(params))
                optimizer.step()
            n = _batch_size(batch)
            totals["loss"] += out.loss.item() * n
            for name, fn in metrics.items():
                totals[name] += float(fn(out.outputs.detach(), out.targets)) * n
            count += n
            if bar is not None:
                bar.update(1)
    if count == 0:
        raise ValueError("the loader yielded no batches")
    return {k: v / count for k, v in totals.items()}, norms


def _resolve_step(loss_fn, batch_step):
    if (loss_fn is None) == (batch_step is None):
        raise ValueError("pass exactly one of loss_fn (for the default step) or batch_step")
    return batch_step if batch_step is not None else supervised_step(loss_fn)


def _as_step_output(result, metrics) -> StepOutput:
    """Accept a bare scalar loss or a StepOutput; check what metrics need."""
    out = result if isinstance(result, StepOutput) else StepOutput(result)
    if not isinstance(out.loss, torch.Tensor) or out.loss.dim() != 0:
        got = f"{result!r:.80}"
        raise TypeError(f"the batch step must return a scalar loss tensor or a StepOutput, got {got}")
    if metrics and (out.outputs is None or out.targets is None):
        raise TypeError("metrics need outputs and targets: return StepOutput(loss, outputs, targets) "
                        "from the batch step")
    return out


def _batch_size(batch) -> int:
    """Size of the first dimension of the first tensor in the batch (1 if there is none)."""
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.dim() > 0 else 1
    items = batch.values() if isinstance(batch, dict) else batch if isinstance(batch, (tuple, list)) else []
    for item in items:
        if isinstance(item, (torch.Tensor, tuple, list, dict)):
            return _batch_size(item)
    return 1


def _step_scheduler(scheduler, monitored_loss: float) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(monitored_loss)
    else:
        scheduler.step()


def _postfix(history: History) -> dict:
    post = {"train_loss": f"{history.train_loss[-1]:.4f}"}
    if history.val_loss:
        post["val_loss"] = f"{history.val_loss[-1]:.4f}"
    return post

