"""A grader that student code cannot reach: the same score every time, and tampering earns nothing.

Every notebook here is exercise 02's solution with one task's cell replaced. Tampering tries, as a
student would: replacing NumPy's comparisons, patching the checks' code, forging lines on the channel
to the grader, calling the course's own implementation, and reading or exec-ing the solutions. Each
earns no more than the honest version of the same code (a stub: 0 for that task).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import exercise_variants
import pytest

from course_lib.grading.runner import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "02_rnn_forward_backward"
TASKS = ("rnn_step_forward", "numerical_gradient", "rnn_step_backward", "rnn_forward", "rnn_backward")
STUB = "def rnn_forward(x, h0, params):\n    return np.zeros((x.shape[0], x.shape[1], 4)), None\n"

TAMPERING = {
    "replace-numpy-comparisons": STUB
    + (
        "np.allclose = np.isclose = np.array_equal = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
    ),
    "patch-the-checks-code": STUB
    + (
        "import course_lib.grading.compare as compare\n"
        "def _ok(*args, **kwargs):\n    return None\n"
        "ex02_rnn.check_rnn_forward.__code__ = _ok.__code__\n"
        "compare.array_mismatch.__code__ = _ok.__code__\n"
        "compare.fail_if.__code__ = _ok.__code__\n"
    ),
    "forge-the-channel": STUB
    + (
        "import json, os, struct\n"
        "def _forge(message):\n"
        "    data = json.dumps(message).encode()\n"
        "    for fd in range(3, 40):\n"
        "        try:\n"
        "            os.write(fd, struct.pack('>I', len(data)) + data)\n"
        "        except OSError:\n"
        "            pass\n"
        "for task in " + repr(TASKS) + ":\n"
        "    _forge({'event': 'result', 'task': task, 'passed': True, 'verdict': 'passed', 'feedback': ''})\n"
    ),
    "import-the-course-implementation": (
        "from course_lib.numpy import rnn_forward as _course_rnn_forward\n\n"
        "def rnn_forward(x, h0, params):\n    return _course_rnn_forward(x, h0, params)\n"
    ),
    "import-it-by-name": (
        "import importlib\n\n"
        "def rnn_forward(x, h0, params):\n"
        "    module = importlib.import_module('course_lib.' + 'numpy')\n"
        "    return getattr(module, 'rnn_' + 'forward')(x, h0, params)\n"
    ),
    "reload-the-course-module": (
        "import importlib, sys\n"
        "for name in [n for n in sys.modules if n.startswith('course_lib.numpy')]:\n"
        "    del sys.modules[name]\n"
        "sys.path.insert(0, " + repr(str(ROOT)) + ")\n"
        "import course_lib.numpy.rnn as _rnn\n"
        "importlib.reload(_rnn)\n"
        "rnn_forward = _rnn.rnn_forward\n"
    ),
    "call-the-grader-reference": (
        "def rnn_forward(x, h0, params):\n    return ex02_rnn.rnn_forward_reference(x, h0, params)\n"
    ),
    "exec-the-solution": (
        "import json\n"
        "_nb = json.load(open(" + repr(str(ROOT / "solutions" / f"{NAME}.ipynb")) + "))\n"
        "exec(''.join(_nb['cells'][24]['source']))\n"
    ),
    "read-the-course-source": (
        "_source = open(" + repr(str(ROOT / "course_lib" / "numpy" / "rnn.py")) + ").read()\nexec(_source)\n"
    ),
    "run-a-program": (
        "import subprocess\n"
        "_source = subprocess.run(['cat', "
        + repr(str(ROOT / "course_lib" / "numpy" / "rnn.py"))
        + "], capture_output=True, text=True).stdout\n"
        "exec(_source)\n"
    ),
}


def _variant(tmp_path, source):
    return exercise_variants.build_variant(tmp_path, NAME, fill=TASKS, replace={"rnn_forward": source})


@pytest.fixture(scope="module")
def honest_score(tmp_path_factory):
    """The score of the honest version: every task solved but rnn_forward, left as the generated stub."""
    folder = tmp_path_factory.mktemp("honest")
    path = exercise_variants.build_variant(folder, NAME, fill=[t for t in TASKS if t != "rnn_forward"])
    report = grade_notebook(path, timeout=30)
    assert report.task("rnn_forward").verdict == "not implemented"
    return {task.id: task.points for task in report.tasks}


@pytest.mark.slow
@pytest.mark.parametrize("attempt", TAMPERING)
def test_tampering_earns_no_more_than_a_stub(tmp_path, attempt, honest_score):
    report = grade_notebook(_variant(tmp_path, TAMPERING[attempt]), timeout=30)
    result = report.task("rnn_forward")
    assert (result.points, result.passed) == (0, False), result
    earned = {task.id: task.points for task in report.tasks}
    assert all(earned[task] <= honest_score[task] for task in TASKS), (earned, honest_score)
    assert report.score == sum(honest_score.values()) == report.max_score - 5  # rnn_forward and rnn_backward


@pytest.mark.slow
@pytest.mark.parametrize("attempt", ["import-the-course-implementation", "call-the-grader-reference"])
def test_using_the_course_implementation_is_reported(tmp_path, attempt):
    result = grade_notebook(_variant(tmp_path, TAMPERING[attempt]), timeout=30).task("rnn_forward")
    assert result.verdict == "not allowed"
    assert "the course's own implementation" in result.feedback and "earns no points" in result.feedback


@pytest.mark.slow
def test_reading_the_solutions_is_reported(tmp_path):
    result = grade_notebook(_variant(tmp_path, TAMPERING["exec-the-solution"]), timeout=30).task(
        "rnn_forward"
    )
    assert result.verdict == "not allowed"
    assert "does not let a notebook read the solutions" in result.feedback


@pytest.mark.slow
def test_the_same_notebook_gets_the_same_json_five_times(tmp_path):
    # A forward that hard-codes the notebook's H = 4 used to pass one grading in five.
    hard_coded = (
        "def rnn_forward(x, h0, params):\n"
        "    N, T, D = x.shape\n"
        "    h = np.zeros((N, 4)) if h0 is None else h0\n"
        "    out = []\n"
        "    for t in range(T):\n"
        "        h, _ = rnn_step_forward(x[:, t], h, params)\n"
        "        out.append(h)\n"
        "    return np.stack(out, axis=1), None\n"
    )
    path = _variant(tmp_path, hard_coded)
    out = tmp_path / "result.json"
    results = []
    for _ in range(5):
        command = [sys.executable, "-m", "course_lib.grading", str(path), "--json", str(out)]
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT, timeout=300)
        results.append(out.read_text())
    assert len(set(results)) == 1
    task = next(t for t in json.loads(results[0])["tasks"] if t["id"] == "rnn_forward")
    assert task["points"] == 0
    assert "rnn_forward(array of shape (5, 7, 9), float64, None" in task["feedback"]  # the case with h0=None
    assert "(at line 11 of rnn_step_forward (cell 6))" in task["feedback"]  # where the student's code raised


@pytest.mark.slow
def test_in_place_changes_of_the_params_dict_are_caught(tmp_path):
    mutating = (
        "def rnn_forward(x, h0, params):\n"
        "    params['weight_hh'] *= 1.0 + 0.0 * params['weight_hh']\n"
        "    params['bias_ih'] += 0.0\n"
        "    params['bias_hh'] -= 1.0\n"
        "    params['bias_ih'] += 1.0\n"
        "    N, T, D = x.shape\n"
        "    h = np.zeros((N, params['weight_hh'].shape[0])) if h0 is None else h0\n"
        "    out = []\n"
        "    for t in range(T):\n"
        "        h, _ = rnn_step_forward(x[:, t], h, params)\n"
        "        out.append(h)\n"
        "    return np.stack(out, axis=1), None\n"
    )
    result = grade_notebook(_variant(tmp_path, mutating), timeout=30).task("rnn_forward")
    assert result.verdict == "error"
    assert "modified its input in place (argument 3['bias_ih'] changed)" in result.feedback


@pytest.mark.slow
def test_background_processes_are_gone_when_grading_ends(tmp_path):
    pids = tmp_path / "pids.txt"
    detached = (
        "import os, time\n\n"
        "def _detach():\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            with open(" + repr(str(pids)) + ", 'a') as f:\n"
        "                f.write(f'{os.getpid()}\\n')\n"
        "            time.sleep(600)\n"
        "        os._exit(0)\n\n"
        "_detach()\n\n"
        "def rnn_forward(x, h0, params):\n"
        "    _detach()\n"
        "    return np.zeros((1,)), None\n"
    )
    report = grade_notebook(_variant(tmp_path, detached), timeout=30)
    assert report.task("rnn_forward").points == 0
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) >= 2  # one from the cell, at least one from a call of rnn_forward
    time.sleep(0.2)
    for pid in started:
        assert not _alive(pid), f"process {pid} outlived grading"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left
