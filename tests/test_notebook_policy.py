"""Stored notebooks follow the course's policy: executed top to bottom, small, no errors.

nbval re-runs every notebook and compares the cells marked NBVAL_CHECK_OUTPUT; these tests check
what nbval does not: that what a reader sees in the repository is a clean, complete run.
"""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
MAX_BYTES = 1_000_000


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00_setup_check.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_small(path):
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size / 1e6:.2f} MB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_was_executed_top_to_bottom_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} — re-run it from a fresh kernel with `make execute`"
    )
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name} stores an error output: {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_uses_the_standard_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata


OPENED_IN_THE_LAB = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb"),
                            *ROOT.glob("exercises/*.ipynb")])


@pytest.mark.parametrize("path", OPENED_IN_THE_LAB, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_carries_the_metadata_the_kernel_writes(path):
    # JupyterLab copies the kernel's language_info into a notebook it opens; a stored notebook that
    # lacks any of it (the version, typically) is marked changed the moment a student opens it.
    info = nbformat.read(path, as_version=4).metadata.get("language_info", {})
    assert info.get("name") == "python" and info.get("version", "").startswith("3.11."), info
    written = {"codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter", "pygments_lexer"}
    assert written <= set(info), info


@pytest.mark.parametrize("path", OPENED_IN_THE_LAB, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_progress_is_stored_as_its_last_drawing(path):
    # A bar redraws hundreds of times; execute_notebooks.py keeps only the final line of each.
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stderr":
                assert "\x1b[A" not in out.text, f"{path.name}: nested progress bars (cursor movement)"
                assert all("\r" not in line.rstrip("\r") for line in out.text.split("\n")), path.name
