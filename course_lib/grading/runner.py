"""Grade a notebook: the notebook's code runs in its own processes, every comparison in this one.

The grader imports the exercise's checks (and NumPy) before any student code exists, writes the
notebook's copy of course_lib (sandbox.build_student_library: the course's answers removed) and
starts one process for the notebook (_worker), in its own session, with that copy and the sandbox's
guard. The process runs the code cells once, top to bottom, up to the last graded cell, each under
the time limit; when it reaches a task's graded cell it forks a copy that keeps the namespace as it
is there and answers that task's requests, while it goes on with the next cells. Each task's check
runs here, in a thread (two at a time): it calls the notebook's functions through remote.Remote
proxies, on inputs it draws from its own seeded generator, and compares what comes back with its
references. Nothing the notebook's processes send is taken as a verdict. When the exercise's checks use
torch, the grader imports it (limited to one thread) in the background while the notebook's process
starts, so that the first check does not wait for it.

A cell that has to be killed (a hang the alarm cannot interrupt) or that ends the process
(os._exit, out of memory) is noted, and the notebook runs again without it for the tasks that
have no server yet. Every process the grading started, including those that left the session, is
killed when grading ends (they all carry this grading's token in their environment). The
autograded test cells of the notebook are never run: the registry's checks are the truth.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from course_lib.grading import remote, sandbox, wire
from course_lib.grading.compare import NotAllowed, NotImplementedYet, StudentError
from course_lib.grading.notebook import StudentNotebook, defines, deletes, read_notebook
from course_lib.grading.registry import exercises, load_exercise_module

DEFAULT_TIMEOUT = 60.0  # seconds per cell and per check
GRACE = 2.0  # seconds past a stage's own limit before the grader kills the process
STARTUP_LIMIT = 60.0  # seconds for the notebook's process to start, or to move from one cell to the next
SHORT_LIMIT = 1.0  # seconds for a cell that already timed out once (enough to define functions)
MAX_PARALLEL = 2  # checks at a time
TOKEN_VARIABLE = "COURSE_GRADING_TOKEN"  # marks every process of one grading, to end them all
# Imported once (if the notebook uses it), shared by every task's copy: {module: what in a cell's
# source shows that the cell imports it}. course_lib.train imports torch (so does course_lib.torch).
PRELOAD = {"numpy": ("numpy",), "torch": ("torch", "course_lib.train")}
# an exercise module whose checks use torch (it imports torch lazily, or compare_torch)
CHECKS_USE_TORCH = re.compile(
    r"^\s*(import torch|from torch\b|from course_lib\.grading\.compare_torch)", re.M
)


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


@dataclass
class _Worker:
    """One run of the notebook's process."""

    process: subprocess.Popen
    channel: wire.Channel  # events from the process
    connections: dict  # task grade_id -> remote.Connection of its server


