"""Student code that misbehaves: each failure is a clear verdict for its own task, the other tasks
are still graded, and the grader neither hangs nor crashes. Every notebook here is the solution of
exercise 01 with one or two tasks broken on purpose (10 points in all)."""

import os
import signal
import subprocess
import sys
import time

import pytest

LOOP = """
def window_features(token_ids, window):
    while True:
        try:
            pass
        except Exception:  # cannot swallow the grader's time limit
            pass
"""

LOOP_CATCHING_EVERYTHING = """
def window_features(token_ids, window):
    while True:
        try:
            sum(range(100_000))
        except BaseException:  # swallows the alarm too: the grader must kill the process
            pass
"""


def assert_others_pass(report, *broken):
    for task in report.tasks:
        if task.id not in broken:
            assert task.passed, f"{task.id}: {task.verdict}: {task.feedback}"
    assert report.score == report.max_score - sum(report.task(t).max_points for t in broken)


@pytest.mark.slow
def test_an_infinite_loop_times_out_and_the_other_tasks_are_graded(variant, grade):
    report = grade(variant(replace={"window_features": LOOP}), timeout=2)
    result = report.task("window_features")
    assert (result.verdict, result.points) == ("timed out", 0)
    assert "window_features loop forever" in result.feedback
    assert_others_pass(report, "window_features")
    assert any(cell.status == "timeout" for cell in report.cells)  # the "try it" cell that calls it


@pytest.mark.slow
def test_a_loop_that_swallows_the_alarm_is_killed(variant, grade):
    report = grade(variant(replace={"window_features": LOOP_CATCHING_EVERYTHING}), timeout=2)
    result = report.task("window_features")
    assert result.verdict == "timed out"
    assert "no answer within 2 s" in result.feedback
    assert_others_pass(report, "window_features")
    assert any(cell.status == "killed" and "hung" in cell.message for cell in report.cells)


@pytest.mark.slow
def test_syntax_error_and_exception(variant, grade):
    syntax_error = "def embed_window(X, E)\n    return E[X]\n"
    exception = "def bag_of_words(token_ids, vocab_size):\n    return {}[int(token_ids[0])]\n"
    report = grade(variant(replace={"embed_window": syntax_error, "bag_of_words": exception}))
    embed = report.task("embed_window")
    assert embed.verdict == "error"
    assert "embed_window is not defined" in embed.feedback and "SyntaxError" in embed.feedback
    assert "(line 1)" in embed.feedback
    bag = report.task("bag_of_words")
    assert bag.verdict == "error"
    assert "raised KeyError" in bag.feedback
    assert_others_pass(report, "embed_window", "bag_of_words")
    assert any("SyntaxError" in cell.message for cell in report.cells)


@pytest.mark.slow
def test_wrong_shape_and_wrong_return_type(variant, grade):
    transposed = (
        "def window_features(token_ids, window):\n"
        "    M = len(token_ids) - window\n"
        "    return np.stack([token_ids[j : j + M] for j in range(window)]), token_ids[window:]\n"
    )
    as_float = (
        "def mlp_first_layer_params(window, embed_dim, hidden):\n    return float(window * embed_dim)\n"
    )
    report = grade(variant(replace={"window_features": transposed, "mlp_first_layer_params": as_float}))
    window = report.task("window_features")
    assert window.verdict == "failed"
    assert "X: expected shape (" in window.feedback and "), got (" in window.feedback
    mlp = report.task("mlp_first_layer_params")
    assert mlp.verdict == "failed"
    assert "expected an int, got float" in mlp.feedback
    assert_others_pass(report, "window_features", "mlp_first_layer_params")


