"""Take the course's updates without losing your work (`make update`).

Usage:  python scripts/update_course.py [--repo DIR]

What it does, in order (nothing is deleted; every edit of yours is copied first):
1. Fetches the branch your checkout follows and finds what the course changed.
2. Copies every course file you changed (an exercise you worked on, a lecture notebook you ran and
   saved) to my_versions/<date>-<time>/<same path>. git ignores my_versions/.
3. Where the course changed a file you also changed, sets your edit aside so that the update can
   apply, then fast-forwards to the course's new version.
4. Puts your exercises back: an exercise you worked on stays exactly as you left it, even if the
   course changed it (`git diff exercises/NN_topic.ipynb` then shows what changed). Any other file
   that both of you changed now holds the course's version; yours is in my_versions/.
Files you changed that the course did not touch are never touched. If you committed work of your
own on this branch, nothing is changed and it says how to merge instead.
"""

import argparse
import datetime
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEEP_YOURS = ("exercises/",)  # paths where your version stays in place after the update
BACKUPS = "my_versions"


class UpdateError(RuntimeError):
    """The update cannot be applied safely; nothing was changed."""


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        raise UpdateError(f"`git {' '.join(args)}` failed: {result.stderr.strip()}")
    return result.stdout


def local_changes(repo: Path) -> tuple[list[str], list[str]]:
    """(tracked files changed in the work tree or index, untracked files not ignored)."""
    tracked, untracked = [], []
    for entry in git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all").split("\0"):
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        if status == "??":
            untracked.append(path)
        elif "R" in status or "C" in status:
            raise UpdateError(f"a rename is staged ({path}); commit or unstage it first")
        else:
            tracked.append(path)
    return tracked, untracked


def update(repo: Path, now: datetime.datetime | None = None) -> list[str]:
    """Fast-forward `repo` to its upstream, keeping the student's edits. Returns the report lines."""
    if (repo / ".git" / "MERGE_HEAD").exists() or (repo / ".git" / "rebase-merge").exists():
        raise UpdateError("a merge or rebase is in progress; finish or abort it first")
    upstream = git(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}").strip()
    git(repo, "fetch", "--quiet", upstream.split("/", 1)[0])
    ahead, behind = map(int, git(repo, "rev-list", "--left-right", "--count", "HEAD...@{u}").split())
    if behind == 0:
        return [f"Already up to date with {upstream}."]
    if ahead > 0:
        raise UpdateError(
            f"this branch has {ahead} commit(s) of your own that {upstream} lacks, so it cannot simply move "
            f"forward. Merge the course in yourself: `git merge {upstream}` (your commits are safe)."
        )
    changed = set(git(repo, "diff", "--name-only", "HEAD", "@{u}").splitlines())
    tracked, untracked = local_changes(repo)
    backup = repo / BACKUPS / (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    for path in tracked + [p for p in untracked if p in changed]:
        if (repo / path).is_file():
            (backup / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / path, backup / path)
    clashes = sorted(p for p in tracked if p in changed)
    for path in clashes:
        git(repo, "checkout", "HEAD", "--", path)
    for path in untracked:
        if path in changed:
            (repo / path).unlink()
    git(repo, "merge", "--ff-only", "--quiet", "@{u}")
    report = [f"Updated to {upstream} ({behind} new commit(s))."]
    kept = backup.relative_to(repo)
    if tracked:
        report.append(f"Your edits to {len(tracked)} course file(s) are also copied to {kept}/.")
    for path in clashes:
        if path.startswith(KEEP_YOURS) and (backup / path).is_file():
            shutil.copy2(backup / path, repo / path)
            report.append(f"  {path}: kept your version; the course changed it too (`git diff {path}`).")
        else:
            report.append(f"  {path}: now the course's new version; yours is in {kept}/{path}")
    for path in sorted(p for p in untracked if p in changed):
        report.append(f"  {path}: the course added a file here; yours is in {kept}/{path}")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="the course checkout (default: this one)")
    args = parser.parse_args(argv)
    try:
        print("\n".join(update(args.repo.resolve())))
    except UpdateError as err:
        print(f"make update: {err}. Nothing was changed.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
