"""Reading a student's notebook for grading: its cells, its graded cells, and which exercise it is.

The notebook is read as plain JSON and never written. IPython syntax (`%magic`, `!shell`) is
turned into Python that does nothing, because the grader runs cells with plain `exec`.
"""

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from course_lib.grading.registry import Exercise, exercises

# Cell magics whose body is Python: the body runs without the magic line; any other cell magic
# (%%bash, %%writefile, %%html, ...) makes the whole cell a no-op.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
# A line that is IPython syntax: "%matplotlib inline", "!pip install x", "files = !ls", "t = %timeit -o f()".
_MAGIC_LINE = re.compile(r"^\s*(?:[%!]|[\w.,\s]+=\s*[%!])")


class UsageError(Exception):
    """The grader was asked to grade something it cannot (exit status 2)."""


@dataclass(frozen=True)
class Cell:
    """One cell of the notebook, as the grader sees it."""

    index: int  # position among all cells, from 0 (reports say "cell index + 1")
    kind: str  # "code", "markdown" or "raw"
    source: str  # for code cells: the source with IPython syntax neutralised
    grade_id: str | None  # nbgrader grade_id, if the cell has one
    is_test: bool  # an autograded test cell (nbgrader grade=true, solution=false): never run

    @property
    def first_line(self) -> str:
        """The first line of code (or of comment, if that is all), to name the cell in feedback."""
        lines = [line.strip() for line in self.source.splitlines() if line.strip()]
        code = [line for line in lines if not line.startswith("#")] or lines
        text = code[0] if code else "(empty)"
        return text if len(text) <= 50 else text[:47] + "..."

    @property
    def label(self) -> str:
        return f"cell {self.index + 1} (`{self.first_line}`)"


@dataclass(frozen=True)
class StudentNotebook:
    """A notebook to grade, matched to its registered exercise."""

    path: Path
    exercise: Exercise
    cells: tuple[Cell, ...]

    def test_cell_index(self, grade_id: str) -> int | None:
        """Position of the autograded test cell of a task, or None if the student deleted it."""
        for cell in self.cells:
            if cell.is_test and cell.grade_id == grade_id:
                return cell.index
        return None


def read_notebook(path) -> StudentNotebook:
    """Read and classify a notebook; UsageError if it is missing, not a notebook, or not an exercise."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(
            f"{path} is a folder: give one notebook file, e.g. exercises/01_windows_and_parameters.ipynb"
        )
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"{path} is not a Jupyter notebook ({type(error).__name__}: {error})") from None
    cells = _expect(path, "the notebook", data, dict).get("cells")
    _expect(path, '"cells"', cells, list)
    metadata = data.get("metadata", {})
    _expect(path, '"metadata"', metadata, dict)
    parsed = []
    for index, raw in enumerate(cells):
        _expect(path, f"cell {index + 1}", raw, dict)
        if raw.get("cell_type") not in ("code", "markdown", "raw"):
            got = repr(raw.get("cell_type"))[:40]
            raise UsageError(
                f"{path} is not a Jupyter notebook: cell {index + 1} has cell_type {got}, "
                "expected code, markdown or raw"
            )
        _expect(path, f'the "metadata" of cell {index + 1}', raw.get("metadata", {}), dict)
        _expect(
            path,
            f'the "nbgrader" metadata of cell {index + 1}',
            raw.get("metadata", {}).get("nbgrader", {}),
            dict,
        )
        source = raw.get("source", "")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(s, str) for s in source)
        ):
            raise UsageError(
                f"{path} is not a Jupyter notebook: the source of cell {index + 1} should be a "
                f"string or a list of strings, got {type(source).__name__}"
            )
        parsed.append(_cell(index, raw))
    exercise = _match_exercise(path, metadata)
    return StudentNotebook(path, exercise, tuple(parsed))


def _expect(path, what, value, kind):
    """`value` if it is a `kind`, else UsageError naming what was expected and what came."""
    if not isinstance(value, kind):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise UsageError(
            f"{path} is not a Jupyter notebook: {what} should be a "
            f"{'JSON object' if kind is dict else 'JSON list'}, "
            f"got {type(value).__name__} {shown}"
        )
    return value


def neutralise_ipython(source: str) -> str:
    """Plain Python for a cell: magic and shell lines become `pass` (keeping indentation and line numbers).

    Source that already parses as Python is returned unchanged, so a string that happens to
    start a line with "%" is never touched.
    """
    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split(maxsplit=1)
        if not magic or magic[0] not in PYTHON_CELL_MAGICS:
            return "pass"
        lines = ["pass", *lines[1:]]
    try:
        ast.parse("\n".join(lines))
        return "\n".join(lines)
    except (SyntaxError, ValueError):
        pass
    out = []
    for line in lines:
        if _MAGIC_LINE.match(line):
            indent = line[: len(line) - len(line.lstrip())]
            line = f"{indent}pass"
        out.append(line)
    return "\n".join(out)


def defines(source: str, name: str) -> bool:
    """Whether a cell's top-level code defines `name` (def, class, assignment or import)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        pattern = rf"^(?:def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*(?::[^=\n]*)?="
        return re.search(pattern, source, re.MULTILINE) is not None
    return name in _top_level_names(tree.body)


def deletes(source: str, name: str) -> bool:
    """Whether a cell's top-level code deletes `name` (`del name`)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(node, ast.Delete) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        for node in tree.body
    )


def _top_level_names(body) -> set[str]:
    names = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            targets += [item.optional_vars for item in getattr(node, "items", [])]
            nodes = [n for t in targets if t is not None for n in ast.walk(t)]
            names.update(n.id for n in nodes if isinstance(n, ast.Name))
        for block in ("body", "orelse", "finalbody", "handlers"):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names |= _top_level_names(getattr(node, block, []))
    return names


def _cell(index: int, raw: dict) -> Cell:
    source = raw.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    grading = raw.get("metadata", {}).get("nbgrader", {})
    kind = raw["cell_type"]
    is_test = kind == "code" and bool(grading.get("grade")) and not grading.get("solution")
    if kind == "code":
        source = neutralise_ipython(source)
    return Cell(index, kind, source, grading.get("grade_id"), is_test)


def _match_exercise(path: Path, metadata: dict) -> Exercise:
    """The exercise named in the notebook's metadata, else the one whose name starts the file name."""
    known = exercises()
    section = metadata.get("course_lib", {})
    if not isinstance(section, dict):
        raise UsageError(
            f'{path}: metadata "course_lib" should be a JSON object such as '
            f'{{"exercise": "01_windows_and_parameters"}}, got {type(section).__name__} {section!r:.40}'
        )
    recorded = section.get("exercise")
    if recorded is not None and (not isinstance(recorded, str) or recorded not in known):
        raise UsageError(
            f'{path}: metadata "course_lib" names exercise {recorded!r:.60}, which is none of '
            f"{', '.join(sorted(known))}"
        )
    if recorded in known:
        return known[recorded]
    # Longest name first: a renamed copy such as "01_windows_and_parameters-Copy1.ipynb" still matches.
    for name in sorted(known, key=len, reverse=True):
        if path.stem.startswith(name):
            return known[name]
    raise UsageError(
        f"{path} has no known graded tasks: it is none of the exercises {', '.join(sorted(known))}"
    )
