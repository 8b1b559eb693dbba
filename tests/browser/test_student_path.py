"""The student's path in a real browser: `make lab`, an exercise, Run All, save, grade, git status.

Headless Chromium (Debian's `chromium` package) driven by Playwright, against the JupyterLab that
`make lab` starts, in a copy of this checkout (so the test never edits the course's own files).
Skipped when Chromium is absent, unless COURSE_REQUIRE_BROWSER=1 (CI sets it), then it fails.
"""

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXERCISE = "exercises/01_windows_and_parameters.ipynb"
LECTURE = "notebooks/01_sequences_and_language_models.ipynb"
TIMED = "notebooks/03_rnn_and_backprop_through_time.ipynb"  # the notebook with the longest NumPy loop
STUB_SOLUTION = '''def rnn_layer_params(input_dim, hidden, n_biases=1):
    """Parameters of one tanh RNN layer: H*H + H*D + n_biases*H (torch.nn.RNN: n_biases=2)."""
    return hidden * hidden + hidden * input_dim + n_biases * hidden
'''
# Chromium flags for a closed network and no display (no sandbox: CI runs as root).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]
if CHROMIUM is None:
    pytestmark.append(pytest.mark.skipif(os.environ.get("COURSE_REQUIRE_BROWSER") != "1",
                                         reason="needs chromium (apt-get install chromium)"))


def git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A copy of this checkout's files (tracked and not ignored), committed, sharing this .venv."""
    copy = tmp_path_factory.mktemp("course")
    files = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    # `make` in the copy must find this venv installed and up to date, never reinstall it (that would
    # point its editable install at the copy). With no PYTHON given, make uses the venv's own Python.
    for where in (ROOT, copy):
        up_to_date = subprocess.run(["make", "-q", "install"], cwd=where, env=without_python())
        assert up_to_date.returncode == 0, f"{ROOT / '.venv'} is not up to date: run `make install` first"
    git(copy, "init", "-q", "-b", "main")
    (copy / ".git/info/exclude").write_text(".venv\n")
    git(copy, "add", "-A")
    git(copy, "-c", "user.email=ci@example.org", "-c", "user.name=CI", "commit", "-q", "-m", "course")
    return copy


def without_python():
    """This environment minus PYTHON: `make` then chooses as it does for a student."""
    return {k: v for k, v in os.environ.items() if k != "PYTHON"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(checkout):
    """`make lab` in the copy, as a student starts it; yields (base URL, the server's log so far)."""
    port = free_port()
    log = checkout.parent / f"lab-{port}.log"
    args = f"--no-browser --port={port} --ServerApp.port_retries=0"
    # A user-settings folder of the test's own: every cell rendered (no windowing), so that the
    # test can read every prompt; everything else as a student's lab has it.
    settings = checkout.parent / "lab-user-settings"
    tracker = settings / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    env = {**without_python(), "JUPYTER_CONFIG_DIR": str(checkout.parent / "jupyter-config"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings)}
    with open(log, "w") as out:
        server = subprocess.Popen(["make", "lab", f"LAB_ARGS={args}"], cwd=checkout, stdout=out,
                                  stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while f"ServerApp] {url}/lab" not in log.read_text():
            assert server.poll() is None, f"make lab exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"the lab did not start:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)
        yield url, log
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def open_in_lab(page, url, path):
    page.goto(f"{url}/lab/tree/{path}?reset")  # a fresh workspace: only this notebook open
    page.locator(".jp-NotebookPanel").first.wait_for()
    wait_for_idle_kernel(page, path)


SESSIONS = "fetch('/api/sessions').then(r => r.json())"


def wait_for_idle_kernel(page, path, timeout=120):
    """Until the server reports the notebook's kernel started and idle, and the page shows it idle."""
    deadline = time.monotonic() + timeout
    while True:
        states = [s["kernel"]["execution_state"] for s in page.evaluate(SESSIONS) if s["path"] == path]
        if states == ["idle"]:
            break
        assert time.monotonic() < deadline, f"the kernel of {path} is not idle: {states}"
        time.sleep(0.5)
    shown = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']"
    page.locator(shown).first.wait_for(timeout=timeout * 1000)


def kernel_environ(checkout):
    """Environment of every running ipykernel started from this copy's lab (read from /proc)."""
    envs = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"ipykernel_launcher" in cmdline and any(str(checkout).encode() in e for e in environ):
            envs.append(dict(e.decode().split("=", 1) for e in environ if b"=" in e))
    return envs


def run_in_lab_terminal(page, command, until, timeout=180):
    """Open a terminal as a student does (File > New > Terminal), run `command`, return its output.

    The terminal's output is read from its websocket, in the page (same origin, same cookies).
    """
    before = set(page.evaluate("fetch('/api/terminals').then(r => r.json()).then(ts => ts.map(t => t.name))"))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^File$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^New$")).first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Terminal$")).first.click()
    page.locator(".jp-Terminal").first.wait_for()
    deadline = time.monotonic() + 30
    while not (names := set(page.evaluate(
            "fetch('/api/terminals').then(r => r.json()).then(ts => ts.map(t => t.name))")) - before):
        assert time.monotonic() < deadline, "no new terminal appeared"
        time.sleep(0.5)
    script = """([name, command, until, ms]) => new Promise((resolve) => {
        const ws = new WebSocket(`ws://${location.host}/terminals/websocket/${name}`);
        let out = "";
        const done = () => { ws.close(); resolve(out); };
        setTimeout(done, ms);
        ws.onopen = () => ws.send(JSON.stringify(["stdin", command + "\\r"]));
        ws.onmessage = (event) => {
            const message = JSON.parse(event.data);
            if (message[0] === "stdout") { out += message[1]; if (new RegExp(until).test(out)) done(); }
        };
    })"""
    return page.evaluate(script, [names.pop(), command, until, timeout * 1000])


