"""Reading a student's notebook: IPython syntax, which cell defines a name, which exercise it is."""

import json

import pytest

from course_lib.grading.notebook import UsageError, defines, neutralise_ipython, read_notebook


def test_magics_and_shell_lines_become_pass():
    source = "%matplotlib inline\nimport numpy as np\n!pip install x\nfiles = !ls\nif True:\n    %time f()\n"
    assert neutralise_ipython(source) == "pass\nimport numpy as np\npass\npass\nif True:\n    pass"


def test_cell_magics():
    assert neutralise_ipython("%%time\nx = 1") == "pass\nx = 1"
    assert neutralise_ipython("%%bash\necho hi") == "pass"


def test_valid_python_is_never_changed():
    source = 'text = """\n%d percent\n!important\n"""\nratio = 10 % 3'
    assert neutralise_ipython(source) == source


@pytest.mark.parametrize(
    "source, defined",
    [
        ("def f(x):\n    return x", True),
        ("f = lambda x: x", True),
        ("from math import sqrt as f", True),
        ("try:\n    import numpy as f\nexcept ImportError:\n    f = None", True),
        ("def g():\n    f = 1", False),
        ("print(f)", False),
        ("def f(x)\n    return x", True),  # a syntax error: found by pattern
    ],
)
def test_defines(source, defined):
    assert defines(source, "f") is defined


def _write(path, metadata=None):
    cell = {
        "cell_type": "code",
        "metadata": {},
        "source": ["x = 1\n"],
        "outputs": [],
        "execution_count": None,
    }
    path.write_text(
        json.dumps({"cells": [cell], "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def test_the_exercise_is_found_by_metadata_then_by_file_name(tmp_path):
    named = _write(tmp_path / "homework.ipynb", {"course_lib": {"exercise": "01_windows_and_parameters"}})
    assert read_notebook(named).exercise.name == "01_windows_and_parameters"
    copy = _write(tmp_path / "01_windows_and_parameters-Copy1.ipynb")
    assert read_notebook(copy).exercise.name == "01_windows_and_parameters"
    with pytest.raises(UsageError, match="no known graded tasks"):
        read_notebook(_write(tmp_path / "homework2.ipynb"))
    (tmp_path / "list.ipynb").write_text("[1, 2]")
    with pytest.raises(UsageError, match="not a Jupyter notebook"):
        read_notebook(tmp_path / "list.ipynb")
