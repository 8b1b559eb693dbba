"""The exercises load into nbgrader: its release keeps the hints, and its autograder agrees with ours.

One nbgrader course in a temporary folder: exercise 02's solution is its source; `nbgrader
generate_assignment` makes the release; a half-done submission (three of five tasks solved) is
autograded by nbgrader and by the course's grader, and the points of every task must agree.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.grading.runner import grade_notebook

pytest.importorskip("nbgrader")
from nbgrader.api import Gradebook  # noqa: E402 (only once nbgrader is known to be installed)

ROOT = Path(__file__).resolve().parents[2]
NAME = "02_rnn_forward_backward"
ASSIGNMENT = "ps1"
SOLVED = ("rnn_step_forward", "numerical_gradient", "rnn_forward")  # rnn_step_backward, rnn_backward left


def _nbgrader(root: Path, *args: str) -> None:
    bin_dir = Path(sys.executable).parent  # the kernel nbgrader starts is this environment's python3
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", OMP_NUM_THREADS="1")
    command = [str(bin_dir / "nbgrader"), *args, f"--CourseDirectory.root={root}", "--force"]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _solution_regions(nb) -> dict:
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


@pytest.mark.slow
def test_nbgrader_keeps_the_hints_and_agrees_with_the_course_grader(tmp_path):
    source = tmp_path / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{NAME}.ipynb", source)
    _nbgrader(tmp_path, "generate_assignment", ASSIGNMENT)
    release = nbformat.read(tmp_path / "release" / ASSIGNMENT / f"{NAME}.ipynb", as_version=4)

    solution = nbformat.read(ROOT / "solutions" / f"{NAME}.ipynb", as_version=4)
    for grade_id, cell in _solution_regions(release).items():
        hint = next(
            line.strip()
            for line in _solution_regions(solution)[grade_id].source.splitlines()
            if line.strip().startswith("# HINT:")
        )
        assert hint in cell.source and "raise NotImplementedError()" in cell.source, cell.source

    for task in SOLVED:  # the student's work: the solution's code in three of the five tasks
        _solution_regions(release)[f"{task}_solution"].source = _solution_regions(solution)[
            f"{task}_solution"
        ].source
    submitted = tmp_path / "submitted" / "student1" / ASSIGNMENT
    submitted.mkdir(parents=True)
    nbformat.write(release, submitted / f"{NAME}.ipynb")
    _nbgrader(tmp_path, "autograde", ASSIGNMENT)

    ours = grade_notebook(submitted / f"{NAME}.ipynb", timeout=60)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        theirs = {
            task.id: gradebook.find_grade(task.id, NAME, ASSIGNMENT, "student1").score for task in ours.tasks
        }
    assert theirs == {task.id: float(task.points) for task in ours.tasks}
    assert (
        sum(theirs.values()) == ours.score == sum(task.points for task in ours.tasks if task.id in SOLVED) > 0
    )
    for task in ours.tasks:  # nbgrader's bare stubs: the hint above them still reaches the feedback
        if task.id not in SOLVED:
            assert task.verdict == "not implemented" and "(hint: " in task.feedback, task