def test_lab_opens_on_the_setup_check(lab):
    import urllib.request

    url, log = lab
    with urllib.request.urlopen(f"{url}/", timeout=30) as response:  # where the browser lands
        assert response.url == f"{url}/lab/tree/notebooks/00_setup_check.ipynb"
    assert f"{url}/lab/tree/notebooks/00_setup_check.ipynb" in log.read_text()


def test_file_browser_reaches_every_part_of_the_course(lab, page):
    url, _ = lab
    page.goto(f"{url}/lab?reset")
    listing = page.locator(".jp-DirListing-content")
    for entry in ("exercises", "notebooks", "solutions", "README.md", "Makefile"):
        listing.get_by_text(entry, exact=True).first.wait_for()


def test_opening_a_lecture_renders_math_and_figures_and_changes_nothing(lab, page, checkout):
    url, _ = lab
    open_in_lab(page, url, LECTURE)
    page.locator(".jp-RenderedMarkdown mjx-container").first.wait_for()
    images = page.locator(".jp-RenderedImage img")
    images.first.wait_for()
    assert images.count() >= 2
    assert page.evaluate("img => img.naturalWidth > 100", images.first.element_handle())
    time.sleep(3)  # let the kernel's metadata arrive; a notebook that changes would now be marked dirty
    stored = json.loads((checkout / LECTURE).read_text())["metadata"]["language_info"]["version"]
    if stored == platform.python_version():
        # Notebooks are stored with the kernel metadata of the Python that executes them (3.11.x); a
        # kernel of another version rewrites that one line, as README says.
        assert page.locator(".jp-mod-dirty").count() == 0, "opening the notebook marked it changed"
    assert git(checkout, "status", "--porcelain") == ""


def test_lab_kernel_gets_the_thread_settings_of_make_test(lab, page, checkout):
    url, _ = lab
    open_in_lab(page, url, LECTURE)
    envs = kernel_environ(checkout)
    assert envs, "no kernel process found"
    for env in envs:
        assert {k: env.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")} == \
            dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")


