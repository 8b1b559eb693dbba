"""Multi-layer recurrent layers from tensor operations: drop-in for torch.nn.RNN, LSTM and GRU.

One generic layer, RecurrentBase, runs any cell of cells.py; RNN, LSTM and GRU only pick the step.
For each layer and direction:
    gx = x W_ih^T + b_ih          all T steps in one matmul: (T, N, G*H)
    for t in time order (reversed for the backward direction):
        state = step(gx[t], state, W_hh, b_hh)
Layer l + 1 reads the concatenated outputs of both directions of layer l, after dropout in
training mode (never after the last layer). Parameter names, shapes, registration order, init,
inputs, outputs and error messages are torch.nn's, so a state_dict copies both ways.
"""

import numbers
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from course_lib.torch.cells import (
    _CellBase,
    check_hidden_size,
    check_input_size,
    gru_step,
    lstm_step,
    rnn_relu_step,
    rnn_tanh_step,
)


def _rnn_tanh(gx, state, weight_hh, bias_hh):
    return (rnn_tanh_step(gx, state[0], weight_hh, bias_hh),)


def _rnn_relu(gx, state, weight_hh, bias_hh):
    return (rnn_relu_step(gx, state[0], weight_hh, bias_hh),)


def _gru(gx, state, weight_hh, bias_hh):
    return (gru_step(gx, state[0], weight_hh, bias_hh),)


# mode -> (G gates, step on a state tuple): every step maps (gx, (h,) or (h, c), W_hh, b_hh) to a state tuple.
_MODES = {
    "RNN_TANH": (1, _rnn_tanh),
    "RNN_RELU": (1, _rnn_relu),
    "LSTM": (4, lstm_step),
    "GRU": (3, _gru),
}


def scan(step, gx_steps, state0, weight_hh, bias_hh, reverse=False):
    """Run one direction of one layer: state = step(gx_steps[t], state, W_hh, b_hh) for each t.

    gx_steps[t] is (N_t, G*H). N_t is N for a padded batch; for a packed batch N_t is the number
    of sequences longer than t (non-increasing, sequences sorted by length). Forward, a sequence
    keeps its state from its own last step on; reverse, it starts at its own last element from
    its initial state.

    Args:
        gx_steps: sequence of T tensors (N_t, G*H). state0: tuple of (N, H), (h,) or (h, c).
        weight_hh: (G*H, H). bias_hh: (G*H,) or None.
    Returns:
        outputs: list of T tensors (N_t, H), h at each step in time order.
        state: tuple of (N, H), each sequence's final state.
    """
    T = len(gx_steps)
    outputs = [None] * T
    if reverse:
        n = gx_steps[-1].size(0)
        state = tuple(s[:n] for s in state0)  # (N_{T-1}, H): only the longest sequences start at T-1
        for t in range(T - 1, -1, -1):
            n_t = gx_steps[t].size(0)
            if n_t > n:  # sequences n..n_t-1 end at t: they join with their initial state
                state = tuple(torch.cat([s, s0[n:n_t]]) for s, s0 in zip(state, state0, strict=True))
                n = n_t
            state = step(gx_steps[t], state, weight_hh, bias_hh)
            outputs[t] = state[0]
        return outputs, state
    ended = []  # final states of sequences that stopped early, shortest (last rows) first
    state = state0
    for t in range(T):
        n_t = gx_steps[t].size(0)
        if n_t < state[0].size(0):  # sequences n_t.. ended at t - 1: keep their final state
            ended.append(tuple(s[n_t:] for s in state))
            state = tuple(s[:n_t] for s in state)
        state = step(gx_steps[t], state, weight_hh, bias_hh)
        outputs[t] = state[0]
    if ended:
        ended.append(state)
        state = tuple(torch.cat(parts[::-1]) for parts in zip(*ended, strict=True))  # (N, H) each
    return outputs, state


