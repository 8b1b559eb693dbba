"""Re-run notebooks from a fresh kernel and store their outputs in place (`make execute`).

Usage:  python scripts/execute_notebooks.py [NOTEBOOK ...]    (default: notebooks/ and solutions/)

Outputs are produced only by executing, never edited by hand. The stored notebook carries no
per-cell timings or widget state, so re-running it changes only what the code computes. It keeps
the kernel's `language_info` (Python version included), exactly what JupyterLab writes when it opens
the notebook, so opening a notebook in the lab does not mark it changed. Progress bars (stderr) are
stored as their final state. Run through `make execute`, which fixes the thread count and hash seed.
"""

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 1_000_000


def execute(path: Path, timeout: int) -> float:
    """Execute `path` top to bottom in a fresh kernel and write it back. Returns seconds taken."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = final_stderr(cell.outputs)
    nbformat.write(nb, path)
    return seconds


def final_stderr(outputs: list) -> list:
    """Merge consecutive stderr outputs and keep only what a terminal would show after each `\r`.

    A progress bar redraws its line hundreds of times; the stored notebook keeps the last drawing.
    Other outputs (stdout, figures, values) are left as they are, in their order.
    """
    merged = []
    for out in outputs:
        if out.output_type == "stream" and out.name == "stderr" and merged and \
                merged[-1].output_type == "stream" and merged[-1].name == "stderr":
            merged[-1].text += out.text
        else:
            merged.append(out)
    for out in merged:
        if out.output_type == "stream" and out.name == "stderr":
            out.text = "\n".join(re.sub(r"^.*\r(?=.)", "", line) for line in out.text.split("\n"))
    return merged


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
    missing = [p for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(map(str, missing))}")
    for path in paths:
        seconds = execute(path, args.timeout)
        size = path.stat().st_size
        flag = "  OVER 1 MB: shrink figures or outputs" if size > MAX_BYTES else ""
        print(f"{path}: {seconds:6.1f} s, {size / 1024:6.0f} KiB{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
