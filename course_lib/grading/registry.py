"""The registry of graded exercises: which tasks each exercise notebook has and how each is checked.

Every module in `course_lib.grading.exercises` that defines `EXERCISE = Exercise(...)` is an
exercise; nothing else needs registering. The grader never trusts the notebook's own copy of a
test cell: it runs the registry's check, which the notebook's test cell merely calls as well.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache

EXERCISES_PACKAGE = "course_lib.grading.exercises"


@dataclass(frozen=True)
class Task:
    """One graded task: the notebook names it needs and the check that grades them."""

    grade_id: str  # nbgrader grade_id of the notebook's autograded test cell
    points: int  # equals that cell's nbgrader points (tests/grading checks this)
    needs: tuple[str, ...]  # names the notebook must define, passed to `check` in this order
    check: Callable[..., None]  # returns None when right, raises AssertionError with feedback otherwise
    title: str  # a few words for the report


@dataclass(frozen=True)
class Exercise:
    """A graded notebook: solutions/<name>.ipynb and the generated exercises/<name>.ipynb."""

    name: str  # the notebook's file stem, e.g. "01_windows_and_parameters"
    title: str  # human-readable title
    tasks: tuple[Task, ...]  # in notebook order
    module: str = ""  # filled in by the registry: the module that defines this exercise
    memory_limit_gib: float = 4.0  # address-space limit of each grading process
    # {grade_id: course_lib functions a task's answer may not call, e.g. ("course_lib.numpy.rnn_forward",)}:
    # in the notebook's grading process they raise CourseImplementationUsed (see sandbox)
    forbidden: dict = field(default_factory=dict)

    @property
    def max_score(self) -> int:
        return sum(task.points for task in self.tasks)

    def task(self, grade_id: str) -> Task:
        for task in self.tasks:
            if task.grade_id == grade_id:
                return task
        raise KeyError(f"exercise {self.name} has no task {grade_id!r}")


@cache
def exercises() -> dict[str, Exercise]:
    """All registered exercises by name, discovered from the modules of `course_lib.grading.exercises`."""
    package = importlib.import_module(EXERCISES_PACKAGE)
    found = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module_name = f"{EXERCISES_PACKAGE}.{info.name}"
        exercise = getattr(importlib.import_module(module_name), "EXERCISE", None)
        if exercise is None:
            continue
        _validate(exercise, module_name)
        if exercise.name in found:
            where = f"{found[exercise.name].module}, {module_name}"
            raise ValueError(f"exercise {exercise.name} is defined twice ({where})")
        found[exercise.name] = replace(exercise, module=module_name)
    return found


def find_exercise(name: str) -> Exercise | None:
    """The exercise registered under `name`, or None."""
    return exercises().get(name)


def load_exercise_module(module_name: str) -> Exercise:
    """The `EXERCISE` of one registry module, imported alone (what a grading process needs)."""
    exercise = importlib.import_module(module_name).EXERCISE
    _validate(exercise, module_name)
    return exercise


def _validate(exercise: Exercise, module_name: str) -> None:
    ids = [task.grade_id for task in exercise.tasks]
    if not ids:
        raise ValueError(f"{module_name}: exercise {exercise.name} has no tasks")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{module_name}: duplicate grade_id in {ids}")
    unknown = set(exercise.forbidden) - set(ids)
    if unknown:
        raise ValueError(f"{module_name}: forbidden names tasks that do not exist: {sorted(unknown)}")
    for task in exercise.tasks:
        if not isinstance(task.points, int) or task.points <= 0:
            raise ValueError(f"{module_name}: task {task.grade_id} needs a positive int of points")
        if not task.needs or not callable(task.check):
            raise ValueError(f"{module_name}: task {task.grade_id} needs names and a check function")
