"""Input checks shared by the series modules: one place for the error messages."""

from numbers import Integral

import numpy as np


def as_series(series, allow_2d=True):
    """A float64 array of shape (T,) or, if allowed, (T, F); ValueError naming the shape otherwise."""
    try:
        array = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"expected a numeric series of shape (T,) or (T, F): {error}") from None
    allowed = (1, 2) if allow_2d else (1,)
    if array.ndim not in allowed:
        expected = "(T,) or (T, F)" if allow_2d else "(T,)"
        raise ValueError(f"expected a series of shape {expected}, got shape {array.shape}")
    return array


def check_int(name, value, minimum):
    """`value` as an int >= minimum; ValueError naming what came otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
