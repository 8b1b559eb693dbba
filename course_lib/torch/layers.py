"""Multi-layer recurrent layers from tensor operations: drop-in for torch.nn.RNN, LSTM and GRU.

One generic layer, RecurrentBase, runs any cell of cells.py; RNN, LSTM and GRU only pick the step.
For each layer and direction:
    gx = x W_ih^T + b_ih          all T steps in one matmul: (T, N, G*H)
    for t in time order (reversed for the backward direction):
        state = step(gx[t], state, W_hh, b_hh)
Layer l + 1 reads the concatenated outputs of both directions of layer l, after dropout in
training mode (never after the last layer). An LSTM with proj_size P > 0 projects each h to P
units (cells.lstmp_step), so outputs and h_n have P units and c_n keeps H. Parameter names,
shapes, registration order, init, inputs, outputs and error messages are torch.nn's, so a
state_dict copies both ways.
"""

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from course_lib.torch.cells import (
    _CellBase,
    gru_step,
    lstm_step,
    lstmp_step,
    rnn_relu_step,
    rnn_tanh_step,
)
from course_lib.torch.checks import (
    check_input_dtype,
    check_input_size,
    check_layer_args,
    check_layer_hx_dims,
    check_layer_hx_sizes,
    check_no_projection,
    check_sequence_length,
)
from course_lib.torch.scan import scan


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


class RecurrentBase(nn.Module):
    """The generic multi-layer, optionally bidirectional recurrent layer behind RNN, LSTM and GRU.

    Args (torch.nn.RNNBase's): mode ('RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'), input_size D,
    hidden_size H, num_layers L, bias, batch_first, dropout (between layers, training only),
    bidirectional, proj_size P (LSTM only; 0 means no projection), device, dtype.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        check_layer_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weights_names = []  # torch.nn's bookkeeping: names in registration order
        self._all_weights = []  # the same names, one list per layer and direction
        self._register_weights(_MODES[mode][0], device, dtype)
        self.reset_parameters()

    def _register_weights(self, G, device, dtype):
        """weight_ih_l{k}[_reverse] (G*H, D or dirs*R), weight_hh (G*H, R), bias_ih, bias_hh (G*H,)
        and, with a projection, weight_hr (P, H), where R is the size of h (P, or H without a
        projection); registered layer by layer, forward before reverse, exactly as torch.nn does."""
        factory = {"device": device, "dtype": dtype}
        H, R = self.hidden_size, self._state_size
        for layer in range(self.num_layers):
            layer_input_size = self.input_size if layer == 0 else R * self._num_directions
            for direction in range(self._num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (G * H, layer_input_size), "weight_hh": (G * H, R)}
                if self.bias:
                    shapes.update(bias_ih=(G * H,), bias_hh=(G * H,))
                if self.proj_size > 0:
                    shapes.update(weight_hr=(self.proj_size, H))
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

    @property
    def _flat_weights(self) -> list[torch.Tensor | None]:
        """torch.nn's flat list of the weights in _flat_weights_names order, for code that reads it
        (e.g. to count Parameters under weight_norm). Looked up on each access, so it is never stale;
        read-only, since our forward reads the named attributes."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {"proj_size": 0, "num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    @property
    def _num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _state_size(self) -> int:
        """R, the size of h: proj_size P for a projected LSTM, else hidden_size H."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def forward(self, input, hx=None):
        """Run all layers over a sequence; see RNN, LSTM and GRU for the shapes."""
        x, batch_sizes, sorted_indices, unsorted_indices, is_batched = self._time_major(input)
        states = self._initial_states(x, hx, batch_sizes, is_batched, sorted_indices)  # (L*dirs, N, R or H)
        out, states = self._run(x, states, None if batch_sizes is None else batch_sizes.tolist())
        if unsorted_indices is not None:
            states = tuple(s.index_select(1, unsorted_indices) for s in states)  # caller's batch order
        if batch_sizes is not None:
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        elif not is_batched:
            out = out.squeeze(1)  # (T, dirs*R)
            states = tuple(s.squeeze(1) for s in states)  # each (L*dirs, R or H)
        elif self.batch_first:
            out = out.transpose(0, 1)  # (N, T, dirs*R)
        return out, (states if self.mode == "LSTM" else states[0])

    def _time_major(self, input):
        """(x, batch_sizes, sorted_indices, unsorted_indices, is_batched) after the dimension check.

        x is (T, N, D) for a tensor (a batch of one for unbatched input) or (sum of lengths, D)
        for a PackedSequence, whose other fields are None for a tensor.
        """
        if isinstance(input, PackedSequence):
            return (*input, True)
        if input.dim() not in (2, 3):
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             + (" tensor instead" if name == "RNN" else " instead"))
        is_batched = input.dim() == 3
        if not is_batched:
            x = input.unsqueeze(1)  # (T, 1, D)
        else:
            x = input.transpose(0, 1) if self.batch_first else input  # (T, N, D)
        return x, None, None, None, is_batched

    def _initial_states(self, x, hx, batch_sizes, is_batched, sorted_indices):
        """hx as a tuple (h_0,) or (h_0, c_0), zeros for None, sorted like x, after torch.nn's checks
        in its order: hx dimensions, input dtype and size, hx sizes, sequence length.

        Returns h_0 (L*dirs, N, R) (R = P with a projection, else H) and for the LSTM c_0 (L*dirs, N, H).
        """
        states = None if hx is None else ((hx,) if self.mode != "LSTM" else tuple(hx))
        if states is not None and batch_sizes is None:
            states = check_layer_hx_dims(states, is_batched)  # each (L*dirs, N, .)
        check_input_dtype(x, self.weight_ih_l0)
        check_input_size(x, self.input_size)
        N = x.size(1) if batch_sizes is None else int(batch_sizes[0])
        L_dirs = self.num_layers * self._num_directions
        shapes = [(L_dirs, N, self._state_size)]  # h_0
        if self.mode == "LSTM":
            shapes.append((L_dirs, N, self.hidden_size))  # c_0
        if states is not None:
            check_layer_hx_sizes(states, shapes)
        if batch_sizes is None:
            check_sequence_length(x)
        if states is None:
            return tuple(torch.zeros(shape, dtype=x.dtype, device=x.device) for shape in shapes)
        if sorted_indices is not None:  # hx is in the caller's batch order
            states = tuple(s.index_select(1, sorted_indices) for s in states)
        return states

    def _run(self, x, states, batch_sizes):
        """All layers and directions. x: (T, N, D) or packed data (sum of lengths, D);
        states: tuple of (L*dirs, N, R or H). Returns output (T, N, dirs*R) or (sum, dirs*R) and the
        final states, tuple of (L*dirs, N, R or H); R = P with a projection, else H."""
        _, step = _MODES[self.mode]
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self._num_directions):
                k = layer * self._num_directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(k)
                gx = F.linear(x, w_ih, b_ih)  # (T, N, G*H) or (sum, G*H)
                # unbind/split, never gx[t] in the loop: each gx[t] backward would allocate all of gx
                gx_steps = gx.unbind(0) if batch_sizes is None else gx.split(batch_sizes)
                state0 = tuple(s[k] for s in states)  # each (N, R or H)
                k_step = step if w_hr is None else partial(lstmp_step, weight_hr=w_hr)
                out_steps, final = scan(k_step, gx_steps, state0, w_hh, b_hh, reverse=direction == 1)
                outputs.append(torch.stack(out_steps) if batch_sizes is None else torch.cat(out_steps))
                finals.append(final)
            x = torch.cat(outputs, dim=-1) if len(outputs) > 1 else outputs[0]  # (T, N, dirs*R)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        final_states = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))  # (L*dirs, N, .)
        return x, final_states

    def _weights(self, k):
        """(W_ih, W_hh, b_ih, b_hh, W_hr) of layer-direction k; None for what the layer lacks
        (biases when bias=False, W_hr without a projection)."""
        weights = {name.split("_l")[0]: getattr(self, name) for name in self._all_weights[k]}
        kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
        return tuple(weights.get(kind) for kind in kinds)


class RNN(RecurrentBase):
    """Multi-layer Elman RNN, drop-in for torch.nn.RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).

    Args:
        input_size: D. hidden_size: H. num_layers: L. nonlinearity: 'tanh' or 'relu'.
        bias: if False, no b_ih, b_hh. batch_first: input and output are (N, T, .) instead of (T, N, .).
        dropout: dropout probability on the outputs of every layer but the last, in training mode.
        bidirectional: also run each layer backwards in time and concatenate. device, dtype.
        Any other keyword raises like torch.nn.RNN: ValueError for proj_size, TypeError otherwise.
    forward(input, hx=None):
        input: (T, N, D), (N, T, D) if batch_first, unbatched (T, D), or a PackedSequence.
        hx: (L*dirs, N, H), unbatched (L*dirs, H); None means zeros.
        Returns output (T, N, dirs*H) (same layout as input; PackedSequence in, PackedSequence out)
        and h_n (L*dirs, N, H): each sequence's last state, in the caller's batch order.
        T = 0 raises RuntimeError, as in torch.nn.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        check_no_projection(kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)