class RecurrentBase(nn.Module):
    """The generic multi-layer, optionally bidirectional recurrent layer behind RNN, LSTM and GRU.

    Args (torch.nn.RNNBase's): mode ('RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'), input_size D,
    hidden_size H, num_layers L, bias, batch_first, dropout (between layers, training only),
    bidirectional, device, dtype.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        _check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = 0
        G, _ = _MODES[mode]
        num_directions = 2 if bidirectional else 1
        factory = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input_size = input_size if layer == 0 else hidden_size * num_directions
            for direction in range(num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (G * hidden_size, layer_input_size),
                          "weight_hh": (G * hidden_size, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(G * hidden_size,), bias_hh=(G * hidden_size,))
                names = [name + suffix for name in shapes]
                for name, shape in zip(names, shapes.values(), strict=True):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    reset_parameters = _CellBase.reset_parameters

    def flatten_parameters(self) -> None:
        """No-op, kept so scripts written for torch.nn (which call it for cuDNN) run unchanged."""

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """Parameters per layer and direction, as torch.nn.RNNBase.all_weights."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[nn.Parameter]:
        return [getattr(self, name) for name in self._flat_weights_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    def forward(self, input, hx=None):
        """Run all layers over a sequence; see RNN, LSTM and GRU for shapes."""
        num_states = 2 if self.mode == "LSTM" else 1
        packed = isinstance(input, PackedSequence)
        if packed:
            x, batch_sizes, sorted_indices, unsorted_indices = input  # x: (sum of lengths, D)
            is_batched = True
            N = int(batch_sizes[0])
        else:
            if input.dim() not in (2, 3):
                name = "RNN" if self.mode.startswith("RNN") else self.mode
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D tensor instead")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            x = input if is_batched else input.unsqueeze(batch_dim)  # (T, N, D) or (N, T, D)
            x = x.transpose(0, 1) if self.batch_first else x  # (T, N, D)
            N = x.size(1)
            sorted_indices = unsorted_indices = None
        self._check_input(x)
        if hx is None:
            zeros = torch.zeros(self._num_directions * self.num_layers, N, self.hidden_size,
                                dtype=x.dtype, device=x.device)
            states = (zeros,) * num_states
        else:
            states = self._check_hx((hx,) if num_states == 1 else tuple(hx), N, is_batched)
            if sorted_indices is not None:  # hx is in the caller's batch order
                states = tuple(s.index_select(1, sorted_indices) for s in states)
        out, states = self._run(x, states, batch_sizes.tolist() if packed else None)
        if unsorted_indices is not None:
            states = tuple(s.index_select(1, unsorted_indices) for s in states)  # back to caller's order
        if packed:
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        else:
            out = out.transpose(0, 1) if self.batch_first else out  # (N, T, dirs*H) or (T, N, dirs*H)
            out = out if is_batched else out.squeeze(batch_dim)
            states = states if is_batched else tuple(s.squeeze(1) for s in states)
        return out, (states if num_states == 2 else states[0])

    @property
    def _num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _run(self, x, states, batch_sizes):
        """All layers and directions. x: (T, N, D) or packed data (sum of lengths, D);
        states: tuple of (L*dirs, N, H). Returns output (T, N, dirs*H) or (sum, dirs*H) and the
        final states, tuple of (L*dirs, N, H)."""
        _, step = _MODES[self.mode]
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self._num_directions):
                k = layer * self._num_directions + direction
                w_ih, w_hh, b_ih, b_hh = self._weights(k)
                gx = F.linear(x, w_ih, b_ih)  # (T, N, G*H) or (sum, G*H)
                # unbind/split, never gx[t] in the loop: each gx[t] backward would allocate all of gx
                gx_steps = gx.unbind(0) if batch_sizes is None else gx.split(batch_sizes)
                state0 = tuple(s[k] for s in states)  # each (N, H)
                out_steps, final = scan(step, gx_steps, state0, w_hh, b_hh, reverse=direction == 1)
                outputs.append(torch.stack(out_steps) if batch_sizes is None else torch.cat(out_steps))
                finals.append(final)
            x = torch.cat(outputs, dim=-1) if len(outputs) > 1 else outputs[0]  # (T, N, dirs*H)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        final_states = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))  # (L*dirs, N, H)
        return x, final_states

    def _weights(self, k):
        """(W_ih, W_hh, b_ih, b_hh) of layer-direction k; biases are None when bias=False."""
        names = self._all_weights[k]
        return tuple(getattr(self, name) for name in names) + (None, None) * (len(names) == 2)

    def _check_input(self, x: Tensor) -> None:
        w = self._flat_weights[0]
        if x.dtype != w.dtype and not torch.is_autocast_enabled(x.device.type):
            raise ValueError(
                f"RNN input dtype ({x.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({x.dtype})"
            )
        check_input_size(x, self.input_size)

    def _check_hx(self, states, N, is_batched):
        """Check each of hx (h,) or (h, c) and add the batch dimension for unbatched input."""
        dims = 3 if is_batched else 2
        expected = (self._num_directions * self.num_layers, N, self.hidden_size)
        checked = []
        for k, s in enumerate(states):
            if s.dim() != dims:
                raise RuntimeError(
                    f"For {'batched 3-D' if is_batched else 'unbatched 2-D'} input, hx should also be "
                    f"{dims}-D but got {s.dim()}-D tensor"
                )
            s = s if is_batched else s.unsqueeze(1)  # (L*dirs, N, H)
            check_hidden_size(s, expected, "hidden" if len(states) == 1 else f"hidden[{k}]")
            checked.append(s)
        return tuple(checked)


