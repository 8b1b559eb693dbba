"""Generate exercises/NN_topic.ipynb from solutions/NN_topic.ipynb (`make exercises`).

Usage:  python scripts/make_exercises.py [NAME ...] [--check] [--force]

NAME is a solution's file stem (default: every solution). Solution regions become stubs that raise
NotImplementedError with a hint, hidden tests are removed, outputs are cleared (course_lib.grading.generate).
An exercise a student has edited is kept, unless --force, which first saves a backup beside it.
--check writes nothing and exits 1 if any committed exercise differs from what would be generated
(CI runs it in `make test`). Exit status: 0 done, 1 --check found a difference or a solution is
inconsistent, 2 bad arguments.
"""

import argparse
import sys
from pathlib import Path

from course_lib.grading.generate import GenerationError, sync

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="solution stems (default: all)")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if an exercise is stale")
    parser.add_argument("--force", action="store_true", help="regenerate edited exercises too (backup kept)")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions", help=argparse.SUPPRESS)
    parser.add_argument("--exercises", type=Path, default=ROOT / "exercises", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check and args.force:
        parser.error("--check and --force exclude each other")
    solutions = sorted(args.solutions.glob("*.ipynb"))
    if args.names:
        unknown = sorted(set(args.names) - {p.stem for p in solutions})
        if unknown:
            parser.error(f"no solution notebook named {', '.join(unknown)} in {args.solutions}")
        solutions = [p for p in solutions if p.stem in args.names]
    problems = 0
    for solution in solutions:
        try:
            outcome = sync(solution, args.exercises / solution.name, force=args.force, check=args.check)
        except GenerationError as error:
            print(f"error: {error}", file=sys.stderr)
            problems += 1
            continue
        detail = f" ({outcome.detail})" if outcome.detail else ""
        print(f"{outcome.path.relative_to(outcome.path.parents[1])}: {outcome.action}{detail}")
        problems += outcome.action in ("differs", "missing")
    if args.check:
        problems += _report_orphans(args.exercises, {p.name for p in args.solutions.glob("*.ipynb")})
        if problems:
            print("Exercises are out of date: run `make exercises` and commit the result.", file=sys.stderr)
    return 1 if problems else 0


def _report_orphans(exercises: Path, solution_names: set[str]) -> int:
    """Generated exercises whose solution no longer exists (backups of students' work are not counted)."""
    generated = [p for p in sorted(exercises.glob("*.ipynb")) if ".backup-" not in p.name]
    orphans = [p for p in generated if p.name not in solution_names]
    for path in orphans:
        print(f"{path.relative_to(path.parents[1])}: has no solution notebook", file=sys.stderr)
    return len(orphans)


if __name__ == "__main__":
    sys.exit(main())
