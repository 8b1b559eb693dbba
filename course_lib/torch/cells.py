"""Recurrent cells from tensor operations: drop-in for torch.nn.RNNCell, LSTMCell and GRUCell.

Each cell is split in two so the layers in layers.py can reuse the math:
    gx = x W_ih^T + b_ih                      the input projection, (N, G*H), no recurrence
    h' = <cell>_step(gx, h, W_hh, b_hh)       the recurrent part, one call per time step
A layer computes gx for all T steps in one matmul and then loops over the step function.

Parameters have torch.nn's names, shapes, gate order and registration order, so a state_dict
copies both ways: weight_ih (G*H, D), weight_hh (G*H, H), bias_ih (G*H,), bias_hh (G*H,),
with G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: gates r, z, n).
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.torch.checks import check_cell_hidden, check_cell_input


def rnn_tanh_step(gx: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """One Elman RNN step with tanh: h' = tanh(gx + h W_hh^T + b_hh).

    Args:
        gx: (N, H), the input projection x W_ih^T + b_ih. h: (N, H).
        weight_hh: (H, H). bias_hh: (H,) or None.
    Returns:
        h': (N, H).
    """
    a = gx + F.linear(h, weight_hh, bias_hh)  # (N, H) pre-activation
    return torch.tanh(a)


def rnn_relu_step(gx: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """One Elman RNN step with ReLU: h' = relu(gx + h W_hh^T + b_hh). Shapes as rnn_tanh_step."""
    a = gx + F.linear(h, weight_hh, bias_hh)  # (N, H) pre-activation
    return torch.relu(a)


def lstm_step(
    gx: Tensor, state: tuple[Tensor, Tensor], weight_hh: Tensor, bias_hh: Tensor | None
) -> tuple[Tensor, Tensor]:
    """One LSTM step, gate order i, f, g, o as in torch.nn.LSTM.

    [a_i, a_f, a_g, a_o] = gx + h W_hh^T + b_hh
    i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o)
    c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

    Args:
        gx: (N, 4H), the input projection x W_ih^T + b_ih. state: (h, c), each (N, H)
            (h is (N, P) under a projection, see lstmp_step).
        weight_hh: (4H, H), or (4H, P). bias_hh: (4H,) or None.
    Returns:
        (h', c'): each (N, H).
    """
    h, c = state
    gates = gx + F.linear(h, weight_hh, bias_hh)  # (N, 4H)
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=1)  # each (N, H)
    i = torch.sigmoid(a_i)
    f = torch.sigmoid(a_f)
    g = torch.tanh(a_g)
    o = torch.sigmoid(a_o)
    c = f * c + i * g
    h = o * torch.tanh(c)
    return h, c


def lstmp_step(
    gx: Tensor, state: tuple[Tensor, Tensor], weight_hh: Tensor, bias_hh: Tensor | None, weight_hr: Tensor
) -> tuple[Tensor, Tensor]:
    """One LSTM step with a recurrent projection (LSTMP, Sak et al. 2014), torch.nn.LSTM with proj_size P.

    (m, c') = lstm_step(gx, (h, c), W_hh, b_hh),   m = o ⊙ tanh(c')
    h' = m W_hr^T          the projection is what is output and what the next step reads

    Args:
        gx: (N, 4H), the input projection x W_ih^T + b_ih. state: (h (N, P), c (N, H)).
        weight_hh: (4H, P). bias_hh: (4H,) or None. weight_hr: (P, H).
    Returns:
        (h', c'): (N, P) and (N, H).
    """
    m, c = lstm_step(gx, state, weight_hh, bias_hh)  # each (N, H)
    h = F.linear(m, weight_hr)  # (N, P)
    return h, c


