"""Deterministic train/validation/test assignment that does not depend on NumPy's RNG or hash seeds."""

import hashlib

SPLITS = ("train", "val", "test")


def split_of(key: str, val_fraction: float, test_fraction: float, salt: str = "course_lib") -> str:
    """Which split the item named `key` belongs to: "train", "val" or "test".

    The assignment hashes `salt + key` with SHA-256, so it is the same on every machine, in every
    Python version, and does not change when other items are added or removed.
    """
    check_fractions(val_fraction, test_fraction)
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    if u < test_fraction:
        return "test"
    if u < test_fraction + val_fraction:
        return "val"
    return "train"


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    """Raise ValueError unless both fractions are in [0, 1) and leave data for training."""
    for name, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= f < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {f}")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"val_fraction + test_fraction must be < 1 to leave training data, got "
            f"{val_fraction} + {test_fraction}"
        )
