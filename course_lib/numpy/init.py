"""Weight initialisers, and params dicts for each cell in torch.nn's layout.

Weight shapes follow torch: (fan_out, fan_in). Every function takes an explicit `rng`
(np.random.Generator) and never touches a global seed.
"""

import numpy as np

from course_lib.numpy._checks import CELL_GATES, check_sizes

SCHEMES = ("torch", "xavier", "orthogonal", "irnn")


def xavier_uniform(shape, rng, gain=1.0, dtype=np.float64):
    """Glorot & Bengio (2010): U(-a, a) with a = gain·√(6 / (fan_in + fan_out)); shape (fan_out, fan_in)."""
    fan_out, fan_in = shape
    bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def xavier_normal(shape, rng, gain=1.0, dtype=np.float64):
    """Glorot & Bengio (2010): N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)); shape (fan_out, fan_in)."""
    fan_out, fan_in = shape
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=shape).astype(dtype)


def orthogonal(shape, rng, gain=1.0, dtype=np.float64):
    """A (semi-)orthogonal matrix (Saxe et al. 2014), as torch.nn.init.orthogonal_.

    Rows are orthonormal when rows <= cols, columns otherwise; all singular values equal `gain`, so
    repeated multiplication by it neither grows nor shrinks a vector.
    """
    rows, cols = shape
    a = rng.normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)  # q: (max, min) with orthonormal columns
    q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
    q = q if rows >= cols else q.T
    return (gain * q).astype(dtype)


def identity(n, gain=1.0, dtype=np.float64):
    """gain·I of size (n, n): the recurrent weights of an IRNN (Le, Jaitly & Hinton 2015)."""
    return gain * np.eye(n, dtype=dtype)


def torch_uniform(shape, H, rng, dtype=np.float64):
    """torch.nn.RNN/LSTM/GRU's default for every weight and bias: U(-1/√H, 1/√H)."""
    bound = 1.0 / np.sqrt(H)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def init_rnn_params(D, H, rng, scheme="torch", dtype=np.float64):
    """Params for rnn_forward: weight_ih (H, D), weight_hh (H, H), bias_ih, bias_hh (H,).

    scheme: "torch" (all U(-1/√H, 1/√H)), "xavier" (Glorot weights, zero biases), "orthogonal"
    (Glorot weight_ih, orthogonal weight_hh, zero biases), or "irnn" (Le et al. 2015: weight_hh = I,
    zero biases, weight_ih ~ N(0, 0.001²); use it with nonlinearity="relu").
    """
    return _init_cell("rnn", D, H, rng, scheme, dtype)


def init_lstm_params(D, H, rng, scheme="torch", forget_bias=0.0, dtype=np.float64):
    """Params for lstm_forward: weight_ih (4H, D), weight_hh (4H, H), bias_ih, bias_hh (4H,).

    Gate blocks i, f, g, o as in torch.nn.LSTM.
    scheme: "torch", "xavier" or "orthogonal" as in init_rnn_params, applied to each gate's block.
    forget_bias is added to the forget gate's bias_ih (1.0 is the Gers et al. 2000 / Jozefowicz et al.
    2015 advice: the cell starts by remembering).
    """
    params = _init_cell("lstm", D, H, rng, scheme, dtype)
    params["bias_ih"][H : 2 * H] += forget_bias
    return params


def init_gru_params(D, H, rng, scheme="torch", dtype=np.float64):
    """Params for gru_forward: weight_ih (3H, D), weight_hh (3H, H), bias_ih, bias_hh (3H,); gates r, z, n.

    scheme: "torch", "xavier" or "orthogonal" as in init_rnn_params, applied to each gate's block.
    """
    return _init_cell("gru", D, H, rng, scheme, dtype)


def _init_cell(cell, D, H, rng, scheme, dtype):
    """Build the params dict of `cell` with G = GATES[cell] blocks of H rows per weight."""
    check_sizes(D=D, H=H)
    if scheme not in SCHEMES or (scheme == "irnn" and cell != "rnn"):
        allowed = SCHEMES if cell == "rnn" else SCHEMES[:-1]
        raise ValueError(f"scheme: expected one of {allowed} for {cell}, got {scheme!r}")
    G = CELL_GATES[cell]
    if scheme == "torch":
        shapes = {"weight_ih": (G * H, D), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
        return {key: torch_uniform(shape, H, rng, dtype) for key, shape in shapes.items()}
    if scheme == "irnn":
        weight_ih = rng.normal(0.0, 0.001, size=(H, D)).astype(dtype)
        weight_hh = identity(H, dtype=dtype)
    else:
        recurrent = orthogonal if scheme == "orthogonal" else xavier_uniform
        weight_ih = np.concatenate([xavier_uniform((H, D), rng, dtype=dtype) for _ in range(G)])
        weight_hh = np.concatenate([recurrent((H, H), rng, dtype=dtype) for _ in range(G)])
    zeros = np.zeros(G * H, dtype=dtype)
    return {"weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": zeros, "bias_hh": zeros.copy()}