def gru_step(gx: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """One GRU step, PyTorch variant (the reset gate multiplies W_hn h + b_hn), gate order r, z, n.

    r = σ(gx_r + h W_hr^T + b_hr),   z = σ(gx_z + h W_hz^T + b_hz)
    n = tanh(gx_n + r ⊙ (h W_hn^T + b_hn)),   h' = (1 - z) ⊙ n + z ⊙ h

    Args:
        gx: (N, 3H), the input projection x W_ih^T + b_ih. h: (N, H).
        weight_hh: (3H, H). bias_hh: (3H,) or None.
    Returns:
        h': (N, H).
    """
    gh = F.linear(h, weight_hh, bias_hh)  # (N, 3H)
    gx_r, gx_z, gx_n = gx.chunk(3, dim=1)  # each (N, H)
    gh_r, gh_z, gh_n = gh.chunk(3, dim=1)  # each (N, H)
    r = torch.sigmoid(gx_r + gh_r)
    z = torch.sigmoid(gx_z + gh_z)
    n = torch.tanh(gx_n + r * gh_n)
    return n + z * (h - n)  # (1 - z) n + z h with one multiply


class _CellBase(nn.Module):
    """Parameters, init and input handling shared by the three cells (torch.nn.RNNCellBase)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        G = num_chunks
        self.weight_ih = nn.Parameter(torch.empty(G * hidden_size, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(G * hidden_size, hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(G * hidden_size, **factory))
            self.bias_hh = nn.Parameter(torch.empty(G * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), drawn in registration order like torch.nn;
        H = 0 (empty parameters, as torch.nn allows for cells) gives bound 0."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: tuple[Tensor, ...] | None, num_states: int):
        """Check shapes in torch.nn's order with its messages, add the batch dimension to 1-D input,
        and fill hx=None with zeros.

        Args:
            input: (N, D) or (D,). hx: None, (h,) or (h, c), each (N, H) or (H,).
        Returns:
            (input (N, D), states tuple of (N, H), is_batched).
        """
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for k, value in enumerate(hx or ()):
            if value.dim() not in (1, 2):
                what = f"hx[{k}]" if num_states > 1 else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)  # (1, D)
            hx = None if hx is None else tuple(value.unsqueeze(0) for value in hx)  # each (1, H)
        if hx is None:
            zeros = torch.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zeros,) * num_states
        if len(hx) != num_states:
            raise RuntimeError("lstm_cell expects two hidden states")
        check_cell_input(input, self.input_size)
        for k, value in enumerate(hx):
            check_cell_hidden(input, value, self.hidden_size, k)
        return input, tuple(hx), is_batched


class RNNCell(_CellBase):
    """An Elman RNN cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or ReLU).

    Args:
        input_size: D. hidden_size: H. bias: if False, no b_ih, b_hh.
        nonlinearity: 'tanh' or 'relu'. device, dtype: where and how to create the parameters.
    forward(input, hx=None):
        input: (N, D) or unbatched (D,). hx: (N, H) or (H,); None means zeros.
        Returns h': (N, H) or (H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), is_batched = self._prepare(input, None if hx is None else (hx,), 1)
        step = rnn_tanh_step if self.nonlinearity == "tanh" else rnn_relu_step
        gx = F.linear(input, self.weight_ih, self.bias_ih)  # (N, H)
        h = step(gx, h, self.weight_hh, self.bias_hh)  # (N, H)
        return h if is_batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """A long short-term memory cell (see lstm_step for the equations).

    Args:
        input_size: D. hidden_size: H. bias: if False, no b_ih, b_hh. device, dtype.
    forward(input, hx=None):
        input: (N, D) or unbatched (D,). hx: (h, c), each (N, H) or (H,); None means zeros.
        Returns (h', c'): each (N, H) or (H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        input, state, is_batched = self._prepare(input, hx, 2)
        gx = F.linear(input, self.weight_ih, self.bias_ih)  # (N, 4H)
        h, c = lstm_step(gx, state, self.weight_hh, self.bias_hh)  # each (N, H)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """A gated recurrent unit cell, PyTorch variant (see gru_step for the equations).

    Args:
        input_size: D. hidden_size: H. bias: if False, no b_ih, b_hh. device, dtype.
    forward(input, hx=None):
        input: (N, D) or unbatched (D,). hx: (N, H) or (H,); None means zeros.
        Returns h': (N, H) or (H,).
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, (h,), is_batched = self._prepare(input, None if hx is None else (hx,), 1)
        gx = F.linear(input, self.weight_ih, self.bias_ih)  # (N, 3H)
        h = gru_step(gx, h, self.weight_hh, self.bias_hh)  # (N, H)
        return h if is_batched else h.squeeze(0)
