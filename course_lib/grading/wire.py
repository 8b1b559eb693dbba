"""What passes between the grader and a notebook's process: data only, never code or verdicts.

Values are encoded as JSON. Plain data travels by value: None, bool, int, float, str, tuple, list,
dict, set, NumPy arrays and scalars (no object dtype), torch tensors and dtypes, and the state of a
NumPy Generator. Anything else stays where it lives and travels as a reference:

    {"~": "handle", "id": 7, "type": "mymodule.Cache", "repr": "Cache(...)"}   an object of the notebook
    {"~": "callback", "id": 3}                                               a function of the grader

The grader decodes what the notebook's process sends with `decode`, which builds nothing but the
data types above (a dtype that could hold Python objects is refused), so a message can at worst
be wrong data. Frames are a 4-byte big-endian length and that many bytes of UTF-8 JSON.
"""

import base64
import json
import os
import select
import struct
import time

import numpy as np

MAX_FRAME = 256 * 2**20  # bytes: a larger frame is refused (a notebook cannot exhaust the grader's memory)
_DATA_KINDS = "biufcUSMm"  # NumPy dtype kinds that hold no Python objects


class WireError(Exception):
    """A frame that is not well-formed data, or a channel that closed or timed out."""


class ChannelClosed(WireError):
    """The other end closed the channel (the process ended)."""


class ChannelTimeout(WireError):
    """No frame arrived before the deadline."""