@pytest.mark.slow
def test_exit_in_a_cell_and_in_a_function(variant, grade):
    exit_in_cell = (
        "def bag_of_words(token_ids, vocab_size):\n    return np.bincount(token_ids, minlength=vocab_size)\n"
    )
    exit_in_cell += "exit()\n"
    exit_in_function = (
        "import sys\n\ndef mlp_first_layer_params(window, embed_dim, hidden):\n    sys.exit(1)\n"
    )
    report = grade(
        variant(replace={"bag_of_words": exit_in_cell, "mlp_first_layer_params": exit_in_function})
    )
    assert report.task("bag_of_words").passed  # defined before exit(): still graded
    assert any(cell.status == "exit" and "called exit()" in cell.message for cell in report.cells)
    mlp = report.task("mlp_first_layer_params")
    assert mlp.verdict == "error"
    assert "called exit()" in mlp.feedback
    assert_others_pass(report, "mlp_first_layer_params")


@pytest.mark.slow
def test_os_exit_in_a_cell_and_in_a_function(variant, grade):
    exit_in_cell = (
        "import os\n\n"
        "def rnn_layer_params(input_dim, hidden, n_biases=1):\n"
        "    return hidden * hidden + hidden * input_dim + n_biases * hidden\n\n"
        "os._exit(3)\n"
    )
    exit_in_function = "import os\n\ndef embed_window(X, E):\n    os._exit(4)\n"
    report = grade(variant(replace={"rnn_layer_params": exit_in_cell, "embed_window": exit_in_function}))
    rnn = report.task("rnn_layer_params")
    assert rnn.verdict == "error"
    assert "was not run because it ended the process (exit code 3" in rnn.feedback
    embed = report.task("embed_window")
    assert embed.verdict == "crashed"
    assert "while checking embed_window" in embed.feedback and "exit code 4" in embed.feedback
    assert_others_pass(report, "rnn_layer_params", "embed_window")


@pytest.mark.slow
def test_huge_allocations_become_memory_errors(variant, grade):
    # 6 GiB, never touched: above the grader's 4 GiB limit, harmless if the limit were missing.
    in_function = "def bag_of_words(token_ids, vocab_size):\n    return np.empty(6 * 2**30, dtype=np.uint8)\n"
    in_cell = (
        "def embed_window(X, E):\n"
        "    M, W = X.shape\n"
        "    return E[X].reshape(M, W * E.shape[1])\n\n"
        "buffer = np.empty(6 * 2**30, dtype=np.uint8)\n"
    )
    report = grade(variant(replace={"bag_of_words": in_function, "embed_window": in_cell}))
    bag = report.task("bag_of_words")
    assert bag.verdict == "error"
    assert "ran out of memory (MemoryError)" in bag.feedback
    assert report.task("embed_window").passed
    assert any("MemoryError" in cell.message for cell in report.cells)
    assert_others_pass(report, "bag_of_words")


@pytest.mark.slow
def test_ipython_magics_and_shell_lines_are_ignored(variant, grade):
    with_magics = (
        "%matplotlib inline\n"
        "!echo this line would run a shell command\n"
        "def order_blind_pair_words():\n"
        "    return None\n"
        "order_blind_pair = ('the cat saw the dog', 'the dog saw the cat')\n"
    )
    report = grade(variant(replace={"order_blind_pair": with_magics}))
    assert report.score == report.max_score


@pytest.mark.slow
def test_ctrl_c_ends_grading_and_every_grading_process(variant):
    path = variant(replace={"window_features": LOOP})
    grader = subprocess.Popen(
        [sys.executable, "-m", "course_lib.grading", str(path), "--timeout", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    children = []
    for _ in range(400):  # until the probe process runs the looping cell, at most 20 s
        found = subprocess.run(["pgrep", "-P", str(grader.pid)], capture_output=True, text=True)
        children = [int(pid) for pid in found.stdout.split()]
        if children:
            break
        time.sleep(0.05)
    assert children, "no grading process was started"
    time.sleep(1.0)
    grader.send_signal(signal.SIGINT)
    _, err = grader.communicate(timeout=20)
    assert grader.returncode == 130
    assert "Grading interrupted." in err and "Traceback" not in err
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
