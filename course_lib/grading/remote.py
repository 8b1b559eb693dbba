"""The grader's side of a task's channel: the notebook's functions as proxies that return data.

A check receives `Remote` objects for the notebook's functions (and for any value that is not plain
data) and calls them like local functions: the arguments are sent to the notebook's process, which
calls its function and answers with the value returned and the arguments as they are afterwards.
Functions of the grader passed as arguments (a function to differentiate, a toy decoder) stay in
the grader: the notebook's process calls them back, sending their arguments as data. Comparisons
happen here, in the grader's process, which never runs student code.
"""

import threading
import time

from course_lib.grading import wire


class TaskTimeout(BaseException):
    """The notebook's process did not answer within the task's time limit (it is then killed)."""


class TaskCrashed(BaseException):
    """The notebook's process ended while answering (os._exit, a crash, out of memory)."""


class RemoteError(Exception):
    """The notebook's code raised an exception; `info` says which, where and why."""

    def __init__(self, info: dict):
        super().__init__(f"{info.get('type')}: {info.get('message')}")
        self.info = info

    def is_a(self, name: str) -> bool:
        return name in self.info.get("mro", ())


class Remote:
    """An object that lives in the notebook's process: call it, read its attributes."""

    def __init__(self, connection, node: dict):
        self._connection, self._id = connection, node["id"]
        self._type, self._repr, self._callable = (
            node.get("type", "object"),
            node.get("repr", ""),
            node.get("callable", False),
        )

    def __call__(self, *args, **kwargs):
        return self._connection.call(self, args, kwargs)[0]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._connection.getattr(self, name)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __repr__(self):
        return self._repr


def is_remote(value) -> bool:
    return isinstance(value, Remote)


def remote_type(value) -> str:
    """The notebook-side type name of a Remote ('function', 'Cache', 'numpy.matrix')."""
    return value._type


class Connection:
    """The grader's end of one task's channel, with the task's deadline for every answer."""

    def __init__(self, channel: wire.Channel, limit: float, grace: float):
        self.channel, self.limit, self.grace = channel, limit, grace
        self.deadline = None  # set when the check starts
        self.callbacks = {}
        self.lock = threading.Lock()
        self.local = threading.local()

    def start(self) -> None:
        self.deadline = time.monotonic() + self.limit

    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def encode(self, value):
        return wire.encode(value, self._handle)

    def _handle(self, value):
        if isinstance(value, Remote):
            return {"~": "ref", "id": value._id}
        if callable(value):
            key = len(self.callbacks) + 1
            self.callbacks[key] = value
            return {"~": "callback", "id": key}
        kind = type(value)
        raise TypeError(f"the grader cannot send a {kind.__module__}.{kind.__qualname__}")

    def decode(self, node):
        return wire.decode(node, lambda ref: Remote(self, ref))

    def request(self, message: dict) -> dict:
        """Send a request and return its answer, serving the grader's callbacks meanwhile."""
        if getattr(self.local, "busy", False):  # a callback of the grader used a Remote: not supported
            raise RuntimeError("a function of the grader received an object of the notebook it cannot use")
        with self.lock:
            message["limit"] = self.remaining()
            self.channel.send(message)
            while True:
                try:
                    reply = self.channel.receive(self.deadline + self.grace)
                except wire.ChannelTimeout:
                    raise TaskTimeout from None
                except wire.ChannelClosed:
                    raise TaskCrashed from None
                if reply.get("timeout"):
                    raise TaskTimeout
                if "cb" not in reply:
                    return reply
                self._serve_callback(reply)

    def _serve_callback(self, reply):
        function = self.callbacks.get(reply["cb"])
        self.local.busy = True
        try:
            args = self.decode(reply["args"])
            value = self.encode(function(*args))
            answer = {"value": value}
        except Exception as error:  # a wrong call from the notebook: the notebook sees the exception
            answer = {"raise": {"type": type(error).__name__, "message": str(error)[:300]}}
        finally:
            self.local.busy = False
        self.channel.send(answer)

    def names(self, names) -> dict:
        """{name: value or Remote}; a name the namespace lacks is left out."""
        reply = self.request({"op": "names", "names": list(names)})
        values = {}
        for name, node in reply["values"].items():
            if isinstance(node, dict) and node.get("~") == "missing":
                continue
            values[name] = self.decode(node)
        return values

    def call(self, function: Remote, args, kwargs):
        """(value returned, (args, kwargs) as they were afterwards, call id); RemoteError if it raised."""
        message = {
            "op": "call",
            "function": self.encode(function),
            "args": self.encode(list(args)),
            "kwargs": self.encode(dict(kwargs)),
        }
        reply = self.request(message)
        if "raised" in reply:
            raise RemoteError(reply["raised"])
        after_args, after_kwargs = self.decode(reply["after"])
        return self.decode(reply["value"]), (after_args, after_kwargs), reply["call"]

    def getattr(self, obj: Remote, name: str):
        reply = self.request({"op": "getattr", "object": self.encode(obj), "name": name})
        if "raised" in reply:
            if "AttributeError" in reply["raised"].get("mro", ()):
                raise AttributeError(name)
            raise RemoteError(reply["raised"])
        return self.decode(reply["value"])

    def backward(self, call: int, paths, upstreams):
        """Gradients of a call's inputs after Σ ⟨output, upstream⟩ backward, or None if not connected."""
        reply = self.request(
            {"op": "backward", "call": call, "paths": paths, "upstreams": self.encode(list(upstreams))}
        )
        if "raised" in reply:
            raise RemoteError(reply["raised"])
        if not reply["connected"]:
            return None
        return self.decode(reply["grads"]), self.decode(reply["params"])

    def repair(self, cache, pairs):
        """own_forward.repair_cache run on a cache of the notebook: (repaired cache, count)."""
        reply = self.request(
            {"op": "repair", "object": self.encode(cache), "pairs": self.encode(list(pairs))}
        )
        if "raised" in reply:
            raise RemoteError(reply["raised"])
        return self.decode(reply["value"]), reply["count"]

    def module(self, obj: Remote, action: str, **extra):
        message = {"op": "module", "object": self.encode(obj), "action": action}
        message.update({key: self.encode(value) for key, value in extra.items()})
        reply = self.request(message)
        if "raised" in reply:
            raise RemoteError(reply["raised"])
        return reply["value"]

    def close(self) -> None:
        try:
            self.channel.send({"op": "bye"})
        except OSError:
            pass