class Channel:
    """One direction to read and one to write, each a file descriptor."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd
        self._buffer = b""

    def send(self, message: dict) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        frame = struct.pack(">I", len(data)) + data
        while frame:
            frame = frame[os.write(self.write_fd, frame) :]

    def receive(self, deadline: float | None = None) -> dict:
        """The next message; ChannelTimeout once time.monotonic() passes `deadline` (None: wait forever)."""
        header = self._read(4, deadline)
        (size,) = struct.unpack(">I", header)
        if size > MAX_FRAME:
            raise WireError(f"a frame of {size} bytes, more than {MAX_FRAME}")
        try:
            message = json.loads(self._read(size, deadline))
        except ValueError as error:
            raise WireError(f"a frame that is not JSON: {error}") from None
        if not isinstance(message, dict):
            raise WireError("a frame that is not a JSON object")
        return message

    def _read(self, size: int, deadline: float | None) -> bytes:
        while len(self._buffer) < size:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.read_fd], [], [], wait)
            if not ready:
                raise ChannelTimeout("no answer in time")
            chunk = os.read(self.read_fd, max(65536, size - len(self._buffer)))
            if not chunk:
                raise ChannelClosed("the channel closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _torch():
    """torch, once anything has imported it (waiting for an import under way in another thread), else None."""
    import sys

    if "torch" not in sys.modules:
        return None
    import torch

    return torch


def is_data(value) -> bool:
    """Whether `value` travels by value (see the module docstring)."""
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) is slice:
        return all(is_data(part) for part in (value.start, value.stop, value.step))
    if type(value) in (tuple, list, set, frozenset):
        return all(is_data(item) for item in value)
    if type(value) is dict:
        return all(is_data(k) and is_data(v) for k, v in value.items())
    if type(value) is np.ndarray or isinstance(value, np.generic):
        return value.dtype.kind in _DATA_KINDS and not value.dtype.fields
    if type(value) is np.random.Generator:
        return type(value.bit_generator) is np.random.PCG64
    torch = _torch()
    if torch is not None and type(value) in (torch.Tensor, torch.nn.Parameter):
        return value.layout == torch.strided and _numpy_dtype(value.dtype) is not None
    if torch is not None and type(value) in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        return all(is_data(tensor) for tensor in value.state_dict().values())
    return torch is not None and isinstance(value, torch.dtype)


def encode(value, handle=None):
    """JSON-ready form of `value`; `handle(obj) -> dict` encodes what is not data (else TypeError)."""
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if np.isfinite(value) else {"~": "float", "repr": repr(value)}
    if kind in (tuple, list, set, frozenset):
        return {"~": kind.__name__, "items": [encode(item, handle) for item in value]}
    if kind is dict:
        return {"~": "dict", "items": [[encode(k, handle), encode(v, handle)] for k, v in value.items()]}
    if kind is slice and is_data(value):
        return {"~": "slice", "items": [encode(part) for part in (value.start, value.stop, value.step)]}
    if is_data(value):
        if kind is np.ndarray:
            return _array("nd", value)
        if isinstance(value, np.generic):
            return _array("scalar", np.asarray(value))
        if kind is np.random.Generator:
            return {"~": "rng", "state": value.bit_generator.state}
        torch = _torch()
        if kind in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
            return _recurrent_layer(value)
        if isinstance(value, torch.dtype):
            return {"~": "tdtype", "name": str(value).removeprefix("torch.")}
        found = _array("tensor", value.detach().cpu().contiguous().numpy())
        found["grad"] = bool(value.requires_grad)
        found["param"] = kind is torch.nn.Parameter
        return found
    if handle is None:
        raise TypeError(f"cannot send a {kind.__module__}.{kind.__qualname__} by value")
    return handle(value)


RECURRENT_OPTIONS = (
    "input_size",
    "hidden_size",
    "num_layers",
    "bias",
    "batch_first",
    "dropout",
    "bidirectional",
)


def _recurrent_layer(layer) -> dict:
    """A torch.nn.RNN, LSTM or GRU by value: its class, constructor options, dtype and weights."""
    options = {name: getattr(layer, name) for name in RECURRENT_OPTIONS}
    if type(layer).__name__ == "RNN":
        options["nonlinearity"] = layer.nonlinearity
    if type(layer).__name__ == "LSTM":
        options["proj_size"] = layer.proj_size
    state = {name: tensor.detach() for name, tensor in layer.state_dict().items()}
    dtype = next(iter(state.values())).dtype
    return {
        "~": "layer",
        "class": type(layer).__name__,
        "options": encode(options),
        "dtype": encode(dtype),
        "state": encode(state),
        "training": layer.training,
    }


def _array(tag: str, array: np.ndarray) -> dict:
    data = base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()
    return {"~": tag, "dtype": array.dtype.str, "shape": list(array.shape), "data": data}


def decode(node, reference=None):
    """The value `node` encodes; `reference(node) -> object` decodes handles and callbacks."""
    if node is None or type(node) in (bool, int, float, str):
        return node
    if type(node) is not dict or "~" not in node:
        raise WireError(f"not an encoded value: {str(node)[:80]}")
    tag = node["~"]
    if tag in ("tuple", "list", "set", "frozenset"):
        items = [decode(item, reference) for item in node["items"]]
        return {"tuple": tuple, "list": list, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {decode(k, reference): decode(v, reference) for k, v in node["items"]}
    if tag == "slice":
        start, stop, step = (decode(part) for part in node["items"])
        return slice(start, stop, step)
    if tag == "float":
        return float(node["repr"])
    if tag in ("nd", "scalar", "tensor"):
        array = _decode_array(node)
        if tag == "nd":
            return array
        if tag == "scalar":
            return array[()]
        import torch

        tensor = torch.from_numpy(array)
        if node.get("param"):
            return torch.nn.Parameter(tensor, requires_grad=bool(node.get("grad")))
        return tensor.requires_grad_(bool(node.get("grad")) and tensor.is_floating_point())
    if tag == "rng":
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = node["state"]
        return rng
    if tag == "tdtype":
        import torch

        dtype = getattr(torch, str(node["name"]), None)
        if not isinstance(dtype, torch.dtype):
            raise WireError(f"not a torch dtype: {node['name']!r}")
        return dtype
    if tag == "layer":
        import torch

        if node["class"] not in ("RNN", "LSTM", "GRU"):
            raise WireError(f"not a recurrent layer: {node['class']!r}")
        options = decode(node["options"])
        layer = getattr(torch.nn, node["class"])(**options, dtype=decode(node["dtype"]))
        layer.load_state_dict(decode(node["state"]))
        return layer.train(bool(node["training"]))
    if tag in ("handle", "callback", "ref") and reference is not None:
        return reference(node)
    raise WireError(f"unexpected value tag {tag!r}")


def _decode_array(node) -> np.ndarray:
    try:
        dtype = np.dtype(str(node["dtype"]))
        shape = tuple(int(n) for n in node["shape"])
        data = base64.b64decode(node["data"])
    except (TypeError, ValueError, KeyError) as error:
        raise WireError(f"a malformed array: {error}") from None
    if dtype.kind not in _DATA_KINDS or dtype.fields or dtype.hasobject or min(shape, default=0) < 0:
        raise WireError(f"an array of dtype {dtype} and shape {shape} is not data")
    if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != len(data):
        raise WireError(f"an array of shape {shape} and dtype {dtype} with {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _numpy_dtype(torch_dtype):
    torch = _torch()
    names = {
        torch.float64: "float64",
        torch.float32: "float32",
        torch.float16: "float16",
        torch.int64: "int64",
        torch.int32: "int32",
        torch.int16: "int16",
        torch.int8: "int8",
        torch.uint8: "uint8",
        torch.bool: "bool",
        torch.complex64: "complex64",
        torch.complex128: "complex128",
    }
    return names.get(torch_dtype)
