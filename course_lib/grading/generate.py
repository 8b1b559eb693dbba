"""Generate student exercises from solution notebooks (`make exercises`, scripts/make_exercises.py).

solutions/NN_topic.ipynb -> exercises/NN_topic.ipynb:
- each `### BEGIN SOLUTION` ... `### END SOLUTION` region becomes, at the marker's indentation,
      # YOUR CODE HERE
      raise NotImplementedError("<hint>")
  where the hint comes from a `# HINT: <hint>` line just before the region, at its indentation, which
  stays in the exercise (so that nbgrader, which replaces the whole region, keeps it too), or else from
  the region's first line if it reads so (a markdown answer region becomes "YOUR ANSWER HERE"); a
  solution cell without markers is replaced as a whole (nbgrader's rule);
- `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` regions are removed;
- outputs and execution counts are cleared;
- the notebook metadata records the exercise's name and the SHA-256 of the generated cell sources,
  so that an exercise a student has edited is recognised and never overwritten without --force.
The solution's nbgrader metadata must agree with the registry (grade_id and points of each task).
"""

import copy
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.grading.registry import find_exercise

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HINT_PREFIX = "# HINT:"
DEFAULT_HINT = "replace this line with your code"
METADATA_KEY = "course_lib"  # notebook metadata: {"exercise": name, "generated_sha256": hex}


class GenerationError(ValueError):
    """A solution notebook cannot be turned into an exercise (unbalanced markers, metadata)."""


@dataclass(frozen=True)
class Outcome:
    path: Path  # the exercise notebook
    action: str  # created, updated, unchanged, kept, regenerated, differs, missing
    detail: str = ""  # e.g. the backup's path


def stub_source(source: str, cell_type: str, where: str) -> str:
    """The source with solution regions replaced by stubs and hidden-test regions removed."""
    lines, out, i = source.splitlines(), [], 0
    while i < len(lines):
        line, marker = lines[i], lines[i].strip()
        if marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            end = END_SOLUTION if marker == BEGIN_SOLUTION else END_HIDDEN
            close = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == end), None)
            if close is None:
                raise GenerationError(f"{where}: {marker} without {end}")
            if marker == BEGIN_SOLUTION:
                indent = line[: len(line) - len(line.lstrip())]
                before = out[-1] if out and out[-1].startswith(indent + HINT_PREFIX) else None
                out += [indent + s for s in _stub(lines[i + 1 : close], cell_type, before)]
            i = close + 1
            continue
        if marker in (END_SOLUTION, END_HIDDEN):
            raise GenerationError(f"{where}: {marker} without a matching BEGIN")
        out.append(line)
        i += 1
    return "\n".join(out)


def _stub(region: list[str], cell_type: str, hint_line: str | None = None) -> list[str]:
    if cell_type != "code":
        return ["YOUR ANSWER HERE"]
    first = hint_line.strip() if hint_line else region[0].strip() if region else ""
    hint = first[len(HINT_PREFIX) :].strip() if first.startswith(HINT_PREFIX) else DEFAULT_HINT
    return ["# YOUR CODE HERE", f"raise NotImplementedError({json.dumps(hint, ensure_ascii=False)})"]


def sources_hash(nb) -> str:
    """SHA-256 of the cells' types and sources: what a student edits (outputs and metadata excluded)."""
    cells = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def make_exercise(solution, name: str):
    """The exercise notebook (an nbformat node) generated from a solution notebook node."""
    _check_against_registry(solution, name)
    nb = copy.deepcopy(solution)
    for number, cell in enumerate(nb.cells, start=1):
        grading = cell.metadata.get("nbgrader", {})
        where = f"{name}, cell {number}"
        has_markers = any(m in cell.source for m in (BEGIN_SOLUTION, BEGIN_HIDDEN, END_SOLUTION, END_HIDDEN))
        if BEGIN_SOLUTION in cell.source and not grading.get("solution"):
            raise GenerationError(f"{where}: {BEGIN_SOLUTION} in a cell without nbgrader solution=true")
        if BEGIN_HIDDEN in cell.source and not grading.get("grade"):
            raise GenerationError(f"{where}: {BEGIN_HIDDEN} in a cell without nbgrader grade=true")
        if grading.get("solution") and BEGIN_SOLUTION not in cell.source:
            cell.source = "\n".join(_stub([], cell.cell_type))
        elif has_markers:
            cell.source = stub_source(cell.source, cell.cell_type, where)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nb.metadata[METADATA_KEY] = {"exercise": name, "generated_sha256": sources_hash(nb)}
    return nb


def notebook_bytes(nb) -> bytes:
    """Exactly what is written to disk (nbformat's layout with a final newline), for --check."""
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def was_edited(path: Path) -> bool:
    """Whether an existing exercise's sources differ from the hash recorded when it was generated."""
    try:
        nb = nbformat.read(path, as_version=4)
        recorded = nb.metadata.get(METADATA_KEY, {}).get("generated_sha256")
    except Exception:  # unreadable: treat as the student's, never overwrite it silently
        return True
    return recorded != sources_hash(nb)


def sync(solution_path: Path, exercise_path: Path, force: bool = False, check: bool = False) -> Outcome:
    """Bring one exercise up to date with its solution (or, with check=True, only compare).

    An exercise edited by a student is kept unless force=True; then it is first copied to
    `<stem>.backup-<timestamp>.ipynb` beside it.
    """
    solution = nbformat.read(solution_path, as_version=4)
    data = notebook_bytes(make_exercise(solution, solution_path.stem))
    if not exercise_path.exists():
        if check:
            return Outcome(exercise_path, "missing")
        _write(exercise_path, data)
        return Outcome(exercise_path, "created")
    if exercise_path.read_bytes() == data:
        return Outcome(exercise_path, "unchanged")
    if check:
        return Outcome(exercise_path, "differs")
    if not was_edited(exercise_path):
        _write(exercise_path, data)
        return Outcome(exercise_path, "updated")
    if not force:
        return Outcome(exercise_path, "kept", "it has your edits; --force regenerates it (keeping a backup)")
    backup = backup_path(exercise_path)
    shutil.copy2(exercise_path, backup)
    _write(exercise_path, data)
    return Outcome(exercise_path, "regenerated", f"your version is saved as {backup}")


def backup_path(path: Path) -> Path:
    """A new file beside `path`: NN_topic.backup-YYYYmmdd-HHMMSS[-k].ipynb."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.backup-{stamp}.ipynb")
    k = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.backup-{stamp}-{k}.ipynb")
        k += 1
    return candidate


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _check_against_registry(solution, name: str) -> None:
    """Every graded cell is a registry task with the same points, and every task has its graded cell."""
    exercise = find_exercise(name)
    if exercise is None:
        raise GenerationError(f"{name}: no module in course_lib/grading/exercises defines this exercise")
    graded = {}
    for cell in solution.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") and not grading.get("solution"):
            graded[grading.get("grade_id")] = grading.get("points")
    expected = {task.grade_id: task.points for task in exercise.tasks}
    if graded != expected:
        raise GenerationError(
            f"{name}: graded cells {graded} disagree with the registry's tasks {expected} ({exercise.module})"
        )
