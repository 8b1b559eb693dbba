"""Building blocks the course's models share: pick a recurrent layer, handle its hidden state, switch modes.

A hidden state is what a torch.nn-style recurrent layer returns as its second output:
a tensor h (L*dirs, N, H) for RNN and GRU, or a tuple (h, c) of two such tensors for LSTM.
The helpers below accept either form, so model code never branches on the cell type.
"""

from contextlib import contextmanager

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = ("rnn", "lstm", "gru")
IMPLS = ("scratch", "torch")

_TORCH_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_SCRATCH_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def recurrent_layer_class(cell: str, impl: str = "scratch") -> type[nn.Module]:
    """The class implementing `cell` ("rnn", "lstm", "gru") in `impl` ("scratch" or "torch").

    "scratch" is course_lib.torch.layers (the from-scratch drop-ins), imported only when asked for,
    so this module imports even where that one is absent; "torch" is torch.nn.RNN / LSTM / GRU.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    if impl == "torch":
        return _TORCH_LAYERS[cell]
    if impl == "scratch":
        from course_lib.torch import layers  # lazy: the scratch layers live in their own module

        return getattr(layers, _SCRATCH_NAMES[cell])
    raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")


def make_recurrent(
    cell: str,
    impl: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    dropout: float = 0.0,
    bidirectional: bool = False,
) -> nn.Module:
    """A batch-first recurrent layer: input (N, T, D) -> output (N, T, dirs*H), hidden as described above.

    Dropout acts between stacked layers only, so it is set to 0 for a single layer
    (torch.nn warns otherwise).
    """
    layer_class = recurrent_layer_class(cell, impl)
    return layer_class(
        input_size,
        hidden_size,
        num_layers=num_layers,
        batch_first=True,
        dropout=dropout if num_layers > 1 else 0.0,
        bidirectional=bidirectional,
    )


def check_lengths(lengths: torch.Tensor, N: int, T: int) -> torch.Tensor:
    """`lengths` as a CPU long tensor (what pack_padded_sequence wants), after checking it.

    Args:
        lengths: (N,) valid steps per sequence, on any device. N, T: the padded batch's size.
    Raises:
        ValueError naming the expected shape and range and the values received.
    """
    lengths = lengths.detach().to("cpu", torch.long)
    if lengths.shape != (N,) or lengths.min() < 1 or lengths.max() > T:
        raise ValueError(f"lengths must have shape ({N},) with values in 1..{T}, got {lengths.tolist()}")
    return lengths


def run_padded(rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor | None = None):
    """Run a batch-first recurrent layer over a right-padded batch so that padding changes nothing.

    With lengths, the layer runs on a PackedSequence: each sequence stops at its own last step,
    in both directions, and its final state is the one at that step.

    Args:
        rnn: a batch-first layer (make_recurrent). x: (N, T, D), right-padded.
        lengths: (N,) valid steps per sequence, 1..T, on any device; None means all are T.
    Returns:
        output (N, T, dirs*H), zeros at padded steps, and the layer's final hidden state.
    """
    if lengths is None:
        return rnn(x)
    N, T = x.shape[:2]
    packed = pack_padded_sequence(x, check_lengths(lengths, N, T), batch_first=True, enforce_sorted=False)
    out_packed, hidden = rnn(packed)
    out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=T)  # (N, T, dirs*H)
    return out, hidden


def detach_hidden(hidden):
    """Cut the graph behind a hidden state (for truncated BPTT); None stays None.

    Args:
        hidden: h (L*dirs, N, H), a tuple (h, c) of such tensors, or None.
    Returns:
        The same structure, detached from the graph that produced it.
    """
    if hidden is None:
        return None
    if isinstance(hidden, tuple):
        return tuple(h.detach() for h in hidden)
    return hidden.detach()


def select_hidden(hidden, index: torch.Tensor):
    """Pick batch entries of a hidden state, e.g. to reorder or repeat beams.

    Args:
        hidden: h (L*dirs, N, H) or a tuple (h, c).  index: (M,) long, entries in [0, N).
    Returns:
        The same structure with batch size M: h[:, index] (and c[:, index]).
    """
    if isinstance(hidden, tuple):
        return tuple(h.index_select(1, index) for h in hidden)
    return hidden.index_select(1, index)


def final_hidden(hidden, num_layers: int, bidirectional: bool) -> torch.Tensor:
    """The top layer's final hidden state, both directions concatenated: (N, dirs*H).

    For LSTM only h is used (not the cell state c). With a PackedSequence input, torch.nn (and
    the scratch drop-ins) return each sequence's state at its own last valid step.
    """
    h = hidden[0] if isinstance(hidden, tuple) else hidden  # (L*dirs, N, H)
    dirs = 2 if bidirectional else 1
    _, N, H = h.shape
    top = h.view(num_layers, dirs, N, H)[-1]  # (dirs, N, H)
    return top.transpose(0, 1).reshape(N, dirs * H)  # (N, dirs*H)


@contextmanager
def eval_mode(module: nn.Module):
    """Run a block with `module` in eval mode (dropout off), restoring its previous mode after."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)
