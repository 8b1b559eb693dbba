"""Tolerance lookup accepts every way a dtype is written, and refuses dtypes it has no entry for."""

import numpy as np
import pytest
import torch

from course_lib.check import forward_tol, gradient_tol
from course_lib.check.tolerances import FORWARD, GRADIENT

SPELLINGS = {
    "float64": [np.float64, np.dtype("float64"), "float64", torch.float64],
    "float32": [np.float32, np.dtype("float32"), "float32", torch.float32],
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_every_spelling_of_a_dtype_gives_the_same_tolerance(name):
    for spelling in SPELLINGS[name]:
        assert forward_tol(spelling) == FORWARD[np.dtype(name)]
        assert gradient_tol(spelling) == GRADIENT[np.dtype(name)]


def test_float32_is_looser_than_float64():
    assert forward_tol("float32").rtol > forward_tol("float64").rtol
    assert gradient_tol("float32").atol > gradient_tol("float64").atol


@pytest.mark.parametrize("dtype", [np.int64, "float16", torch.int32], ids=str)
def test_unknown_dtype_raises_naming_it(dtype):
    with pytest.raises(ValueError, match="no tolerance for dtype"):
        forward_tol(dtype)
