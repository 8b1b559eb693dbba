"""environment.yml (conda) and pyproject.toml (pip) must list the same packages with the same pins."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins(requirements) -> dict[str, str]:
    """name -> the full requirement text after the name (e.g. '==2.13.0')."""
    out = {}
    for req in requirements:
        req = req.strip()
        name = _name(req)
        if name in out:
            raise AssertionError(f"{name} is listed twice")
        out[name] = req[len(name):].replace(" ", "")
    return out


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("course_lib")]
    return _pins(reqs)


def environment_yml_pip_requirements() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:")
    pip_lines = [line.strip()[2:] for line in lines[start + 1:] if line.startswith("      - ")]
    return _pins(line for line in pip_lines if not line.startswith("--"))  # pip options are not packages


def test_environment_yml_takes_torch_from_the_cpu_index():
    line = "      - --extra-index-url https://download.pytorch.org/whl/cpu"
    assert line in (ROOT / "environment.yml").read_text().splitlines()


def test_environment_yml_mirrors_pyproject():
    conda, pip = environment_yml_pip_requirements(), pyproject_requirements()
    only_conda = {k: v for k, v in conda.items() if pip.get(k) != v}
    only_pip = {k: v for k, v in pip.items() if conda.get(k) != v}
    assert not only_conda and not only_pip, (
        f"environment.yml and pyproject.toml disagree:\n  environment.yml: {only_conda}\n"
        f"  pyproject.toml: {only_pip}"
    )


def test_environment_yml_python_version():
    assert "  - python=3.11" in (ROOT / "environment.yml").read_text().splitlines()


@pytest.mark.parametrize("source", [pyproject_requirements, environment_yml_pip_requirements],
                         ids=["pyproject", "environment.yml"])
def test_every_package_is_pinned_exactly(source):
    loose = {k: v for k, v in source().items() if not re.fullmatch(r"==[\w.]+", v)}
    assert not loose, f"unpinned or ranged requirements: {loose}"


def test_torch_is_pinned_to_the_cpu_build_version():
    # A range would let pip choose a newer multi-GB CUDA build.
    assert pyproject_requirements()["torch"] == "==2.13.0"


def test_requirements_txt_installs_the_project():
    assert (ROOT / "requirements.txt").read_text().split() == ["-e", ".[dev]"]
