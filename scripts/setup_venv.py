"""Create the course's virtual environment and install everything into it (`make install`).

Usage:  python3 scripts/setup_venv.py VENV
        python scripts/setup_venv.py --jupyter-only PREFIX    (step 5 alone, e.g. for a conda env)

Run by the Python the venv should use (the Makefile's PYTHON). In order:
1. Refuse at once, with what to install, a Python the course does not support (3.11-3.13 only).
2. Create VENV with this Python (again if it holds another Python version).
3. On Linux, install torch first from PyTorch's CPU wheel index (PyPI's Linux torch is a CUDA build of
   several GB). When that index cannot be reached within a few seconds, say so and let pip take torch
   from the default index. TORCH_INDEX=<url> picks another index (a CUDA one, say); TORCH_INDEX= (empty)
   skips this step.
4. Install the course (`requirements.txt`: the course in editable mode with every extra), with pip's
   own progress bars.
5. Give the venv's Jupyter kernel the thread settings `make test` checks the notebooks with, and let
   JupyterLab save widget state, so that a notebook saved in the lab reopens without widget errors.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

SUPPORTED = ((3, 11), (3, 12), (3, 13))
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PROBE_SECONDS = 5.0
ROOT = Path(__file__).resolve().parents[1]
# One BLAS/OpenMP thread and a fixed hash seed: the settings the notebooks' outputs are checked with.
KERNEL_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "PYTHONHASHSEED": "0"}
LAB_OVERRIDES = {"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}


def check_python(version=None):
    """Exit with status 2 and a message naming what to install unless this Python is supported."""
    major_minor = tuple((version or sys.version_info)[:2])
    if major_minor in SUPPORTED:
        return
    names = [f"{major}.{minor}" for major, minor in SUPPORTED]
    sys.stderr.write(
        f"The course needs Python {', '.join(names[:-1])} or {names[-1]}; {sys.executable} is Python "
        f"{major_minor[0]}.{major_minor[1]}.\n"
        "Install one of them (python.org, your package manager, `pyenv install 3.12`, or\n"
        "`conda create -n py312 python=3.12`), then pass it: make lab PYTHON=python3.12\n"
    )
    sys.exit(2)


def venv_python(venv):
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv):
    """Create `venv` with this interpreter, replacing one built with another Python version."""
    python = venv_python(venv)
    if python.exists():
        probe = subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == str(tuple(sys.version_info[:2])):
            return python
        print(f"{venv} holds another Python; recreating it with {sys.executable}")
        subprocess.run([sys.executable, "-c", f"import shutil; shutil.rmtree({str(venv)!r})"], check=True)
    print(f"Creating {venv} with Python {sys.version.split()[0]} ({sys.executable})")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return python


def torch_pin():
    """The `torch==X` requirement of pyproject.toml (the only place pins live)."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return next(dep for dep in deps if dep.startswith("torch=="))


def reachable(url, seconds=PROBE_SECONDS):
    """True if `url` answers within `seconds` (no retries: an unreachable index must not stall setup)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/torch/", timeout=seconds):
            return True
    except (OSError, ValueError):
        return False


def install_torch(python, index):
    """Install the pinned torch from `index`; False (with a message) when the index is unreachable."""
    pin = torch_pin()
    if not reachable(index):
        print(f"PyTorch's wheel index {index} could not be reached (waited at most {PROBE_SECONDS:.0f} s); "
              f"installing {pin} "
              "from your default index instead. On Linux that is the CUDA build (about 3 GB with its "
              "nvidia-* packages) unless your index carries a CPU build. See README, Troubleshooting.")
        return False
    print(f"Installing {pin} from {index} (the CPU build: a download of about 200 MB)")
    subprocess.run([str(python), "-m", "pip", "install", pin, "--index-url", index,
                    "--extra-index-url", "https://pypi.org/simple"], check=True)
    return True


def configure_jupyter(venv):
    """Thread settings for the venv's kernel; widget state saved with notebooks."""
    kernel_json = venv / "share/jupyter/kernels/python3/kernel.json"
    if not kernel_json.is_file():
        raise SystemExit(f"expected ipykernel's kernelspec at {kernel_json}; is ipykernel installed there?")
    spec = json.loads(kernel_json.read_text(encoding="utf-8"))
    spec["env"] = {**spec.get("env", {}), **KERNEL_ENV}
    kernel_json.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    overrides = venv / "share/jupyter/lab/settings/overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps(LAB_OVERRIDES, indent=1) + "\n", encoding="utf-8")


def main(argv):
    check_python()
    if len(argv) == 2 and argv[0] == "--jupyter-only":
        configure_jupyter(Path(argv[1]))
        print(f"The Jupyter kernel in {argv[1]} now runs with the course's thread settings.")
        return 0
    if len(argv) != 1:
        sys.stderr.write("usage: python3 scripts/setup_venv.py VENV | --jupyter-only PREFIX\n")
        return 2
    venv = Path(argv[0]).absolute()
    python = ensure_venv(venv)
    pip = [str(python), "-m", "pip"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    index = os.environ.get("TORCH_INDEX", CPU_INDEX if sys.platform.startswith("linux") else "")
    if index:
        install_torch(python, index)
    print("Installing the course and its packages (first time: about 1.5 GB in the venv)")
    subprocess.run([*pip, "install", "-r", str(ROOT / "requirements.txt")], check=True)
    configure_jupyter(venv)
    settings = " ".join(f"{k}={v}" for k, v in KERNEL_ENV.items())
    print(f"Done: {venv} is ready. Its Jupyter kernel runs with {settings}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
