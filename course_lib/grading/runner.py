"""Grade a notebook in separate processes, so that no student code can hang or crash the grader.

1. Probe. One process runs the notebook's code cells in order, up to the last graded cell, each
   cell under the time limit, and records how each ended (ok, error, timeout, exit). A cell that
   has to be killed (a hang the alarm cannot interrupt) or that ends the process (os._exit, out of
   memory) is noted, and the probe starts again without it.
2. Tasks. For each task, a fresh process (two at a time) runs the cells before that task's test
   cell — a cell that timed out in the probe gets only a short limit, one that killed the probe is
   skipped — and then the registry's check for the task, under the time limit.
The parent kills a process group that overstays a stage's limit by GRACE seconds. The autograded
test cells of the notebook are never run: a student can edit them; the registry's checks are used.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import course_lib
from course_lib.grading.notebook import StudentNotebook, read_notebook

DEFAULT_TIMEOUT = 60.0  # seconds per cell and per check
GRACE = 2.0  # seconds past a stage's own limit before the parent kills the process group
STARTUP_LIMIT = 60.0  # seconds for a process to start, or to move from one stage to the next
SHORT_LIMIT = 1.0  # seconds for a cell that already timed out in the probe (enough to define functions)
MAX_PARALLEL = 2  # task processes at a time
POLL = 0.05  # seconds between looks at a running process


class GraderError(RuntimeError):
    """The grader itself failed (a bug in the grader, not in the student's notebook)."""


@dataclass(frozen=True)
class TaskResult:
    id: str  # the task's grade_id
    title: str  # a few words for the report
    points: int  # earned: max_points if passed, else 0
    max_points: int
    passed: bool
    verdict: str  # passed, failed, not implemented, error, timed out, crashed
    feedback: str  # what is wrong, "" when passed


@dataclass(frozen=True)
class CellReport:
    index: int  # position of the cell in the notebook, from 0
    label: str  # "cell 5 (`def window_features(...`)"
    status: str  # error, timeout, exit, killed
    message: str


@dataclass(frozen=True)
class GradeReport:
    notebook: str  # the path as given
    exercise: str  # the registered exercise's name
    tasks: tuple[TaskResult, ...]
    cells: tuple[CellReport, ...]  # cells that did not run cleanly when the notebook ran top to bottom

    @property
    def score(self) -> int:
        return sum(task.points for task in self.tasks)

    @property
    def max_score(self) -> int:
        return sum(task.max_points for task in self.tasks)

    def task(self, grade_id: str) -> TaskResult:
        return next(task for task in self.tasks if task.id == grade_id)

    def to_json(self) -> dict:
        """The --json layout: notebook, score, max_score, tasks: id, points, max_points, passed, feedback."""
        return {
            "notebook": self.notebook,
            "score": self.score,
            "max_score": self.max_score,
            "tasks": [
                {
                    "id": t.id,
                    "points": t.points,
                    "max_points": t.max_points,
                    "passed": t.passed,
                    "feedback": t.feedback,
                }
                for t in self.tasks
            ],
        }


@dataclass(frozen=True)
class _Run:
    """How one grading process ended."""

    events: tuple[dict, ...]  # what it reported (see _worker)
    stage: dict | None  # the "start" event of the stage it was in when it ended, if any
    killed: bool  # killed by the parent for overstaying a limit
    returncode: int


@dataclass(frozen=True)
class _Session:
    """What every grading process of one notebook shares."""

    notebook: StudentNotebook
    timeout: float  # seconds per cell and per check
    workdir: Path  # temporary folder for job and event files
    stop: threading.Event  # set when grading is interrupted: every process is killed


class _Interrupted(Exception):
    """Grading was interrupted (Ctrl-C) while this process ran."""


def grade_notebook(path, timeout: float = DEFAULT_TIMEOUT) -> GradeReport:
    """Grade one notebook; raises notebook.UsageError if it cannot be graded at all."""
    notebook = read_notebook(path)
    with tempfile.TemporaryDirectory(prefix="course-grading-") as folder:
        session = _Session(notebook, timeout, Path(folder), threading.Event())
        pool = ThreadPoolExecutor(MAX_PARALLEL)
        try:
            outcomes, skipped = _probe(session)
            tasks = tuple(
                pool.map(lambda task: _grade_task(session, task, outcomes, skipped), notebook.exercise.tasks)
            )
        finally:
            session.stop.set()  # a no-op after normal completion; after Ctrl-C it kills the processes
            pool.shutdown(wait=True, cancel_futures=True)
    cells = tuple(
        CellReport(index, notebook.cells[index].label, status, message)
        for index, (status, message) in sorted(outcomes.items())
        if status != "ok"
    )
    return GradeReport(str(path), notebook.exercise.name, tasks, cells)


def _probe(session: _Session):
    """Run the notebook once; returns {cell index: (status, message)} and {cell index: why skipped}."""
    notebook = session.notebook
    tests = [notebook.test_cell_index(task.grade_id) for task in notebook.exercise.tasks]
    end = max((i for i in tests if i is not None), default=len(notebook.cells))
    outcomes, skipped = {}, {}
    for attempt in range(len(notebook.cells) + 1):
        run = _run_worker(session, _job(session, None, end, {}, skipped), f"probe{attempt}")
        for event in run.events:
            if event["event"] == "end":
                outcomes[event["index"]] = (event["status"], event["error"])
        if any(event["event"] == "done" for event in run.events):
            break
        if run.stage is None or run.stage["stage"] != "cell":
            raise GraderError(_failure_text(run, "the notebook's grading process failed to start"))
        reason = "it hung and had to be killed"
        if not run.killed:
            reason = f"it ended the process ({_death_reason(run)})"
        skipped[run.stage["index"]] = reason
        outcomes[run.stage["index"]] = ("killed", reason)
    return outcomes, skipped


def _grade_task(session: _Session, task, outcomes: dict, skipped: dict) -> TaskResult:
    job = _job(session, task, _task_end(session.notebook, task), outcomes, skipped)
    run = _run_worker(session, job, task.grade_id)
    result = next((event for event in run.events if event["event"] == "result"), None)
    if result is None:
        verdict, feedback = _verdict_without_result(session, task, run)
        result = {"passed": False, "verdict": verdict, "feedback": feedback}
    points = task.points if result["passed"] else 0
    passed, verdict, feedback = result["passed"], result["verdict"], result["feedback"]
    return TaskResult(task.grade_id, task.title, points, task.points, passed, verdict, feedback)


def _task_end(notebook: StudentNotebook, task) -> int:
    """The cells a task's process runs are those before this index: its test cell's position.

    Without that cell (deleted by the student), the next task's test cell; without any, all cells.
    """
    tasks = notebook.exercise.tasks
    later = [notebook.test_cell_index(t.grade_id) for t in tasks[tasks.index(task) :]]
    return next((index for index in later if index is not None), len(notebook.cells))


def _verdict_without_result(session: _Session, task, run: _Run) -> tuple[str, str]:
    """The verdict of a task whose process was killed or died before reporting."""
    names = " or ".join(task.needs)
    if any(event["event"] == "fatal" for event in run.events) or run.stage is None:
        raise GraderError(_failure_text(run, f"grading task {task.grade_id} failed"))
    where = "while checking " + names
    if run.stage["stage"] == "cell":
        where = "while running " + session.notebook.cells[run.stage["index"]].label
    if run.killed:
        return "timed out", f"stopped {where}: no answer within {session.timeout:g} s (an infinite loop?)"
    return "crashed", f"the process ended {where} ({_death_reason(run)})"


def _job(session: _Session, task, end: int, outcomes: dict, skipped: dict) -> dict:
    """The instructions for one grading process: cells before `end` run, each with its time limit."""
    notebook, cells = session.notebook, []
    for cell in notebook.cells:
        if cell.kind != "code" or cell.is_test:
            continue
        limit = session.timeout
        if outcomes.get(cell.index, ("ok",))[0] == "timeout":
            limit = min(session.timeout, SHORT_LIMIT)
        if cell.index in skipped:
            limit = None
        cells.append(
            {
                "index": cell.index,
                "label": cell.label,
                "source": cell.source,
                "run": cell.index < end,
                "limit": limit,
                "note": skipped.get(cell.index),
            }
        )
    return {
        "cells": cells,
        "task": None if task is None else {"module": notebook.exercise.module, "grade_id": task.grade_id},
        "check_limit": session.timeout,
        "memory_limit_bytes": int(notebook.exercise.memory_limit_gib * 2**30),
    }


def _run_worker(session: _Session, job: dict, name: str) -> _Run:
    """Run one grading process to its end, killing its process group if it overstays a limit."""
    if session.stop.is_set():
        raise _Interrupted(name)
    job_path, events_path = session.workdir / f"{name}.job.json", session.workdir / f"{name}.events.jsonl"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    events_path.touch()
    process = subprocess.Popen(
        [sys.executable, "-m", "course_lib.grading._worker", str(job_path), str(events_path)],
        cwd=session.notebook.path.parent,
        env=_worker_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    events, stage, killed, pending = [], None, False, ""
    last_seen = time.monotonic()
    try:
        with open(events_path, encoding="utf-8") as stream:
            while True:
                finished = process.poll() is not None
                *lines, pending = (pending + stream.read()).split("\n")
                for event in filter(None, map(_parse, lines)):
                    events.append(event)
                    stage = event if event["event"] == "start" else None
                    last_seen = time.monotonic()
                if finished:
                    break
                if session.stop.is_set():
                    raise _Interrupted(name)
                limit = stage["limit"] if stage else STARTUP_LIMIT
                if time.monotonic() - last_seen > limit + GRACE:
                    _kill(process)
                    killed = True
                time.sleep(POLL)
    finally:
        _kill(process)  # also ends anything the student's code started in the background
    return _Run(tuple(events), stage, killed, process.returncode)


def _parse(line: str) -> dict | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def _kill(process: subprocess.Popen) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _worker_env() -> dict:
    env = dict(os.environ)
    root = str(Path(course_lib.__file__).resolve().parents[1])  # so the worker imports this course_lib
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.update(
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _death_reason(run: _Run) -> str:
    """Why a process that the grader did not kill ended early."""
    if run.returncode < 0:
        number = -run.returncode
        name = signal.Signals(number).name if number in signal.valid_signals() else "a signal"
        return f"killed by {name}{': out of memory?' if name == 'SIGKILL' else ''}"
    return f"exit code {run.returncode}: os._exit() or a crash"


def _failure_text(run: _Run, what: str) -> str:
    fatal = [event["error"] for event in run.events if event["event"] == "fatal"]
    detail = fatal[0] if fatal else f"exit code {run.returncode}"
    return f"{what}: {detail}"
