"""Command line of the grader: `python -m course_lib.grading NOTEBOOK [--json FILE] [--timeout SECONDS]`.

Prints one row per task (points earned / available, verdict, feedback) and the total. Exit status
0 whenever grading completed, whatever the score; 2 for a usage error (missing file, not a
notebook, bad arguments, a notebook with no known tasks); 1 if the grader itself failed; 130 if
interrupted (Ctrl-C), which also ends every grading process.
"""

import argparse
import json
import sys
import textwrap
from pathlib import Path

from course_lib.grading.notebook import UsageError
from course_lib.grading.runner import DEFAULT_TIMEOUT, GradeReport, GraderError, grade_notebook

USAGE_ERROR = 2
INTERRUPTED = 130  # the shell's status for Ctrl-C
FEEDBACK_WIDTH = 64  # characters per feedback line in the table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.grading",
        description="Grade an exercise notebook: run it in a separate process, check each task.",
    )
    parser.add_argument("notebook", help="the notebook, e.g. exercises/01_windows_and_parameters.ipynb")
    parser.add_argument("--json", metavar="FILE", help="also write the result as JSON to FILE")
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"time limit for each cell and each task's check (default {DEFAULT_TIMEOUT:g})",
    )
    args = parser.parse_args(argv)
    if args.json and not Path(args.json).resolve().parent.is_dir():
        print(f"error: cannot write {args.json}: no such folder", file=sys.stderr)
        return USAGE_ERROR
    try:
        report = grade_notebook(args.notebook, timeout=args.timeout)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except GraderError as error:
        print(f"The grader itself failed; please report this.\n{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Grading interrupted.", file=sys.stderr)
        return INTERRUPTED
    print(format_report(report))
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as file:
                json.dump(report.to_json(), file, indent=2)
                file.write("\n")
        except OSError as error:
            print(f"error: cannot write {args.json}: {error}", file=sys.stderr)
            return USAGE_ERROR
    return 0


def format_report(report: GradeReport) -> str:
    """The table a student reads: one row per task, then the total, then cells that failed."""
    id_width = max(len("Task"), *(len(t.id) for t in report.tasks))
    points_width = len(f"{report.max_score} / {report.max_score}")
    verdict_width = len("not implemented")
    indent = " " * (id_width + points_width + verdict_width + 6)
    lines = [f"Exercise {report.exercise}: {report.notebook}", ""]
    comparing = [c for c in report.cells if c.message and c.message.startswith("CourseImplementationUsed")]
    if comparing:
        cells = ", ".join(str(c.index + 1) for c in comparing)
        lines += textwrap.wrap(
            f"Cell(s) {cells} call the course's own implementation of a task (to compare with it, say): "
            "the grader removes it, so they fail here and are left out. They do not count.", 100) + [""]
    lines += [
        f"{'Task':<{id_width}}  {'Points':>{points_width}}  {'Verdict':<{verdict_width}}  Feedback",
    ]
    for task in report.tasks:
        points = f"{task.points} / {task.max_points}"
        feedback = textwrap.wrap(task.feedback, FEEDBACK_WIDTH) or [""]
        row = f"{task.id:<{id_width}}  {points:>{points_width}}  {task.verdict:<{verdict_width}}"
        lines.append(f"{row}  {feedback[0]}")
        lines.extend(indent + line for line in feedback[1:])
    total = f"{report.score} / {report.max_score}"
    lines += ["-" * (id_width + points_width + 2), f"{'Total':<{id_width}}  {total:>{points_width}}"]
    lines += _cell_notes(report)
    return "\n".join(line.rstrip() for line in lines)


def _cell_notes(report: GradeReport) -> list[str]:
    stubs = [c for c in report.cells if c.message and c.message.startswith("NotImplementedError")]
    comparing = [c for c in report.cells if c.message and c.message.startswith("CourseImplementationUsed")]
    others = [c for c in report.cells if c not in stubs and c not in comparing]
    notes = []
    if others:
        notes += ["", "Cells that failed when the notebook ran top to bottom in a fresh process:"]
        notes += [f"  {c.label}: {c.message}" for c in others]
    if stubs:
        notes += ["", f"{len(stubs)} cell(s) still raise NotImplementedError (exercises to do)."]
    return notes


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"the timeout must be a positive number of seconds, got {text}")
    return seconds
