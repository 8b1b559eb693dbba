"""Plot tests draw off-screen and close every figure they open."""

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere in these tests

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")
