"""Argument and shape checks for the recurrent cells and layers, with torch.nn's exception types
and messages, so code that catches torch.nn's errors catches ours."""

import numbers
import warnings

import torch
from torch import Tensor


def check_input_size(input: Tensor, input_size: int) -> None:
    """RuntimeError when the last dimension of input is not input_size (D)."""
    if input.size(-1) != input_size:
        raise RuntimeError(
            f"input.size(-1) must be equal to input_size. Expected {input_size}, got {input.size(-1)}"
        )


def check_cell_input(input: Tensor, input_size: int) -> None:
    """RuntimeError when a cell's input (N, D) does not have D = input_size (torch's rnn cell check)."""
    if input.size(1) != input_size:
        raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {input_size}")


def check_cell_hidden(input: Tensor, hx: Tensor, hidden_size: int, k: int) -> None:
    """RuntimeError when a cell's state k (hx, or hx[k] of the LSTM) is not (N, H) for input (N, D)."""
    N = input.size(0)
    if hx.size(0) != N:
        raise RuntimeError(f"Input batch size {N} doesn't match hidden{k} batch size {hx.size(0)}")
    H = hx.size(1)  # IndexError for a 1-D hx when N matches its length, as in torch
    if H != hidden_size:
        raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {H}, expected {hidden_size}")


def check_input_dtype(input: Tensor, weight: Tensor) -> None:
    """ValueError when input and weight dtypes differ (outside autocast)."""
    if input.dtype != weight.dtype and not torch.is_autocast_enabled(input.device.type):
        raise ValueError(
            f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({input.dtype})"
        )


def check_hidden_size(hx: Tensor, expected: tuple[int, ...], name: str = "hidden") -> None:
    """RuntimeError when hx does not have the expected shape."""
    if tuple(hx.shape) != tuple(expected):
        raise RuntimeError(f"Expected {name} size {tuple(expected)}, got {list(hx.shape)}")


def check_layer_states(states: tuple[Tensor, ...], expected: tuple[int, int, int], is_batched: bool):
    """Check a layer's hx, given as (h_0,) or (h_0, c_0), and add the batch dimension when unbatched.

    Args:
        states: each (L*dirs, N, H), or (L*dirs, H) for unbatched input. expected: (L*dirs, N, H).
    Returns:
        tuple of (L*dirs, N, H).
    """
    dims = 3 if is_batched else 2
    checked = []
    for k, s in enumerate(states):
        if s.dim() != dims:
            kind = "batched 3-D" if is_batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx should also be {dims}-D but got {s.dim()}-D tensor")
        s = s if is_batched else s.unsqueeze(1)  # (L*dirs, N, H)
        check_hidden_size(s, expected, "hidden" if len(states) == 1 else f"hidden[{k}]")
        checked.append(s)
    return tuple(checked)


def check_layer_args(input_size, hidden_size, num_layers, bias, batch_first, dropout) -> None:
    """torch.nn.RNNBase's constructor checks: ValueError for values, TypeError for types."""
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
