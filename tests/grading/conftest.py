"""Fixtures for the grader's tests: variants of exercise 01 built in tmp_path, and a checked grading call."""

from pathlib import Path

import nbformat
import pytest

from course_lib.grading.runner import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "01_windows_and_parameters"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
EXERCISE = ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 30.0  # generous: only the tests about loops use a short timeout


def solution_cell(nb, task: str):
    """The cell holding the solution region of a task (nbgrader grade_id '<task>_solution')."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{task}_solution")


def graded_cell(nb, task: str):
    """The autograded test cell of a task."""
    return next(
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == task and c.cell_type == "code"
    )


@pytest.fixture
def variant(tmp_path):
    """build(base, fill=(), replace={}, tests={}, name=...) -> path of a notebook written to tmp_path.

    base: "solution" or "exercise"; fill: tasks whose solution region is copied from the solution;
    replace: {task: source} for the task's solution cell; tests: {task: source} for its graded cell.
    """

    def build(base="solution", fill=(), replace=None, tests=None, name=f"{NAME}.ipynb"):
        nb = nbformat.read(SOLUTION if base == "solution" else EXERCISE, as_version=4)
        solution = nbformat.read(SOLUTION, as_version=4)
        for task in fill:
            solution_cell(nb, task).source = solution_cell(solution, task).source
        for task, source in (replace or {}).items():
            solution_cell(nb, task).source = source
        for task, source in (tests or {}).items():
            graded_cell(nb, task).source = source
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    return build


@pytest.fixture
def grade():
    """grade(path, timeout) -> GradeReport, asserting that grading left the notebook untouched."""

    def run(path, timeout=TIMEOUT):
        before, stamp = path.read_bytes(), path.stat().st_mtime_ns
        report = grade_notebook(path, timeout=timeout)
        assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp, (
            "the grader modified the notebook"
        )
        return report

    return run