class _Grading:
    """What every process of one grading shares."""

    def __init__(self, notebook: StudentNotebook, timeout: float, library: Path):
        self.notebook, self.timeout, self.library = notebook, timeout, library
        self.token = secrets.token_hex(16)
        self.outcomes, self.skipped = {}, {}  # cell index -> (status, message); -> why skipped
        self.server_pids = {}  # task -> pid of its server, as reported
        self.exit_codes = {}  # task -> how its server ended (os.waitstatus_to_exitcode), once known
        self.ended = threading.Condition()
        self.workers = []

    def run(self) -> tuple:
        tasks = self.notebook.exercise.tasks
        pending = [task.grade_id for task in tasks]
        futures = {}
        with ThreadPoolExecutor(MAX_PARALLEL) as pool:
            for _ in range(len(self.notebook.cells) + 1):
                if not pending:
                    break
                worker = self._start(pending)
                for grade_id in self._follow(worker):
                    pending.remove(grade_id)
                    outcomes = dict(self.outcomes)
                    connection = worker.connections[grade_id]
                    futures[grade_id] = pool.submit(self._grade, grade_id, connection, outcomes)
            results = []
            for task in tasks:
                if task.grade_id in futures:
                    results.append(futures[task.grade_id].result())
                else:
                    feedback = "the notebook's process could not reach this task's graded cell"
                    results.append(
                        TaskResult(task.grade_id, task.title, 0, task.points, False, "crashed", feedback)
                    )
        return tuple(results)

    def _start(self, pending) -> _Worker:
        notebook = self.notebook
        keep, connections, servers = [], {}, []
        job_read, job_write = os.pipe()
        event_read, event_write = os.pipe()
        keep += [job_read, event_write]
        for grade_id in pending:
            to_server_read, to_server_write = os.pipe()
            from_server_read, from_server_write = os.pipe()
            keep += [to_server_read, from_server_write]
            channel = wire.Channel(from_server_read, to_server_write)
            connections[grade_id] = remote.Connection(channel, self.timeout, GRACE)
            end = _task_end(notebook, notebook.exercise.task(grade_id))
            servers.append({"task": grade_id, "end": end, "fds": [to_server_read, from_server_write]})
        process = subprocess.Popen(
            [sys.executable, "-P", "-m", "course_lib.grading._worker", str(job_read), str(event_write)],
            cwd=notebook.path.parent,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            pass_fds=keep,
        )
        for fd in keep:
            os.close(fd)
        worker = _Worker(process, wire.Channel(event_read, job_write), connections)
        self.workers.append(worker)
        worker.channel.send(self._job(servers, [job_read, event_write]))
        return worker

    def _job(self, servers, main_fds) -> dict:
        notebook = self.notebook
        tests = [notebook.test_cell_index(task.grade_id) for task in notebook.exercise.tasks]
        end = max((i for i in tests if i is not None), default=len(notebook.cells))
        cells = []
        for cell in notebook.cells:
            if cell.kind != "code" or cell.is_test:
                continue
            limit = self.timeout
            if self.outcomes.get(cell.index, ("ok",))[0] == "timeout":
                limit = min(self.timeout, SHORT_LIMIT)
            if cell.index in self.skipped:
                limit = None
            cells.append(
                {"index": cell.index, "source": cell.source, "run": cell.index < end, "limit": limit}
            )
        root = sandbox.COURSE_ROOT.parent
        folders = {root / "solutions", notebook.path.resolve().parent.parent / "solutions"}
        guard = {
            "real_course": str(sandbox.COURSE_ROOT),
            "solution_dirs": sorted(map(str, folders)),
            "solution_names": [f"{name}.ipynb" for name in exercises()],
        }
        return {
            "cells": cells,
            "servers": servers,
            "main_fds": main_fds,
            "preload": [  # what the cells that run use (cells after the last graded one never run)
                name
                for name, signs in PRELOAD.items()
                if _available(name) and any(c["run"] and any(s in c["source"] for s in signs) for c in cells)
            ],
            "memory_limit_bytes": int(notebook.exercise.memory_limit_gib * 2**30),
            "guard": guard,
        }

    def _env(self) -> dict:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.library), env.get("PYTHONPATH")) if p)
        env.update(
            MPLBACKEND="Agg",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            PYTHONHASHSEED="0",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env[TOKEN_VARIABLE] = self.token
        return env

    def _follow(self, worker: _Worker):
        """Yield each task whose server is ready, recording how each cell ended, until the run ends."""
        stage, deadline = None, time.monotonic() + STARTUP_LIMIT
        while True:
            try:
                event = worker.channel.receive(deadline)
            except wire.ChannelTimeout:
                _kill_one(worker.process.pid)
                if stage is None:
                    raise GraderError("the notebook's process did not start in time") from None
                self._skip(stage, "it hung and had to be killed")
                return
            except wire.WireError:
                worker.process.wait()
                if stage is None:
                    reason = _death_reason(worker.process)
                    raise GraderError(f"the notebook's process ended early ({reason})") from None
                self._skip(stage, f"it ended the process ({_death_reason(worker.process)})")
                return
            kind = event.get("event")
            if kind == "start":
                stage = event["index"]
                deadline = time.monotonic() + float(event["limit"]) + GRACE
            elif kind == "end":
                self.outcomes[event["index"]] = (event["status"], event["error"])
                stage, deadline = None, time.monotonic() + STARTUP_LIMIT
            elif kind == "server" and event.get("task") in worker.connections:
                self.server_pids[event["task"]] = int(event.get("pid", 0)) or None
                yield event["task"]
                deadline = time.monotonic() + STARTUP_LIMIT
            elif kind == "done":
                threading.Thread(target=self._exits, args=(worker,), daemon=True).start()
                return
            elif kind == "fatal":
                raise GraderError(f"the notebook's grading process failed: {event.get('error')}")

    def _exits(self, worker: _Worker) -> None:
        """After the cells, the notebook's process reports how each task's server ended."""
        while True:
            try:
                event = worker.channel.receive()
            except (wire.WireError, OSError):
                return
            if event.get("event") == "exit" and event.get("task") in worker.connections:
                with self.ended:
                    self.exit_codes[event["task"]] = int(event["code"])
                    self.ended.notify_all()

    def _exit_reason(self, grade_id: str) -> str:
        """How a task's server ended, as its parent saw it, or this process if the parent died first."""
        deadline = time.monotonic() + 2.0
        code = None
        while code is None and time.monotonic() < deadline:
            with self.ended:
                self.ended.wait_for(lambda: grade_id in self.exit_codes, timeout=0.05)
                code = self.exit_codes.get(grade_id)
            pid = self.server_pids.get(grade_id)
            if code is None and pid is not None:
                try:  # an orphan: ours to reap when this process is the subreaper (Linux)
                    found, status = os.waitpid(pid, os.WNOHANG)
                    code = os.waitstatus_to_exitcode(status) if found else None
                except ChildProcessError:
                    pass
        if code is None:
            return "os._exit(), a crash, or out of memory?"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else "a signal"
            return f"killed by {name}{': out of memory?' if name == 'SIGKILL' else ''}"
        return f"exit code {code}: os._exit() or a crash"

    def _skip(self, index: int, reason: str) -> None:
        self.skipped[index] = reason
        self.outcomes[index] = ("killed", reason)

    def _grade(self, grade_id: str, connection: remote.Connection, outcomes: dict):
        task = self.notebook.exercise.task(grade_id)
        names = " or ".join(task.needs)
        try:
            connection.start()
            values = connection.names(task.needs)
            missing = [name for name in task.needs if name not in values]
            if missing:
                verdict, feedback = explain_missing(
                    missing[0], self.notebook, _task_end(self.notebook, task), outcomes
                )
            else:
                verdict, feedback = _verdict(task, values)
        except (wire.WireError, KeyError, TypeError, ValueError, AttributeError):
            verdict = "error"
            feedback = (
                "the notebook's process answered with something that is not an answer: does the code "
                "write to file descriptors it did not open?"
            )
        except remote.TaskTimeout:
            verdict, feedback = (
                "timed out",
                f"no answer within {self.timeout:g} s: does {names} loop forever?",
            )
        except remote.TaskCrashed:
            verdict = "crashed"
            feedback = f"the process ended while checking {names} ({self._exit_reason(grade_id)})"
        finally:
            connection.close()
        passed = verdict == "passed"
        return TaskResult(
            task.grade_id, task.title, task.points if passed else 0, task.points, passed, verdict, feedback
        )

    def close(self) -> None:
        """Kill every process of this grading (also those that left the session) and close the channels."""
        for worker in self.workers:
            _kill_group(worker.process)
        _kill_marked(self.token)
        for pid in filter(None, self.server_pids.values()):
            try:  # an orphaned server became this process's child (as subreaper): reap it
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        for worker in self.workers:
            worker.process.wait()
            for fd in (worker.channel.read_fd, worker.channel.write_fd):
                _close(fd)
            for connection in worker.connections.values():
                _close(connection.channel.read_fd)
                _close(connection.channel.write_fd)


def _verdict(task, values) -> tuple[str, str]:
    """Run the registry's check on the notebook's values (Remote proxies); (verdict, feedback)."""
    try:
        task.check(*(values[name] for name in task.needs))
    except NotAllowed as failure:
        return "not allowed", str(failure)
    except NotImplementedYet as failure:
        return "not implemented", str(failure)
    except StudentError as failure:
        return "error", str(failure)
    except AssertionError as failure:
        return "failed", str(failure) or "a check failed"
    except remote.RemoteError as error:
        return "error", _clip(f"your code raised {error}")
    except (remote.TaskTimeout, remote.TaskCrashed):
        raise
    except Exception as error:
        return "error", _clip(f"the check could not use your answer: {type(error).__name__}: {error}")
    return "passed", ""


def explain_missing(name: str, notebook: StudentNotebook, end: int, outcomes: dict) -> tuple[str, str]:
    """Why a needed name is not defined when the task's graded cell comes: not defined, deleted, failed."""
    code = [cell for cell in notebook.cells if cell.kind == "code" and not cell.is_test]
    ran = [cell for cell in code if cell.index < end]
    refused = [
        cell for cell in ran if "NotAllowedWhileGrading" in (outcomes.get(cell.index, ("ok", ""))[1] or "")
    ]
    if refused:
        error = outcomes[refused[0].index][1]
        return (
            "not allowed",
            f"{name} is not defined: {refused[0].label} failed ({error}); the task earns no points",
        )
    definers = [cell for cell in ran if defines(cell.source, name)]
    deleting = [
        cell
        for cell in ran
        if deletes(cell.source, name) and (not definers or cell.index >= definers[-1].index)
    ]
    if deleting and outcomes.get(deleting[-1].index, ("ok",))[0] == "ok":
        return "error", f"{name} is not defined: {deleting[-1].label} deletes it (del {name})"
    if not definers:
        later = [cell for cell in code if cell.index >= end and defines(cell.source, name)]
        if later:
            return "error", (
                f"{name} is not defined yet when its graded cell runs: cell {later[0].index + 1} "
                "defines it, later"
            )
        word = re.compile(rf"\b{re.escape(name)}\b")
        mention = [
            cell for cell in ran if word.search(cell.source) and outcomes.get(cell.index, ("ok",))[0] != "ok"
        ]
        if not mention:
            return "error", f"{name} is not defined: no cell defines it (was it renamed or deleted?)"
        definers = mention[:1]
    cell = definers[-1]
    status, error = outcomes.get(cell.index, ("skipped", "it was skipped"))
    if status == "killed":
        return "error", f"{name} is not defined: {cell.label} was not run because {error}"
    if status == "ok":
        return "error", f"{name} is not defined: {cell.label} ran but did not define it"
    if error and "NotAllowedWhileGrading" in error:
        return (
            "not allowed",
            f"{name} is not defined: {cell.label} failed ({error}); the task earns no points",
        )
    if error and error.startswith("NotImplementedError"):
        hint = error.partition(":")[2].strip()
        hint = hint.rsplit(" (line ", 1)[0] if hint.endswith(")") and " (line " in hint else hint
        hint = f" (hint: {hint})" if hint else ""
        return (
            "not implemented",
            f"{name} is not implemented yet: cell {cell.index + 1} raises NotImplementedError{hint}",
        )
    return "error", f"{name} is not defined: {cell.label} failed ({error})"


def _task_end(notebook: StudentNotebook, task) -> int:
    """The cells a task's server sees are those before this index: its graded cell's position.

    Without that cell (deleted by the student), the next task's graded cell; without any, all cells.
    """
    tasks = notebook.exercise.tasks
    later = [notebook.test_cell_index(t.grade_id) for t in tasks[tasks.index(task) :]]
    return next((index for index in later if index is not None), len(notebook.cells))


def grade_notebook(path, timeout: float = DEFAULT_TIMEOUT) -> GradeReport:
    """Grade one notebook; raises notebook.UsageError if it cannot be graded at all."""
    notebook = read_notebook(path)
    load_exercise_module(notebook.exercise.module)  # the checks exist before any student code runs
    preload = _preload_for_checks(notebook)  # torch, while the notebook's process starts
    with tempfile.TemporaryDirectory(prefix="course-grading-") as folder, _Subreaper():
        library = sandbox.build_student_library(notebook.exercise, Path(folder))
        grading = _Grading(notebook, timeout, library)
        try:
            tasks = grading.run()
        finally:
            grading.close()
            if preload is not None:
                preload.join()  # never leave an import half done at exit
    cells = tuple(
        CellReport(index, notebook.cells[index].label, status, message)
        for index, (status, message) in sorted(grading.outcomes.items())
        if status != "ok"
    )
    return GradeReport(str(path), notebook.exercise.name, tasks, cells)


class _Preload(threading.Thread):
    """Import torch in the grader's process (one thread for its operations) while the notebook's runs."""

    def __init__(self):
        super().__init__(name="course-grading-preload", daemon=True)

    def run(self):
        try:
            import torch

            torch.set_num_threads(1)  # the checks' tensors are tiny; more threads only fight the notebook's
        except Exception:  # a check that needs torch imports it again and reports the error
            pass


def _preload_for_checks(notebook: StudentNotebook) -> _Preload | None:
    """Start importing torch here if the exercise's checks use it, before the first check needs it.

    The import takes one to two seconds of CPU; begun now, it overlaps with the notebook's process
    starting and running its first cells instead of delaying the first check. None when the checks
    do without torch (their module never imports it, even lazily): they then never load it.
    """
    if not _available("torch"):
        return None
    source = Path(sys.modules[notebook.exercise.module].__file__).read_text(encoding="utf-8")
    if not CHECKS_USE_TORCH.search(source):
        return None
    thread = _Preload()
    thread.start()
    return thread


class _Subreaper:
    """While grading, orphans of the notebook's processes become this process's children (Linux only)."""

    SET, GET = 36, 37  # PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER

    def __enter__(self):
        self.prctl, self.before = None, None
        if sys.platform.startswith("linux"):
            import ctypes

            try:
                self.prctl = ctypes.CDLL(None, use_errno=True).prctl
                before = ctypes.c_int(0)
                self.prctl(self.GET, ctypes.byref(before), 0, 0, 0)
                self.before = before.value
                self.prctl(self.SET, 1, 0, 0, 0)
            except (OSError, AttributeError):
                self.prctl = None
        return self

    def __exit__(self, *exc):
        if self.prctl is not None:
            self.prctl(self.SET, self.before, 0, 0, 0)


def _available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _kill_one(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_marked(token: str) -> None:
    """Kill every process whose environment carries `token` (Linux: /proc), until none is left."""
    marker = f"{TOKEN_VARIABLE}={token}".encode()
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for _ in range(20):
        found = []
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found:
            return
        for pid in found:
            _kill_one(pid)
        time.sleep(0.02)
        for pid in found:
            try:  # reap those that became this process's children (as subreaper)
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _death_reason(process: subprocess.Popen) -> str:
    """Why a process that the grader did not kill ended early."""
    code = process.returncode
    if code is not None and code < 0:
        number = -code
        name = signal.Signals(number).name if number in signal.valid_signals() else "a signal"
        return f"killed by {name}{': out of memory?' if name == 'SIGKILL' else ''}"
    return f"exit code {code}: os._exit() or a crash"


def _clip(text: str, size: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[: size - 3] + "..."
