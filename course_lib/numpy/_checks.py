"""Input validation shared by every NumPy op: shapes, parameter dicts, dtypes.

Every error is a ValueError whose message names the expected and the received shape, for example
"x: expected (N, T, D) with D=5 from weight_ih, got shape (2, 3, 4)".
"""

from collections.abc import Mapping

import numpy as np

PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
NONLINEARITIES = ("tanh", "relu")
CELL_GATES = {"rnn": 1, "lstm": 4, "gru": 3, "cho_gru": 3}  # G: blocks of H rows in each weight


def check_shape(name, array, dims, known=None):
    """Return `array` as an ndarray after checking its rank and the sizes already known.

    dims: one letter per axis, e.g. ("N", "T", "D"). known: {letter: (size, where the size comes from)}.
    """
    array = np.asarray(array)
    known = known or {}
    sizes = [_size(dim, known) for dim in dims]  # None: any size
    fits = array.ndim == len(dims) and all(s in (None, n) for s, n in zip(sizes, array.shape, strict=True))
    if not fits:
        raise ValueError(f"{name}: expected {_describe(dims, known)}, got shape {array.shape}")
    return array


def _size(dim, known):
    """The required size of an axis: a literal int, a known letter's size, or None (any size)."""
    return dim if isinstance(dim, int) else known.get(dim, (None,))[0]


def _describe(dims, known):
    """'(N, T, D) with N=2, T=3 from x and D=5 from weight_ih' (sizes grouped by where they come from)."""
    text = "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"
    groups = []
    for dim in dims:
        if dim not in known:
            continue
        size, source = known[dim]
        if groups and groups[-1][1] == source:
            groups[-1][0].append(f"{dim}={size}")
        else:
            groups.append(([f"{dim}={size}"], source))
    if groups:
        text += " with " + " and ".join(f"{', '.join(sizes)} from {source}" for sizes, source in groups)
    return text


def cell_sizes(params, gates, cell):
    """Check a cell's params dict (torch.nn layout, `gates` blocks of H rows) and return (D, H)."""
    if not isinstance(params, Mapping):
        keys = ", ".join(PARAM_KEYS)
        raise ValueError(f"params: expected a dict with keys {keys}, got {type(params).__name__}")
    missing = [key for key in PARAM_KEYS if key not in params]
    if missing:
        raise ValueError(
            f"params: missing keys {missing}; a {cell} needs {', '.join(PARAM_KEYS)} (torch.nn names)"
        )
    rows = f"{gates}*H" if gates > 1 else "H"
    weight_hh = np.asarray(params["weight_hh"])
    H = weight_hh.shape[-1] if weight_hh.ndim == 2 else -1
    if weight_hh.ndim != 2 or weight_hh.shape[0] != gates * H:
        raise ValueError(f"weight_hh: expected ({rows}, H) for a {cell}, got shape {weight_hh.shape}")
    from_hh = {rows: (gates * H, "weight_hh")}
    weight_ih = check_shape("weight_ih", params["weight_ih"], (rows, "D"), from_hh)
    for key in ("bias_ih", "bias_hh"):
        check_shape(key, params[key], (rows,), from_hh)
    return weight_ih.shape[1], H


def check_nonlinearity(nonlinearity):
    """Raise a ValueError unless `nonlinearity` is 'tanh' or 'relu'."""
    if not isinstance(nonlinearity, str) or nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")


def check_cell_options(cell, c0, nonlinearity):
    """Reject unknown cells and options that the chosen cell does not have."""
    if cell not in CELL_GATES:
        raise ValueError(f"cell: expected one of {tuple(CELL_GATES)}, got {cell!r}")
    if c0 is not None and cell != "lstm":
        raise ValueError(f"c0: only an LSTM has a cell state, got c0 for cell={cell!r}")
    if nonlinearity != "tanh" and cell != "rnn":
        raise ValueError(f"nonlinearity: only the RNN takes one, got {nonlinearity!r} for cell={cell!r}")
    check_nonlinearity(nonlinearity)


def float_dtype(*arrays):
    """The dtype the computation runs in: NumPy's promotion of the inputs, float64 for integers."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def check_upstream(name, grad, expected_shape, dtype):
    """An upstream gradient must have the shape of the forward output; cast it to the forward dtype."""
    grad = np.asarray(grad)
    if grad.shape != tuple(expected_shape):
        expected = tuple(expected_shape)
        raise ValueError(f"{name}: expected shape {expected} from the forward pass, got shape {grad.shape}")
    return grad.astype(dtype, copy=False)


def step_inputs(x, h_prev, params, gates, cell, h_name="h_prev"):
    """Validate one step's x (N, D) and h_prev (N, H) against the params; return x, h_prev, H."""
    D, H = cell_sizes(params, gates, cell)
    x = check_shape("x", x, ("N", "D"), {"D": (D, "weight_ih")})
    h_prev = check_state(h_name, h_prev, x.shape[0], H, x.dtype)
    return x, h_prev, H


def sequence_inputs(x, h0, params, gates, cell, h_name="h0"):
    """Validate a sequence x (N, T, D) and h0 (N, H) (None means zeros); return x, h0, H, dtype."""
    D, H = cell_sizes(params, gates, cell)
    x = check_shape("x", x, ("N", "T", "D"), {"D": (D, "weight_ih")})
    if x.shape[1] == 0:
        raise ValueError(f"x: expected (N, T, D) with at least one time step, got shape {x.shape}")
    h0 = check_state(h_name, h0, x.shape[0], H, x.dtype)
    dtype = float_dtype(x, h0, *(params[key] for key in PARAM_KEYS))
    return x, h0, H, dtype


def check_state(name, state, N, H, dtype):
    """A hidden or cell state (N, H); None means zeros of `dtype`."""
    if state is None:
        return np.zeros((N, H), dtype=float_dtype(dtype))
    return check_shape(name, state, ("N", "H"), {"N": (N, "x"), "H": (H, "weight_hh")})


def check_sizes(**sizes):
    """Every size must be a positive integer."""
    for name, size in sizes.items():
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise ValueError(f"{name}: expected a positive integer, got {size!r}")