class LSTM(RecurrentBase):
    """Multi-layer LSTM, drop-in for torch.nn.LSTM (gate order i, f, g, o; see cells.lstm_step).

    Args: as RNN without nonlinearity, plus
        proj_size: P. If P > 0, an LSTM with projections (cells.lstmp_step): each layer and
            direction has weight_hr (P, H), h has P units, so weight_hh is (4H, P) and layers after
            the first read dirs*P inputs. 0 < P < H; 0 (the default) means no projection.
    forward(input, hx=None):
        input: (T, N, D), (N, T, D) if batch_first, unbatched (T, D), or a PackedSequence.
        hx: (h_0, c_0): h_0 (L*dirs, N, R), c_0 (L*dirs, N, H), unbatched without N; None means
            zeros. R = P with a projection, else H.
        Returns output (T, N, dirs*R) (same layout as input; PackedSequence in, PackedSequence out)
        and (h_n (L*dirs, N, R), c_n (L*dirs, N, H)), in the caller's batch order.
        T = 0 raises RuntimeError, as in torch.nn.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RecurrentBase):
    """Multi-layer GRU, drop-in for torch.nn.GRU (PyTorch variant, gate order r, z, n; see cells.gru_step).

    Args: as RNN, without nonlinearity (proj_size raises ValueError, as in torch.nn.GRU).
    forward(input, hx=None): shapes as RNN.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        check_no_projection(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
