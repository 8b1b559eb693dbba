"""Retrain the models the course ships in notebooks/artifacts/ (`make artifacts`).

Usage:  python scripts/train_artifacts.py [NAME ...]     (default: every artifact)

Notebooks never write notebooks/artifacts/: what they train goes to notebooks/cache/, which git
ignores, so running them (or `make test`) leaves the repository as it was. This script is the one
way to refresh a shipped file: it runs the notebook that trains it from a fresh kernel (in memory;
the stored notebook is not rewritten), with the environment variables that notebook reads, then
copies the file it wrote from cache/ to artifacts/. Artifacts that come from a study over many
seeds are written by their own script instead (SCRIPTS). Commit the new artifact together with the
notebooks that read it, re-executed (`make execute`). Run through `make artifacts`, which fixes the
thread count and hash seed.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
# artifact file name -> (the notebook that trains it, extra environment for its kernel)
ARTIFACTS = {
    "03_char_rnn.npz": ("03_rnn_and_backprop_through_time.ipynb", {}),
    "04_tanh_adding_long.json": ("04_vanishing_and_exploding_gradients.ipynb", {"TRAIN_LONG": "1"}),
    "08_bilstm_seeds.json": ("08_sequence_classification.ipynb", {"TRAIN_LONG": "1"}),
    "09_char_lstm_long.pt": ("09_language_modelling_and_generation.ipynb", {"TRAIN_LONG": "1"}),
}

# artifact file name -> the script that trains it and writes it to notebooks/artifacts/ itself
# (studies over many seeds, too long to run as a notebook)
SCRIPTS = {
    "12_attention.pt": "train_attention_checkpoint.py",  # about 70 CPU-minutes
    "13_sentiment_study.pt": "train_sentiment_study.py",  # about 15 CPU-minutes
    "14_tune_lstm.pt": "train_tune_lm.py",  # about 2 CPU-minutes
}


def run_notebook(path: Path, env: dict, timeout: int) -> float:
    """Execute `path` top to bottom in a fresh kernel with `env` added; nothing is written back."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"artifacts to retrain (default: all of them: "
                        f"{', '.join([*ARTIFACTS, *SCRIPTS])})")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default 3600)")
    args = parser.parse_args(argv)
    known = [*ARTIFACTS, *SCRIPTS]
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"unknown artifact {', '.join(unknown)}; expected one of {', '.join(known)}")
    for name in args.names or known:
        if name in SCRIPTS:
            start = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "scripts" / SCRIPTS[name])], check=True, cwd=ROOT)
            print(f"notebooks/artifacts/{name}: retrained by scripts/{SCRIPTS[name]} in "
                  f"{time.perf_counter() - start:.0f} s")
            continue
        notebook, env = ARTIFACTS[name]
        cached = NOTEBOOKS / "cache" / name
        cached.unlink(missing_ok=True)
        seconds = run_notebook(NOTEBOOKS / notebook, env, args.timeout)
        if not cached.is_file():
            raise SystemExit(f"{notebook} ran but did not write cache/{name}")
        shutil.copyfile(cached, NOTEBOOKS / "artifacts" / name)
        print(f"notebooks/artifacts/{name}: retrained by {notebook} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
