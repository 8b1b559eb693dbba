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


def check_layer_hx_dims(states: tuple[Tensor, ...], is_batched: bool) -> tuple[Tensor, ...]:
    """RuntimeError unless every state of a layer's hx is 3-D (batched input) or 2-D (unbatched);
    adds the batch dimension to unbatched states.

    Args:
        states: (h_0,) or (h_0, c_0), each (L*dirs, N, H) or, for unbatched input, (L*dirs, H).
    Returns:
        tuple of (L*dirs, N, H).
    """
    dims = 3 if is_batched else 2
    if any(s.dim() != dims for s in states):
        kind = "batched 3-D" if is_batched else "unbatched 2-D"
        if len(states) == 1:
            got = f"{states[0].dim()}-D tensor"
            raise RuntimeError(f"For {kind} input, hx should also be {dims}-D but got {got}")
        got = ", ".join(f"{s.dim()}-D" for s in states)
        raise RuntimeError(f"For {kind} input, hx and cx should also be {dims}-D but got ({got}) tensors")
    return states if is_batched else tuple(s.unsqueeze(1) for s in states)


def check_layer_hx_sizes(states: tuple[Tensor, ...], expected: list[tuple[int, int, int]]) -> None:
    """RuntimeError when state k is not expected[k]: (L*dirs, N, H), or (L*dirs, N, P) for the
    projected h of an LSTM with proj_size P."""
    for k, (s, shape) in enumerate(zip(states, expected, strict=True)):
        check_hidden_size(s, shape, "hidden" if len(states) == 1 else f"hidden[{k}]")


def check_sequence_length(x: Tensor) -> None:
    """RuntimeError for a time-major input (T, N, D) with T = 0, as torch.nn's recurrent kernels raise."""
    if x.size(0) == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")


def check_no_projection(kwargs: dict) -> None:
    """torch.nn.RNN and GRU take **kwargs: ValueError for proj_size (LSTM only), TypeError for other names."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")


def check_layer_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size=0) -> None:
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
        if kind is int and value <= 0:  # each size's value right after its type, in torch's order
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