def test_exercise_from_the_file_browser_filled_saved_and_graded_in_a_lab_terminal(lab, page, checkout):
    url, _ = lab
    page.goto(f"{url}/lab?reset")  # a fresh workspace: the file browser at the server's root
    listing = page.locator(".jp-DirListing-content")
    listing.get_by_text("exercises", exact=True).first.wait_for()
    page.locator(".jp-BreadCrumbs-home").first.click()
    listing.get_by_text("exercises", exact=True).first.dblclick()
    page.locator(".jp-BreadCrumbs", has_text="exercises").first.wait_for()
    listing.get_by_text(Path(EXERCISE).name, exact=True).first.dblclick()
    page.locator(".jp-NotebookPanel").first.wait_for()
    wait_for_idle_kernel(page, EXERCISE)
    editor = page.locator(".jp-CodeCell .cm-content", has_text="def rnn_layer_params(").first
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(STUB_SOLUTION)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    saved = checkout / EXERCISE
    deadline = time.monotonic() + 30
    while "return hidden * hidden" not in saved.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    notebook = json.loads(saved.read_text())
    assert any("return hidden * hidden + hidden * input_dim" in "".join(cell["source"])
               for cell in notebook["cells"]), "the filled stub was not saved"

    result = checkout / "grade.json"
    marker = uuid.uuid4().hex
    output = run_in_lab_terminal(page, f"pwd && make grade NB={EXERCISE} GRADE_ARGS='--json grade.json'; "
                                 f"echo {marker}-$((40 + 2))", until=marker + "-42")  # not the echoed command
    assert str(checkout) in output, f"the lab terminal did not start at the repository root:\n{output}"
    report = json.loads(result.read_text())
    by_id = {task["id"]: task for task in report["tasks"]}
    assert by_id["rnn_layer_params"]["passed"] and by_id["rnn_layer_params"]["points"] > 0
    assert report["score"] == by_id["rnn_layer_params"]["points"], report
    assert "Total" in output


def test_run_all_on_the_longest_numpy_notebook_shows_progress_and_takes_make_test_time(lab, page, checkout):
    url, _ = lab
    open_in_lab(page, url, TIMED)
    start = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    progress = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                            has_text="updates:")
    progress.first.wait_for(timeout=120_000)  # the training loop's bar, while it runs
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    deadline = time.monotonic() + 300
    while not all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts.all_inner_texts()):
        assert time.monotonic() < deadline, f"Run All did not finish: {prompts.all_inner_texts()}"
        errors = page.locator(".jp-OutputArea-output", has_text="Traceback")
        assert errors.count() == 0, errors.first.inner_text()
        time.sleep(1)
    seconds = time.monotonic() - start
    assert "100%" in progress.first.inner_text()
    print(f"{TIMED} ran in the lab in {seconds:.0f} s")
    assert seconds < 180, f"Run All took {seconds:.0f} s (make test: under 60 s)"
    assert (checkout / "notebooks/cache/03_char_rnn.npz").is_file()  # what the notebook trained...
    # ...is ignored, and the shipped artifact is untouched
    assert git(checkout, "status", "--porcelain", "--", "notebooks/artifacts", "notebooks/cache") == ""


def test_a_widget_progress_bar_survives_save_and_reopen(lab, page, checkout):
    # Students' own code may use tqdm.auto (a widget in JupyterLab); the course's lab saves widget
    # state with the notebook, so a reopened notebook shows the bar instead of "Error displaying widget".
    url, _ = lab
    scratch = checkout / "scratch_widget.ipynb"
    cell = {"cell_type": "code", "execution_count": None, "id": "w1", "metadata": {}, "outputs": [],
            "source": "from tqdm.auto import tqdm\nfor _ in tqdm(range(3)):\n    pass"}
    scratch.write_text(json.dumps({"cells": [cell], "metadata": {"kernelspec": {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    try:
        open_in_lab(page, url, scratch.name)
        page.locator(".jp-CodeCell .cm-content").first.click()
        page.keyboard.press("Shift+Enter")
        page.locator(".jp-OutputArea-output", has_text="3/3").first.wait_for()
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 30
        while "widget-state" not in scratch.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "application/vnd.jupyter.widget-state+json" in scratch.read_text(), "widget state not saved"
        open_in_lab(page, url, scratch.name)
        page.locator(".jp-OutputArea-output", has_text="3/3").first.wait_for()
        assert page.locator(".jp-OutputArea-output", has_text="Error displaying widget").count() == 0
    finally:
        scratch.unlink()
