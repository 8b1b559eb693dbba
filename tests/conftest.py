"""Fixtures shared by every test module."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh, seeded NumPy generator per test: no global seed is ever changed."""
    return np.random.default_rng(0)
