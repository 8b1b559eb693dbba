"""The light parts of the package never import torch or matplotlib."""

import subprocess
import sys

import pytest

LIGHT = ["course_lib", "course_lib.numpy", "course_lib.check", "course_lib.data"]


@pytest.mark.parametrize("module", LIGHT)
def test_light_module_does_not_import_heavy_packages(module):
    code = (
        f"import sys, {module}\n"
        "heavy = [m for m in ('torch', 'matplotlib', 'pandas') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
