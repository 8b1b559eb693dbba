"""make update: the course moves forward and nothing the student wrote is lost."""

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import update_course  # noqa: E402

NOW = datetime.datetime(2026, 12, 6, 9, 30, 0)


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def write(repo, path, text):
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)


@pytest.fixture
def course(tmp_path):
    """(upstream work tree, the student's clone) sharing one first commit."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    git(upstream, "config", "user.email", "course@example.org")
    git(upstream, "config", "user.name", "Course")
    for path in ("exercises/02_rnn.ipynb", "notebooks/03_rnn.ipynb", "notebooks/04_grads.ipynb", "README.md"):
        write(upstream, path, f"{path} v1\n")
    write(upstream, ".gitignore", "my_versions/\n")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "v1")
    student = tmp_path / "student"
    git(tmp_path, "clone", "-q", str(upstream), str(student))
    return upstream, student


def publish(upstream, files):
    for path, text in files.items():
        write(upstream, path, text)
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "v2")


def test_update_keeps_exercises_backs_up_everything_and_moves_forward(course):
    upstream, student = course
    write(student, "exercises/02_rnn.ipynb", "my answers\n")
    write(student, "notebooks/03_rnn.ipynb", "my run of 03\n")
    write(student, "notebooks/04_grads.ipynb", "my run of 04\n")
    write(student, "scratch.ipynb", "my own notebook\n")
    publish(upstream, {"exercises/02_rnn.ipynb": "exercise v2\n", "notebooks/03_rnn.ipynb": "03 v2\n",
                       "notebooks/05_new.ipynb": "05 v2\n"})

    report = update_course.update(student, NOW)

    assert git(student, "rev-parse", "HEAD") == git(upstream, "rev-parse", "HEAD")
    assert (student / "exercises/02_rnn.ipynb").read_text() == "my answers\n"  # the student's work stays
    assert (student / "notebooks/03_rnn.ipynb").read_text() == "03 v2\n"  # the course's fix arrives
    assert (student / "notebooks/04_grads.ipynb").read_text() == "my run of 04\n"  # untouched by the course
    assert (student / "notebooks/05_new.ipynb").read_text() == "05 v2\n"
    assert (student / "scratch.ipynb").read_text() == "my own notebook\n"
    backup = student / "my_versions/20261206-093000"
    assert (backup / "notebooks/03_rnn.ipynb").read_text() == "my run of 03\n"
    assert (backup / "exercises/02_rnn.ipynb").read_text() == "my answers\n"
    assert (backup / "notebooks/04_grads.ipynb").read_text() == "my run of 04\n"
    assert any("exercises/02_rnn.ipynb: kept your version" in line for line in report)
    assert any("notebooks/03_rnn.ipynb: now the course's new version" in line for line in report)
    status = git(student, "status", "--porcelain").splitlines()
    assert sorted(status) == [" M exercises/02_rnn.ipynb", " M notebooks/04_grads.ipynb", "?? scratch.ipynb"]


def test_update_moves_an_untracked_file_the_course_now_adds(course):
    upstream, student = course
    write(student, "notebooks/05_new.ipynb", "mine\n")
    publish(upstream, {"notebooks/05_new.ipynb": "05 v2\n"})
    update_course.update(student, NOW)
    assert (student / "notebooks/05_new.ipynb").read_text() == "05 v2\n"
    assert (student / "my_versions/20261206-093000/notebooks/05_new.ipynb").read_text() == "mine\n"


def test_update_with_nothing_new_changes_nothing(course):
    _, student = course
    write(student, "exercises/02_rnn.ipynb", "my answers\n")
    assert update_course.update(student, NOW) == ["Already up to date with origin/main."]
    assert not (student / "my_versions").exists()


def test_update_refuses_local_commits_and_changes_nothing(course):
    upstream, student = course
    git(student, "-c", "user.email=s@example.org", "-c", "user.name=S", "commit", "-q", "--allow-empty",
        "-m", "mine")
    write(student, "exercises/02_rnn.ipynb", "my answers\n")
    publish(upstream, {"exercises/02_rnn.ipynb": "exercise v2\n"})
    head = git(student, "rev-parse", "HEAD")
    refusal = r"1 commit\(s\) of your own .*`git merge origin/main`"
    with pytest.raises(update_course.UpdateError, match=refusal):
        update_course.update(student, NOW)
    assert git(student, "rev-parse", "HEAD") == head
    assert (student / "exercises/02_rnn.ipynb").read_text() == "my answers\n"


def test_main_reports_a_refusal_with_exit_status_1(course, capsys):
    upstream, student = course
    git(student, "checkout", "-q", "-b", "no-upstream")
    assert update_course.main(["--repo", str(student)]) == 1
    assert "Nothing was changed" in capsys.readouterr().err
