"""The grader end to end: full marks for the solution, zero for the untouched exercise, partial
credit for half-done work, the --json layout and the exit statuses."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.grading.cli import main
from course_lib.grading.registry import exercises

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(exercises().values(), key=lambda e: e.name)


@pytest.mark.slow
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_solution_gets_full_marks_through_the_command_line(exercise, tmp_path):
    solution = ROOT / "solutions" / f"{exercise.name}.ipynb"
    out = tmp_path / "result.json"
    before = solution.read_bytes()
    command = [sys.executable, "-m", "course_lib.grading", str(solution), "--json", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert solution.read_bytes() == before
    data = json.loads(out.read_text())
    assert list(data) == ["notebook", "score", "max_score", "tasks"]
    assert data["notebook"] == str(solution)
    assert data["score"] == data["max_score"] == exercise.max_score
    assert [t["id"] for t in data["tasks"]] == [task.grade_id for task in exercise.tasks]
    for task, registered in zip(data["tasks"], exercise.tasks, strict=True):
        assert list(task) == ["id", "points", "max_points", "passed", "feedback"]
        assert task["passed"] is True and task["feedback"] == "", task
        assert task["points"] == task["max_points"] == registered.points
    total = f"{exercise.max_score} / {exercise.max_score}"
    assert result.stdout.splitlines()[-1].split() == ["Total", *total.split()]


@pytest.mark.slow
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_untouched_exercise_gets_zero_and_says_what_to_do(exercise, tmp_path, capsys):
    path = ROOT / "exercises" / f"{exercise.name}.ipynb"
    out = tmp_path / "result.json"
    before = path.read_bytes()
    assert main([str(path), "--json", str(out)]) == 0
    assert path.read_bytes() == before
    data = json.loads(out.read_text())
    assert (data["score"], data["max_score"]) == (0, exercise.max_score)
    assert all(not t["passed"] and t["points"] == 0 for t in data["tasks"])
    printed = capsys.readouterr().out
    assert printed.count("not implemented  ") == len(exercise.tasks)
    assert printed.count("is not implemented yet") == len(exercise.tasks)
    assert "(hint: " in printed


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(variant, grade):
    # A renamed copy is still recognised, by the exercise name in its metadata.
    path = variant(
        "exercise", fill=["window_features", "bag_of_words", "mlp_first_layer_params"], name="mine.ipynb"
    )
    report = grade(path)
    assert (report.score, report.max_score) == (3 + 1 + 1, 10)
    passed = {t.id for t in report.tasks if t.passed}
    assert passed == {"window_features", "bag_of_words", "mlp_first_layer_params"}
    assert report.task("embed_window").verdict == "not implemented"
    assert report.task("order_blind_pair").verdict == "not implemented"


@pytest.mark.slow
def test_edited_or_deleted_test_cells_change_nothing(variant, grade, tmp_path):
    # The grader uses the registry's checks, never the notebook's copy of them.
    wrong = "def embed_window(X, E):\n    return E[X]\n"
    path = variant(replace={"embed_window": wrong}, tests={"embed_window": "print('passed')"})
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "bag_of_words"]
    nbformat.write(nb, path)
    report = grade(path)
    assert not report.task("embed_window").passed
    assert "result: expected shape" in report.task("embed_window").feedback
    assert report.task("bag_of_words").passed
    assert report.score == 8


@pytest.mark.parametrize(
    "arguments",
    [
        ["does/not/exist.ipynb"],
        ["README.md"],  # not a notebook
        ["notebooks/00_setup_check.ipynb"],  # a notebook with no known tasks
        ["solutions/01_windows_and_parameters.ipynb", "--timeout", "-1"],
        ["solutions/01_windows_and_parameters.ipynb", "--timeout", "soon"],
        ["solutions/01_windows_and_parameters.ipynb", "--no-such-option"],
        [],
    ],
    ids=[
        "missing",
        "not-a-notebook",
        "no-known-tasks",
        "negative-timeout",
        "bad-timeout",
        "bad-option",
        "none",
    ],
)
def test_usage_errors_exit_with_2(arguments, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    try:
        status = main(arguments)
    except SystemExit as stop:  # argparse's own errors
        status = stop.code
    assert status == 2
    assert capsys.readouterr().err


def test_usage_error_from_the_command_line(tmp_path):
    not_json = tmp_path / "01_windows_and_parameters.ipynb"
    not_json.write_text("{ this is not json")
    for target in (tmp_path / "missing.ipynb", not_json):
        result = subprocess.run(
            [sys.executable, "-m", "course_lib.grading", str(target)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "error:" in result.stderr and "Traceback" not in result.stderr


MALFORMED = {
    "metadata-course_lib-not-a-dict": (
        {"cells": [], "metadata": {"course_lib": "x"}}, 'metadata "course_lib"'
    ),
    "unknown-exercise": (
        {"cells": [], "metadata": {"course_lib": {"exercise": "99_nothing"}}}, "names exercise '99_nothing'"
    ),
    "unhashable-exercise": ({"cells": [], "metadata": {"course_lib": {"exercise": []}}}, "names exercise []"),
    "cells-not-a-list": ({"cells": {"a": 1}, "metadata": {}}, '"cells" should be a JSON list, got dict'),
    "cell-not-a-dict": ({"cells": ["x"], "metadata": {}}, "cell 1 should be a JSON object, got str"),
    "bad-cell-type": ({"cells": [{"cell_type": 3}], "metadata": {}}, "cell 1 has cell_type 3"),
    "nbgrader-not-a-dict": (
        {"cells": [{"cell_type": "code", "metadata": {"nbgrader": 1}, "source": ""}], "metadata": {}},
        'the "nbgrader" metadata of cell 1 should be a JSON object',
    ),
    "source-not-text": ({"cells": [{"cell_type": "code", "source": 5}], "metadata": {}}, "source of cell 1"),
    "notebook-a-list": ([], "the notebook should be a JSON object, got list"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_notebooks_are_usage_errors(case, tmp_path, capsys):
    data, expected = MALFORMED[case]
    path = tmp_path / "01_windows_and_parameters.ipynb"
    path.write_text(json.dumps(data))
    assert main([str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and expected in error, error


def test_a_folder_is_a_usage_error(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "is a folder: give one notebook file" in capsys.readouterr().err


@pytest.mark.slow
def test_a_deleted_function_is_reported_as_deleted(variant, grade):
    source = "def bag_of_words(token_ids, vocab_size):\n    return np.zeros(vocab_size)\n\ndel bag_of_words\n"
    result = grade(variant(replace={"bag_of_words": source})).task("bag_of_words")
    assert result.verdict == "error"
    assert "bag_of_words is not defined: cell" in result.feedback
    assert "deletes it (del bag_of_words)" in result.feedback
