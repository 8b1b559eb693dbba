"""Save and restore a run: model, optimizer, scheduler, history, epoch and every RNG state.

With the RNG states restored, training resumed from a checkpoint draws the same shuffles and
dropout masks as the uninterrupted run, so both end with identical weights (on CPU).
Checkpoints hold only tensors and plain Python values and load with torch.load(weights_only=True).
"""

import os
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from course_lib.train.history import History
from course_lib.train.runtime import get_rng_state, set_rng_state


class Checkpoint(NamedTuple):
    """What load_checkpoint returns besides the states it loads in place."""

    epoch: int | None  # last completed epoch (0-based), as saved
    history: History | None
    extra: dict  # anything passed as extra= when saving


def save_checkpoint(
    path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    scheduler=None,
    history: History | None = None,
    epoch: int | None = None,
    extra: dict | None = None,
) -> None:
    """Write a checkpoint atomically (a crash mid-write never leaves a half-written file).

    Args:
        path: file to write; parent folders are created.  extra: more tensors or plain values.
    """
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": history.to_dict() if history is not None else None,
        "epoch": epoch,
        "rng": get_rng_state(),
        "extra": extra or {},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(
    path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    scheduler=None,
    restore_rng: bool = False,
) -> Checkpoint:
    """Load states saved by save_checkpoint into `model` (and optimizer, scheduler) in place.

    Tensors load onto the CPU and are copied into the model wherever it lives, so a checkpoint
    written on a GPU loads on a CPU and back. restore_rng=True also restores the global RNGs,
    which resuming a run needs.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    if optimizer is not None:
        if state["optimizer"] is None:
            raise ValueError(f"{path} holds no optimizer state")
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    if restore_rng:
        set_rng_state(state["rng"])
    history = History.from_dict(state["history"]) if state["history"] is not None else None
    return Checkpoint(state["epoch"], history, state["extra"])
