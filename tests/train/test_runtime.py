"""Device choice, seeding, RNG state capture and moving nested batches."""

import random
from typing import NamedTuple

import numpy as np
import torch

from course_lib.train import default_device, get_rng_state, seed_everything, set_rng_state, to_device


def draws():
    return random.random(), np.random.random(), torch.rand(()).item()  # noqa: NPY002  (the global RNG)


def test_default_device_is_cuda_exactly_when_available():
    assert default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_seed_everything_seeds_python_numpy_and_torch():
    seed_everything(3)
    first = draws()
    seed_everything(3)
    assert draws() == first


def test_rng_state_round_trips_through_a_weights_only_file(tmp_path):
    seed_everything(0)
    torch.save(get_rng_state(), tmp_path / "rng.pt")
    expected = draws()
    draws()
    set_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True))
    assert draws() == expected


class Pair(NamedTuple):
    x: torch.Tensor
    meta: str


def test_to_device_moves_tensors_in_nested_batches_and_keeps_the_rest():
    device = default_device()
    batch = (torch.zeros(2), [torch.ones(1), 3], {"a": torch.zeros(1)}, Pair(torch.zeros(1), "tag"))
    moved = to_device(batch, device)
    assert moved[0].device.type == device.type and moved[1][0].device.type == device.type
    assert moved[1][1] == 3 and isinstance(moved[1], list)
    assert moved[2]["a"].device.type == device.type
    assert isinstance(moved[3], Pair) and moved[3].meta == "tag"
