"""benchmarks/bench_torch.py still runs: a smoke run of --quick (timings are never asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_benchmark_prints_a_row_per_cell_with_a_ratio():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_torch.py", "--quick", "--threads", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    assert [row[0] for row in rows] == ["LSTM", "GRU", "RNN"], result.stdout
    assert all(row[-1].endswith("x") for row in rows), result.stdout
