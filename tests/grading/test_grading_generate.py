"""The exercise generator: stubs with hints, hidden tests removed, outputs cleared, --check for CI,
and a student's edited exercise never overwritten without --force (and then backed up)."""

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course_lib.grading.generate import (
    GenerationError,
    make_exercise,
    sources_hash,
    stub_source,
    sync,
    was_edited,
)

ROOT = Path(__file__).resolve().parents[2]
NAME = "01_windows_and_parameters"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
EXERCISE = ROOT / "exercises" / f"{NAME}.ipynb"


@pytest.fixture
def course(tmp_path):
    """A copy of solutions/ and exercises/ for exercise 01, to regenerate freely."""
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    shutil.copy(SOLUTION, tmp_path / "solutions")
    shutil.copy(EXERCISE, tmp_path / "exercises")
    return tmp_path


def _load_script():
    spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "scripts" / "make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _load_script()


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def make_exercises(capsys):
    """make_exercises(course, *arguments) -> Result: scripts/make_exercises.py run in this process."""

    def run(course, *arguments):
        folders = ["--solutions", str(course / "solutions"), "--exercises", str(course / "exercises")]
        try:
            status = SCRIPT.main([*arguments, *folders])
        except SystemExit as stop:  # argparse's errors
            status = stop.code
        printed = capsys.readouterr()
        return Result(status, printed.out, printed.err)

    return run


def test_committed_exercise_is_what_the_generator_writes():
    assert sync(SOLUTION, EXERCISE, check=True).action == "unchanged"


def test_stub_keeps_indentation_and_uses_the_hint():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    ### BEGIN SOLUTION\n"
        "    # HINT: square it\n"
        "    return x * x\n"
        "    ### END SOLUTION\n"
        "\n"
        "### BEGIN SOLUTION\n"
        "y = 2\n"
        "### END SOLUTION"
    )
    assert stub_source(source, "code", "cell") == (
        "def f(x):\n"
        '    """Doc."""\n'
        "    # YOUR CODE HERE\n"
        '    raise NotImplementedError("square it")\n'
        "\n"
        "# YOUR CODE HERE\n"
        'raise NotImplementedError("replace this line with your code")'
    )


def test_a_hint_before_the_region_stays_in_the_exercise():
    # nbgrader replaces the whole region, so a hint meant to survive it sits just above the region.
    head = 'def f(x):\n    """Doc."""\n    # HINT: square it\n'
    source = head + "    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
    expected = head + '    # YOUR CODE HERE\n    raise NotImplementedError("square it")'
    assert stub_source(source, "code", "cell") == expected


def test_hidden_tests_are_removed_and_markdown_answers_stubbed():
    tests = "check(f)\n### BEGIN HIDDEN TESTS\ncheck_more(f)\n### END HIDDEN TESTS\nprint('ok')"
    assert stub_source(tests, "code", "cell") == "check(f)\nprint('ok')"
    answer = "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"
    assert stub_source(answer, "markdown", "cell") == "Why?\nYOUR ANSWER HERE"


@pytest.mark.parametrize(
    "source",
    ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "### BEGIN HIDDEN TESTS\ncheck()"],
    ids=["begin-without-end", "end-without-begin", "hidden-without-end"],
)
def test_unbalanced_markers_are_errors(source):
    with pytest.raises(GenerationError, match="cell 7"):
        stub_source(source, "code", "cell 7")


def test_generated_exercise_has_stubs_no_solutions_and_no_outputs():
    exercise = nbformat.read(EXERCISE, as_version=4)
    solution = nbformat.read(SOLUTION, as_version=4)
    assert [c.cell_type for c in exercise.cells] == [c.cell_type for c in solution.cells]
    assert all(c.outputs == [] and c.execution_count is None for c in exercise.cells if c.cell_type == "code")
    text = "\n".join(c.source for c in exercise.cells)
    assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
    assert "np.add.at(counts, token_ids, 1)" not in text and "The dog bit the man" not in text
    stubs = [c for c in exercise.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(stubs) == 6
    assert all("raise NotImplementedError(" in c.source for c in stubs)
    assert exercise.metadata.course_lib == {"exercise": NAME, "generated_sha256": sources_hash(exercise)}
    assert not was_edited(EXERCISE)


def test_registry_disagreement_is_an_error():
    solution = nbformat.read(SOLUTION, as_version=4)
    graded = next(c for c in solution.cells if c.metadata.get("nbgrader", {}).get("grade"))
    graded.metadata.nbgrader.points += 1
    with pytest.raises(GenerationError, match="disagree with the registry"):
        make_exercise(solution, NAME)


def test_check_passes_when_up_to_date_and_fails_on_drift(course, make_exercises):
    result = make_exercises(course, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    solution = course / "solutions" / f"{NAME}.ipynb"
    nb = nbformat.read(solution, as_version=4)
    nb.cells[0].source += "\n\nA new sentence in the instructions."
    nbformat.write(nb, solution)
    result = make_exercises(course, "--check")
    assert result.returncode == 1
    assert f"{NAME}.ipynb: differs" in result.stdout
    (course / "exercises" / f"{NAME}.ipynb").unlink()
    (course / "exercises" / "02_orphan.ipynb").write_text("{}")
    result = make_exercises(course, "--check")
    assert result.returncode == 1
    assert "missing" in result.stdout and "02_orphan.ipynb: has no solution notebook" in result.stderr


def test_unedited_exercise_is_updated(course, make_exercises):
    solution = course / "solutions" / f"{NAME}.ipynb"
    nb = nbformat.read(solution, as_version=4)
    nb.cells[0].source += "\n\nA new sentence in the instructions."
    nbformat.write(nb, solution)
    result = make_exercises(course)
    assert result.returncode == 0 and "updated" in result.stdout
    assert "A new sentence" in (course / "exercises" / f"{NAME}.ipynb").read_text()
    assert make_exercises(course, "--check").returncode == 0


def test_students_edits_are_kept_unless_forced_and_then_backed_up(course, make_exercises):
    exercise = course / "exercises" / f"{NAME}.ipynb"
    nb = nbformat.read(exercise, as_version=4)
    nb.cells[5].source = "def window_features(token_ids, window):\n    return 'my work'\n"
    nbformat.write(nb, exercise)
    students = exercise.read_bytes()
    assert was_edited(exercise)

    result = make_exercises(course)
    assert result.returncode == 0 and "kept" in result.stdout
    assert exercise.read_bytes() == students
    assert list((course / "exercises").glob("*.backup-*")) == []

    result = make_exercises(course, "--force")
    assert result.returncode == 0 and "regenerated" in result.stdout
    (backup,) = (course / "exercises").glob(f"{NAME}.backup-*.ipynb")
    assert backup.read_bytes() == students
    assert exercise.read_bytes() == EXERCISE.read_bytes()
    assert make_exercises(course, "--check").returncode == 0  # backups are not orphans


def test_bad_arguments_exit_with_2(course, make_exercises):
    assert make_exercises(course, "--check", "--force").returncode == 2
    assert make_exercises(course, "99_no_such_exercise").returncode == 2
