"""Time to grade each complete solution with the course's grader, as a student runs it (the CLI).

Run from the repository root:
    python benchmarks/bench_grading.py                 # every solutions/NN_*.ipynb, one grading each
    python benchmarks/bench_grading.py --repeat 3      # the median of three gradings per notebook
    python benchmarks/bench_grading.py solutions/08_sequence_classification.ipynb

Each grading is `python -m course_lib.grading NOTEBOOK --json FILE` in a fresh process, one at a
time. The table gives the wall-clock seconds and the CPU seconds of the grader and every process it
started (user + system, from the OS's accounting of finished children), the score, and the machine's
load average before and after, since on a shared machine the wall time grows with the load while the
CPU time barely moves. The course's target is 10 s of wall time per notebook on an idle 2-core
machine. This is a measurement to read, not a test: nothing fails when a notebook is slower.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def grade_once(notebook: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the grading's processes, score) of one CLI grading."""
    with tempfile.TemporaryDirectory() as folder:
        result_file = Path(folder) / "result.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "course_lib.grading", str(notebook), "--json", str(result_file)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode != 0 or not result_file.exists():
            return wall, cpu, f"exit {done.returncode}"
        result = json.loads(result_file.read_text())
        return wall, cpu, f"{result['score']}/{result['max_score']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every solutions/NN_*.ipynb")
    parser.add_argument("--repeat", type=int, default=1, help="gradings per notebook (the median is shown)")
    args = parser.parse_args()
    notebooks = args.notebooks or sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    print(f"load average before: {load()} on {os.cpu_count()} CPUs")
    print(f"{'notebook':<40} {'wall s':>7} {'CPU s':>7} {'score':>7}  load (1, 5, 15 min) after")
    walls = []
    for notebook in notebooks:
        runs = [grade_once(notebook) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        walls.append(wall)
        flag = "" if wall <= TARGET_SECONDS else "  over 10 s"
        print(f"{notebook.name:<40} {wall:7.1f} {cpu:7.1f} {runs[-1][2]:>7}  {load()}{flag}", flush=True)
    if walls:
        print(f"{'slowest':<40} {max(walls):7.1f}")


if __name__ == "__main__":
    main()
