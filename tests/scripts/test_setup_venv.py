"""scripts/setup_venv.py: which Pythons it accepts, the torch pin, the index probe, the kernel's settings."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import setup_venv  # noqa: E402


@pytest.mark.parametrize("version", [(3, 11), (3, 12), (3, 13)])
def test_supported_pythons_pass(version):
    setup_venv.check_python(version)


@pytest.mark.parametrize("version", [(3, 10), (3, 14), (2, 7)])
def test_other_pythons_are_refused_with_what_to_install(version, capsys):
    with pytest.raises(SystemExit) as exit_info:
        setup_venv.check_python(version)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"is Python {version[0]}.{version[1]}" in err
    assert "The course needs Python 3.11, 3.12 or 3.13" in err and "PYTHON=python3.12" in err


def test_supported_list_matches_requires_python():
    import tomllib

    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert spec == ">=3.11,<3.14"
    assert setup_venv.SUPPORTED == ((3, 11), (3, 12), (3, 13))


def _runs(python):
    return subprocess.run([python, "-c", "import sys; assert sys.version_info[:2] == (3, 10)"],
                          capture_output=True).returncode == 0


PYENV_310 = map(str, Path.home().glob(".pyenv/versions/3.10*/bin/python"))
OLD_PYTHONS = [p for p in (*PYENV_310, shutil.which("python3.10")) if p and _runs(p)]


@pytest.mark.skipif(not OLD_PYTHONS, reason="no Python 3.10 on this machine")
def test_make_refuses_python_3_10_before_creating_anything(tmp_path):
    venv = tmp_path / "venv"
    result = subprocess.run(["make", "install", f"PYTHON={OLD_PYTHONS[0]}", f"VENV={venv}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "The course needs Python 3.11, 3.12 or 3.13" in result.stderr and "is Python 3.10" in result.stderr
    assert not venv.exists()


def test_torch_pin_comes_from_pyproject():
    assert setup_venv.torch_pin() == "torch==2.13.0"


def test_an_unreachable_index_is_given_up_quickly():
    start = time.monotonic()
    assert not setup_venv.reachable("http://127.0.0.1:9/simple", seconds=2.0)  # nothing listens on port 9
    assert time.monotonic() - start < 5


def test_jupyter_only_sets_the_kernels_threads_and_widget_state(tmp_path):
    kernel = tmp_path / "share/jupyter/kernels/python3/kernel.json"
    kernel.parent.mkdir(parents=True)
    kernel.write_text(json.dumps({"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                  "display_name": "Python 3 (ipykernel)", "language": "python"}))
    assert setup_venv.main(["--jupyter-only", str(tmp_path)]) == 0
    spec = json.loads(kernel.read_text())
    assert spec["env"] == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                           "PYTHONHASHSEED": "0"}
    assert spec["argv"][0] == "python"  # the rest of the kernelspec is kept
    overrides = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is True


def test_jupyter_only_names_a_missing_kernelspec(tmp_path):
    with pytest.raises(SystemExit, match=r"expected ipykernel's kernelspec at .*kernel.json"):
        setup_venv.main(["--jupyter-only", str(tmp_path)])


def test_the_kernel_settings_are_make_tests_settings():
    makefile = (ROOT / "Makefile").read_text()
    for key, value in setup_venv.KERNEL_ENV.items():
        assert f"{key}={value}" in makefile
