"""Variants of a generated exercise for the grader's tests: some tasks solved, some written wrongly."""

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def solution_region(nb, task: str):
    """The cell holding the solution region of a task (nbgrader grade_id '<task>_solution')."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{task}_solution")


def build_variant(tmp_path, name: str, fill=(), replace=None) -> Path:
    """The generated exercise `name` with the solution of the tasks in `fill` and the sources in `replace`.

    replace: {task: source of its solution cell}. The variant is written to tmp_path/<name>.ipynb.
    """
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    for task in fill:
        solution_region(nb, task).source = solution_region(solution, task).source
    for task, source in (replace or {}).items():
        solution_region(nb, task).source = source
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path
