"""benchmarks/bench_numpy.py still runs: a smoke run of --quick (timings are never asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_benchmark_prints_a_row_per_cell():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_numpy.py", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:]]
    assert rows == ["LSTM", "GRU", "RNN"], result.stdout
