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

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from course_lib.torch.cells import (
    _CellBase,
    gru_step,
    lstm_step,
    rnn_relu_step,
    rnn_tanh_step,
)
from course_lib.torch.checks import check_input_dtype, check_input_size, check_layer_args, check_layer_states


# The layer keeps every state as a tuple, (h,) or (h, c); these adapt the one-state steps.
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
    of sequences longer than t (non-increasing: sequences sorted by length, longest first).

    Args:
        gx_steps: sequence of T tensors (N_t, G*H). state0: tuple of (N, H), (h,) or (h, c).
        weight_hh: (G*H, H). bias_hh: (G*H,) or None. reverse: run from t = T-1 down to 0.
    Returns:
        outputs: list of T tensors (N_t, H), h at each step in time order.
        state: tuple of (N, H), each sequence's final state.
    """
    run = _scan_reverse if reverse else _scan_forward
    return run(step, gx_steps, state0, weight_hh, bias_hh)


def _scan_forward(step, gx_steps, state0, weight_hh, bias_hh):
    """Forward in time; a sequence keeps its state from its own last step on."""
    outputs = []
    ended = []  # final states of sequences that stopped early, shortest (last rows) first
    state = state0
    for gx in gx_steps:
        n_t = gx.size(0)
        if n_t < state[0].size(0):  # sequences n_t.. ended at the previous step
            ended.append(tuple(s[n_t:] for s in state))
            state = tuple(s[:n_t] for s in state)  # each (N_t, H)
        state = step(gx, state, weight_hh, bias_hh)
        outputs.append(state[0])
    if ended:
        ended.append(state)
        state = tuple(torch.cat(parts[::-1]) for parts in zip(*ended, strict=True))  # each (N, H)
    return outputs, state


def _scan_reverse(step, gx_steps, state0, weight_hh, bias_hh):
    """Backward in time; a sequence starts at its own last element, from its initial state."""
    outputs = []
    n = gx_steps[-1].size(0)
    state = tuple(s[:n] for s in state0)  # (N_{T-1}, H): only the longest sequences have step T-1
    for gx in reversed(gx_steps):
        n_t = gx.size(0)
        if n_t > n:  # sequences n..n_t-1 have their last element here: they join from state0
            state = tuple(torch.cat([s, s0[n:n_t]]) for s, s0 in zip(state, state0, strict=True))
            n = n_t
        state = step(gx, state, weight_hh, bias_hh)
        outputs.append(state[0])
    return outputs[::-1], state


class RecurrentBase(nn.Module):
    """The generic multi-layer, optionally bidirectional recurrent layer behind RNN, LSTM and GRU.

    Args (torch.nn.RNNBase's): mode ('RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'), input_size D,
    hidden_size H, num_layers L, bias, batch_first, dropout (between layers, training only),
    bidirectional, device, dtype.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        check_layer_args(input_size, hidden_size, num_layers, bias, batch_first, dropout)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = 0
        self._flat_weights_names = []  # torch.nn's bookkeeping: names in registration order
        self._all_weights = []  # the same names, one list per layer and direction
        self._register_weights(_MODES[mode][0], device, dtype)
        self.reset_parameters()

    def _register_weights(self, G, device, dtype):
        """weight_ih_l{k}[_reverse] (G*H, D or dirs*H), weight_hh (G*H, H), bias_ih, bias_hh (G*H,),
        registered layer by layer, forward before reverse, exactly as torch.nn does."""
        factory = {"device": device, "dtype": dtype}
        for layer in range(self.num_layers):
            layer_input_size = self.input_size if layer == 0 else self.hidden_size * self._num_directions
            for direction in range(self._num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (G * self.hidden_size, layer_input_size),
                          "weight_hh": (G * self.hidden_size, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(G * self.hidden_size,), bias_hh=(G * self.hidden_size,))
                names = [name + suffix for name in shapes]
                for name, shape in zip(names, shapes.values(), strict=True):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)

    reset_parameters = _CellBase.reset_parameters

    def flatten_parameters(self) -> None:
        """No-op, kept so scripts written for torch.nn (which call it for cuDNN) run unchanged."""

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """Parameters per layer and direction, as torch.nn.RNNBase.all_weights."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    @property
    def _num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def forward(self, input, hx=None):
        """Run all layers over a sequence; see RNN, LSTM and GRU for the shapes."""
        x, batch_sizes, sorted_indices, unsorted_indices, is_batched = self._time_major(input)
        N = x.size(1) if batch_sizes is None else int(batch_sizes[0])
        states = self._initial_states(x, hx, N, is_batched, sorted_indices)  # each (L*dirs, N, H)
        out, states = self._run(x, states, None if batch_sizes is None else batch_sizes.tolist())
        if unsorted_indices is not None:
            states = tuple(s.index_select(1, unsorted_indices) for s in states)  # caller's batch order
        if batch_sizes is not None:
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        elif not is_batched:
            out = out.squeeze(1)  # (T, dirs*H)
            states = tuple(s.squeeze(1) for s in states)  # each (L*dirs, H)
        elif self.batch_first:
            out = out.transpose(0, 1)  # (N, T, dirs*H)
        return out, (states if self.mode == "LSTM" else states[0])

    def _time_major(self, input):
        """(x, batch_sizes, sorted_indices, unsorted_indices, is_batched) after the input checks.

        x is (T, N, D) for a tensor (a batch of one for unbatched input) or (sum of lengths, D)
        for a PackedSequence, whose other fields are None for a tensor.
        """
        if isinstance(input, PackedSequence):
            check_input_dtype(input.data, self.weight_ih_l0)
            check_input_size(input.data, self.input_size)
            return (*input, True)
        if input.dim() not in (2, 3):
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             + (" tensor instead" if name == "RNN" else " instead"))
        check_input_dtype(input, self.weight_ih_l0)
        check_input_size(input, self.input_size)
        is_batched = input.dim() == 3
        if not is_batched:
            x = input.unsqueeze(1)  # (T, 1, D)
        else:
            x = input.transpose(0, 1) if self.batch_first else input  # (T, N, D)
        return x, None, None, None, is_batched

    def _initial_states(self, x, hx, N, is_batched, sorted_indices):
        """hx as a tuple (h_0,) or (h_0, c_0) of (L*dirs, N, H), zeros for None, sorted like x."""
        num_states = 2 if self.mode == "LSTM" else 1
        if hx is None:
            zeros = torch.zeros(self._num_directions * self.num_layers, N, self.hidden_size,
                                dtype=x.dtype, device=x.device)
            return (zeros,) * num_states
        expected = (self._num_directions * self.num_layers, N, self.hidden_size)
        states = check_layer_states((hx,) if num_states == 1 else tuple(hx), expected, is_batched)
        if sorted_indices is not None:  # hx is in the caller's batch order
            states = tuple(s.index_select(1, sorted_indices) for s in states)
        return states

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
        weights = tuple(getattr(self, name) for name in self._all_weights[k])
        return weights if self.bias else (*weights, None, None)


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
