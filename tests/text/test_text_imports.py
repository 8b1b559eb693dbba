"""course_lib.text and course_lib.series stay light, and pad_sequences keeps Keras's signature."""

import inspect
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "modules", ["course_lib.text", "course_lib.series", "course_lib.text, course_lib.series"]
)
def test_importing_never_imports_torch_or_matplotlib(modules):
    code = (
        f"import sys, {modules}\n"
        "from course_lib.text import pad_sequences\n"
        "heavy = [m for m in ('torch', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_pad_sequences_signature_is_keras():
    from course_lib.text import pad_sequences

    parameters = inspect.signature(pad_sequences).parameters
    assert list(parameters) == ["sequences", "maxlen", "dtype", "padding", "truncating", "value"]
    defaults = {name: p.default for name, p in parameters.items() if name != "sequences"}
    assert defaults == {"maxlen": None, "dtype": "int32", "padding": "pre", "truncating": "pre", "value": 0}
