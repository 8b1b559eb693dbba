"""course_lib.numpy is NumPy only, and exports the contract's names with the contract's signatures."""

import inspect
import subprocess
import sys

import pytest

import course_lib.numpy as cnp

CONTRACT = {
    "rnn_step_forward": "(x, h_prev, params, nonlinearity='tanh')",
    "rnn_step_backward": "(dh_next, cache)",
    "rnn_forward": "(x, h0, params, nonlinearity='tanh')",
    "rnn_backward": "(dout, cache)",
    "lstm_step_forward": "(x, h_prev, c_prev, params)",
    "lstm_step_backward": "(dh_next, dc_next, cache)",
    "lstm_forward": "(x, h0, c0, params)",
    "lstm_backward": "(dout, cache)",
    "gru_step_forward": "(x, h_prev, params)",
    "gru_step_backward": "(dh_next, cache)",
    "gru_forward": "(x, h0, params)",
    "gru_backward": "(dout, cache)",
}


@pytest.mark.parametrize("module", ["course_lib.numpy", "course_lib.check"])
def test_importing_does_not_import_torch_or_matplotlib(module):
    code = f"import sys, {module}\nprint(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


@pytest.mark.parametrize("name", list(CONTRACT))
def test_contract_signature(name):
    assert str(inspect.signature(getattr(cnp, name))) == CONTRACT[name]


def test_every_public_function_has_a_docstring():
    public = [getattr(cnp, name) for name in dir(cnp) if not name.startswith("_")]
    missing = [f.__name__ for f in public if inspect.isfunction(f) and not inspect.getdoc(f)]
    assert not missing
