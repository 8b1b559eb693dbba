"""Where and how reproducibly training runs: device choice, moving batches, seeds, RNG state."""

import random

import numpy as np
import torch


def default_device() -> torch.device:
    """CUDA when a GPU is visible, else CPU. Code takes this (or a `device=` argument), never a literal."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's `random`, NumPy's global RNG and torch (CPU and every CUDA device).

    Two runs seeded alike then build the same weights and draw the same batches and dropout masks
    on CPU. On a GPU some cuDNN kernels are non-deterministic, so runs agree only up to rounding.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (the legacy global RNG is what old code and libraries draw from)
    torch.manual_seed(seed)  # also seeds all CUDA devices


def get_rng_state() -> dict:
    """Every global RNG's state, as plain Python values and tensors (safe for weights_only loads)."""
    np_state = np.random.get_state(legacy=False)  # noqa: NPY002  (saving the global RNG is the point)
    np_state["state"] = {"key": np_state["state"]["key"].tolist(), "pos": int(np_state["state"]["pos"])}
    state = {"python": random.getstate(), "numpy": np_state, "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore RNG states saved by get_rng_state (CUDA state only where a GPU is present)."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = dict(state["numpy"])
    key = np.array(np_state["state"]["key"], dtype=np.uint32)  # (624,) Mersenne Twister state
    np_state["state"] = {"key": key, "pos": np_state["state"]["pos"]}
    np.random.set_state(np_state)  # noqa: NPY002  (restoring the global RNG is the point)
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def to_device(batch, device):
    """Move every tensor in a (nested) tuple, list or dict batch to `device`; other values pass through.

    Lengths move too; the course's models copy them back to the CPU where packing needs it.
    """
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # NamedTuple
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch
