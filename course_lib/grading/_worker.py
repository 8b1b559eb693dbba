"""One grading process: run a notebook's code cells in one namespace, then (optionally) one task's check.

    python -m course_lib.grading._worker JOB.json EVENTS.jsonl

Started only by course_lib.grading.runner, in a fresh process group with stdin, stdout and stderr
on /dev/null. JOB.json says which cells to run (with a time limit each), which task to check and
the memory limit. The process reports on EVENTS.jsonl, one JSON object per line, written as it goes:

    {"event": "start", "stage": "cell", "index": 4, "limit": 60}    before each cell
    {"event": "end", "stage": "cell", "index": 4, "status": "ok" | "error" | "timeout" | "exit", "error": ...}
    {"event": "start", "stage": "check", "limit": 60}               before the task's check
    {"event": "result", "passed": bool, "verdict": ..., "feedback": ...}
    {"event": "done"}                                               the process is about to exit

so that the parent knows what was running if the process has to be killed or dies. Time limits
raise `StageTimeout`, a BaseException, so student code that catches Exception cannot swallow it;
code that catches everything, or hangs inside C code, is killed by the parent instead.
"""

import builtins
import json
import os
import re
import signal
import sys
import threading
import traceback

from course_lib.grading.compare import NotImplementedYet, StudentError
from course_lib.grading.notebook import defines
from course_lib.grading.registry import load_exercise_module

MAX_ERROR = 300  # characters of an error message kept in a report


class StageTimeout(BaseException):
    """A cell or a check ran past its time limit."""


class _Alarm:
    """Raise StageTimeout in the main thread after `limit` seconds (SIGALRM; a timer thread on Windows)."""

    def __init__(self):
        self.armed = False
        self.timer = None
        if hasattr(signal, "SIGALRM"):
            signal.signal(signal.SIGALRM, self._fire)
        else:
            signal.signal(signal.SIGINT, self._fire)

    def _fire(self, signum, frame):
        if self.armed:
            raise StageTimeout

    def arm(self, limit: float) -> None:
        self.armed = True
        if hasattr(signal, "SIGALRM"):
            # Fire again every half second: a loop that catches the first one gets another.
            signal.setitimer(signal.ITIMER_REAL, limit, 0.5)
        else:
            import _thread

            self.timer = threading.Timer(limit, _thread.interrupt_main, args=(signal.SIGINT,))
            self.timer.daemon = True
            self.timer.start()

    def disarm(self) -> None:
        self.armed = False
        if hasattr(signal, "SIGALRM"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        elif self.timer is not None:
            self.timer.cancel()


def limit_memory(limit_bytes: int) -> None:
    """Cap the address space, so that a huge allocation raises MemoryError (where the OS supports it)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    except (ImportError, ValueError, OSError):
        pass  # Windows and some macOS versions: no limit, the parent's timeout still applies


def run_cell(cell: dict, namespace: dict, alarm: _Alarm) -> tuple[str, str | None]:
    """Execute one cell's source; returns (status, error message or None)."""
    label = f"<cell {cell['index'] + 1}>"
    try:
        code = compile(cell["source"], label, "exec")
    except (SyntaxError, ValueError) as error:
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        return "error", _clip(f"{type(error).__name__}: {getattr(error, 'msg', error)}{line}")
    try:
        try:
            alarm.arm(cell["limit"])
            exec(code, namespace)
        finally:
            alarm.disarm()
    except StageTimeout:
        return "timeout", f"did not finish within {cell['limit']:g} s and was stopped"
    except SystemExit:
        return "exit", "called exit() (in a notebook this stops the kernel): remove that call"
    except (Exception, KeyboardInterrupt) as error:
        return "error", _clip(f"{type(error).__name__}: {error}{_line_in(error, label)}")
    return "ok", None


def run_check(job: dict, task, namespace: dict, outcomes: dict, alarm: _Alarm) -> dict:
    """Grade one task against the namespace the cells built; returns the result event."""
    missing = [name for name in task.needs if name not in namespace]
    if missing:
        verdict, feedback = explain_missing(missing[0], job["cells"], outcomes)
        return {"passed": False, "verdict": verdict, "feedback": feedback}
    limit = job["check_limit"]
    try:
        try:
            alarm.arm(limit)
            task.check(*(namespace[name] for name in task.needs))
        finally:
            alarm.disarm()
    except StageTimeout:
        names = " or ".join(task.needs)
        return _failed("timed out", f"no answer within {limit:g} s: does {names} loop forever?")
    except NotImplementedYet as failure:
        return _failed("not implemented", str(failure))
    except StudentError as failure:
        return _failed("error", str(failure))
    except AssertionError as failure:
        return _failed("failed", str(failure) or "a check failed")
    except MemoryError:
        return _failed("error", "ran out of memory while checking (MemoryError)")
    except SystemExit:
        return _failed("error", "exit() was called while checking: return a result instead")
    except KeyboardInterrupt:
        return _failed("error", "KeyboardInterrupt was raised while checking")
    except Exception as error:
        message = f"the check could not use your answer: {type(error).__name__}: {error}"
        return _failed("error", _clip(message))
    return {"passed": True, "verdict": "passed", "feedback": ""}


def explain_missing(name: str, cells: list, outcomes: dict) -> tuple[str, str]:
    """Why a needed name is not defined: the cell that should define it failed, was skipped, or is absent."""
    definers = [cell for cell in cells if defines(cell["source"], name)]
    ran = [cell for cell in definers if cell["run"]]
    if not definers:
        # A stub that replaced an assignment defines nothing: blame the first failed cell naming it.
        mention = re.compile(rf"\b{re.escape(name)}\b")
        failed = [
            c for c in cells
            if c["run"] and mention.search(c["source"]) and outcomes.get(c["index"], ("ok",))[0] != "ok"
        ]
        if not failed:
            return "error", f"{name} is not defined: no cell defines it (was it renamed or deleted?)"
        ran = failed[:1]
    elif not ran:
        later = definers[0]["index"] + 1
        return "error", f"{name} is not defined yet when its graded cell runs: cell {later} defines it, later"
    cell = ran[-1]
    label = cell["label"]
    status, error = outcomes.get(cell["index"], ("skipped", cell.get("note") or "it was skipped"))
    if status == "skipped":
        return "error", f"{name} is not defined: {label} was not run because {error}"
    if status == "ok":
        return "error", f"{name} is not defined: {label} ran but did not define it"
    stub = re.fullmatch(r"NotImplementedError: ?(.*?)(?: \(line \d+\))?", error or "")
    if stub:
        hint = f" (hint: {stub.group(1)})" if stub.group(1) else ""
        where = f"cell {cell['index'] + 1}"
        return "not implemented", f"{name} is not implemented yet: {where} raises NotImplementedError{hint}"
    return "error", f"{name} is not defined: {label} failed ({error})"


def _failed(verdict: str, feedback: str) -> dict:
    return {"passed": False, "verdict": verdict, "feedback": feedback}


def _line_in(error: BaseException, label: str) -> str:
    """' (line 3)': where in the cell the exception was raised (the deepest frame in the cell)."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == label]
    return f" (line {lines[-1]})" if lines else ""


def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 3] + "..."


def main(job_path: str, events_path: str) -> None:
    events = open(events_path, "a", encoding="utf-8", buffering=1)  # open until os._exit

    def emit(**event):
        events.write(json.dumps(event) + "\n")
        events.flush()

    try:
        with open(job_path, encoding="utf-8") as file:
            job = json.load(file)
        limit_memory(job["memory_limit_bytes"])
        alarm = _Alarm()
        task = None
        if job["task"] is not None:
            task = load_exercise_module(job["task"]["module"]).task(job["task"]["grade_id"])
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        outcomes = {}
        for cell in job["cells"]:
            if not cell["run"] or cell["limit"] is None:
                continue
            emit(event="start", stage="cell", index=cell["index"], limit=cell["limit"])
            outcomes[cell["index"]] = run_cell(cell, namespace, alarm)
            status, error = outcomes[cell["index"]]
            emit(event="end", stage="cell", index=cell["index"], status=status, error=error)
        if task is not None:
            emit(event="start", stage="check", limit=job["check_limit"])
            emit(event="result", **run_check(job, task, namespace, outcomes, alarm))
        emit(event="done")
    except BaseException:
        emit(event="fatal", error=traceback.format_exc(limit=-3))
    # Exit now: student threads or atexit handlers must not keep the process alive.
    os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:3])
