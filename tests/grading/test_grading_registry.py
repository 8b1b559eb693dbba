"""The registry and the notebooks agree: nbgrader metadata, points, checks the test cells call."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.grading.notebook import defines
from course_lib.grading.registry import Exercise, Task, _validate, exercises

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(exercises().values(), key=lambda e: e.name)
NOTEBOOKS = [(e, folder) for e in EXERCISES for folder in ("solutions", "exercises")]


def _grading(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_exercise_01_is_registered():
    assert "01_windows_and_parameters" in exercises()
    assert exercises()["01_windows_and_parameters"].max_score == 10


@pytest.mark.parametrize("exercise, folder", NOTEBOOKS, ids=lambda v: getattr(v, "name", v))
def test_graded_cells_carry_nbgrader_metadata_equal_to_the_registry(exercise, folder):
    nb = nbformat.read(ROOT / folder / f"{exercise.name}.ipynb", as_version=4)
    graded, solutions = {}, []
    for cell in nb.cells:
        grading = _grading(cell)
        if not grading:
            continue
        keys = {"grade", "solution", "locked", "grade_id", "schema_version"}
        assert set(grading) == keys | ({"points"} if grading["grade"] else set()), grading
        assert grading["schema_version"] == 3 and isinstance(grading["grade_id"], str)
        if grading["solution"]:
            assert (grading["grade"], grading["locked"]) == (False, False)
            solutions.append(grading["grade_id"])
        else:
            assert (grading["grade"], grading["locked"]) == (True, True)
            assert isinstance(grading["points"], int)
            graded[grading["grade_id"]] = grading["points"]
    assert graded == {task.grade_id: task.points for task in exercise.tasks}
    assert len(set(solutions) | set(graded)) == len(solutions) + len(graded)  # grade_ids are unique


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_test_cells_call_the_registry_checks_and_solutions_define_the_names(exercise):
    nb = nbformat.read(ROOT / "solutions" / f"{exercise.name}.ipynb", as_version=4)
    sources = {_grading(c).get("grade_id"): c.source for c in nb.cells if _grading(c)}
    for task in exercise.tasks:
        assert f"{task.check.__name__}({', '.join(task.needs)})" in sources[task.grade_id]
        assert any(defines(source, name) for source in sources.values() for name in task.needs)


def test_registry_rejects_inconsistent_exercises():
    def check(f):
        return None

    with pytest.raises(ValueError, match="duplicate grade_id"):
        _validate(Exercise("x", "x", (Task("a", 1, ("f",), check, ""), Task("a", 1, ("f",), check, ""))), "m")
    with pytest.raises(ValueError, match="positive int"):
        _validate(Exercise("x", "x", (Task("a", 0, ("f",), check, ""),)), "m")
    with pytest.raises(ValueError, match="no tasks"):
        _validate(Exercise("x", "x", ()), "m")


def test_registry_and_checks_import_no_heavy_package():
    code = (
        "import sys\n"
        "import course_lib.grading, course_lib.grading.registry\n"
        "from course_lib.grading.exercises import ex01_windows\n"
        "course_lib.grading.registry.exercises()\n"
        "heavy = [m for m in ('torch', 'matplotlib', 'nbformat') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("exercise", sorted(exercises().values(), key=lambda e: e.name), ids=lambda e: e.name)
def test_each_exercise_module_imports_no_heavy_package(exercise):
    # Every grading process and every exercise notebook imports these modules: they must stay light.
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({exercise.module!r})\n"
        "heavy = [m for m in ('torch', 'matplotlib', 'nbformat', 'pandas') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
