"""What a notebook's grading process may reach: a course_lib without the answers, and no solutions.

The grader (a clean process) writes a copy of course_lib into a temporary folder with
`build_student_library`: in it, the course's own implementation of every function an exercise asks
for (Exercise.forbidden, e.g. course_lib.numpy.rnn_forward), and every function of the exercise
modules except the helpers a notebook uses (their STUDENT_HELPERS), raise `CourseImplementationUsed`
instead of answering. The notebook's process imports course_lib from that copy only, and before any
of its cells runs it calls `install_guard`, an audit hook (which Python cannot remove) that refuses to
open the real course_lib's source, anything under the course's solutions/ folder or a solution
notebook, and to start programs or load C libraries. A notebook that uses the course's answer, or
reads a solution, gets an exception naming what it did; the grader's feedback says so for the task,
which scores zero.
"""

import ast
import importlib
import os
import shutil
import sys
from pathlib import Path

import course_lib

COURSE_ROOT = Path(course_lib.__file__).resolve().parent  # the real package
EXERCISE_MODULES = COURSE_ROOT / "grading" / "exercises"
FORBIDDEN_EVENTS = {
    "subprocess.Popen": "start another program",
    "os.system": "start another program",
    "os.exec": "start another program",
    "os.posix_spawn": "start another program",
    "os.spawn": "start another program",
    "pty.spawn": "start another program",
    "ctypes.dlopen": "load a C library",
    "ctypes.dlsym": "look up C functions",
    "ctypes.dlsym/handle": "look up C functions",
    "ctypes.call_function": "call C functions through ctypes",
    "socket.connect": "open network connections",
}


class CourseImplementationUsed(RuntimeError):
    """Student code called the course's own implementation of a function a task asks for."""


class NotAllowedWhileGrading(PermissionError):
    """Student code read a solution or the course's sources, or started a program, while graded."""


def resolve(dotted: str, depth: int = 0):
    """(source file, qualified name) of a course_lib function or method, e.g. course_lib.numpy.rnn_forward.

    Read from the sources (following `from ... import` re-exports), so that nothing is imported.
    """
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        base = COURSE_ROOT.parent.joinpath(*parts[:cut])
        path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if path.is_file():
            break
    else:
        raise ValueError(f"{dotted}: no such module in course_lib")
    name, rest = parts[cut], parts[cut + 1 :]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return path.resolve(), ".".join([name, *rest])
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and depth < 5:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    package = parts[:cut] if path.name == "__init__.py" else parts[: cut - 1]
                    module = node.module or ""
                    if node.level:
                        module = ".".join(
                            package[: len(package) - node.level + 1] + ([module] if module else [])
                        )
                    return resolve(".".join([module, alias.name, *rest]), depth + 1)
    raise ValueError(f"{dotted}: {name} is not defined in {path.name}")


def build_student_library(exercise, folder: Path) -> Path:
    """Write the notebook's course_lib into folder/course_lib; returns folder (for PYTHONPATH)."""
    blocked = {}  # source file -> {qualified name: what the feedback calls it}
    for task_names in exercise.forbidden.values():
        for dotted in task_names:
            path, qualname = resolve(dotted)
            blocked.setdefault(path, {})[qualname] = dotted
    helpers = _student_helpers(exercise)
    target = folder / "course_lib"
    for source in COURSE_ROOT.rglob("*"):
        if "__pycache__" in source.parts or source.is_dir():
            continue
        destination = target / source.relative_to(COURSE_ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix != ".py":
            shutil.copyfile(source, destination)
            continue
        text = source.read_text(encoding="utf-8")
        if source.parent == EXERCISE_MODULES and source.name != "__init__.py":
            text = _strip_exercise_module(text, source, helpers.get(source.stem, ()))
        elif source in blocked:
            text = _strip(text, blocked[source], check_stubs=False)
        destination.write_text(text, encoding="utf-8")
    return folder


def _student_helpers(exercise) -> dict:
    """{module stem: names a notebook may use} for every exercise module (a notebook may import any)."""
    found = {}
    for path in EXERCISE_MODULES.glob("ex*.py"):
        module = importlib.import_module(f"course_lib.grading.exercises.{path.stem}")
        found[path.stem] = tuple(getattr(module, "STUDENT_HELPERS", ()))
    return found


def _strip_exercise_module(text: str, path: Path, helpers) -> str:
    tree = ast.parse(text)
    names = {
        node.name: f"{path.stem}.{node.name}"
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name not in helpers
    }
    return _strip(text, names, check_stubs=True, tree=tree)


def _strip(text: str, names: dict, check_stubs: bool, tree=None) -> str:
    """`text` with the body of each function or method in `names` ({qualname: shown}) replaced.

    tree: `text` already parsed, if the caller has it (parsing is most of the sandbox's cost).
    """
    lines = text.splitlines()
    edits = []
    for node, qualname in _definitions(tree if tree is not None else ast.parse(text)):
        if qualname not in names:
            continue
        if isinstance(node, ast.ClassDef):
            continue  # its methods are listed separately when they are blocked
        body = node.body
        first = body[0]
        keep_doc = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
        start = body[1].lineno if keep_doc and len(body) > 1 else first.lineno
        if keep_doc and len(body) == 1:
            continue
        indent = " " * body[-1].col_offset
        if check_stubs and node.name.startswith("check_"):
            new = f"{indent}return None  # graded by the grader, never in the notebook's process"
        else:
            new = (
                f"{indent}raise __import__('course_lib.grading.sandbox', fromlist=['_'])"
                f".CourseImplementationUsed({names[qualname]!r})"
            )
        edits.append((start - 1, node.end_lineno, new))
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = [new]
    return "\n".join(lines) + "\n"


def _definitions(tree, prefix=""):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qualname = f"{prefix}{node.name}"
            yield node, qualname
            if isinstance(node, ast.ClassDef):
                yield from _definitions(node, qualname + ".")


def install_guard(real_course: str, solution_dirs, solution_names) -> None:
    """Refuse, from now on and for good, what a notebook's grading process may not do (module docstring)."""
    real_course = os.path.realpath(real_course) + os.sep
    solution_dirs = tuple(os.path.realpath(d) + os.sep for d in solution_dirs)
    solution_names = frozenset(solution_names)
    realpath, fspath, sep, getpid = os.path.realpath, os.fspath, os.sep, os.getpid
    refuse = NotAllowedWhileGrading

    def hook(event, args):
        if event == "open":
            target = args[0]
            if isinstance(target, int) or target is None:
                return
            path = realpath(
                fspath(target) if not isinstance(target, bytes) else target.decode(errors="replace")
            )
            if path.startswith(real_course):
                raise refuse(f"the grader does not let a notebook read the course's sources ({path})")
            if path.startswith(solution_dirs) or path.rsplit(sep, 1)[-1] in solution_names:
                raise refuse(f"the grader does not let a notebook read the solutions ({path})")
            if (
                path.startswith("/proc/")
                and path[6:7].isdigit()
                and not path.startswith(f"/proc/{getpid()}/")
            ):
                raise refuse("the grader does not let a notebook read other processes")
        elif event in FORBIDDEN_EVENTS:
            raise refuse(f"the grader does not let a notebook {FORBIDDEN_EVENTS[event]} ({event})")

    sys.addaudithook(hook)