def _check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout):
    """torch.nn.RNNBase's argument checks, with its messages."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                         "element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                      f"expects num_layers greater than 1, but got dropout={dropout} and "
                      f"num_layers={num_layers}", stacklevel=4)
    for name, value, kind in [("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)]:
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
    for name, value in [("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)]:
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")


class RNN(RecurrentBase):
    """Multi-layer Elman RNN, drop-in for torch.nn.RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).

    Args:
        input_size: D. hidden_size: H. num_layers: L. nonlinearity: 'tanh' or 'relu'.
        bias: if False, no b_ih, b_hh. batch_first: input and output are (N, T, .) instead of (T, N, .).
        dropout: dropout probability on the outputs of every layer but the last, in training mode.
        bidirectional: also run each layer backwards in time and concatenate. device, dtype.
    forward(input, hx=None):
        input: (T, N, D), (N, T, D) if batch_first, unbatched (T, D), or a PackedSequence.
        hx: (L*dirs, N, H), unbatched (L*dirs, H); None means zeros.
        Returns output (T, N, dirs*H) (same layout as input; PackedSequence in, PackedSequence out)
        and h_n (L*dirs, N, H): each sequence's last state, in the caller's batch order.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device, dtype)


class LSTM(RecurrentBase):
    """Multi-layer LSTM, drop-in for torch.nn.LSTM (gate order i, f, g, o; see cells.lstm_step).

    Args: as RNN, without nonlinearity.
    forward(input, hx=None):
        input: (T, N, D), (N, T, D) if batch_first, unbatched (T, D), or a PackedSequence.
        hx: (h_0, c_0), each (L*dirs, N, H), unbatched (L*dirs, H); None means zeros.
        Returns output (T, N, dirs*H) (same layout as input; PackedSequence in, PackedSequence out)
        and (h_n, c_n), each (L*dirs, N, H), in the caller's batch order.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class GRU(RecurrentBase):
    """Multi-layer GRU, drop-in for torch.nn.GRU (PyTorch variant, gate order r, z, n; see cells.gru_step).

    Args: as RNN, without nonlinearity.
    forward(input, hx=None): shapes as RNN.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
