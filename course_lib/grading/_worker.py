"""The notebook's process: run its code cells once, then answer the grader's calls. It grades nothing.

    python -P -m course_lib.grading._worker FD_IN FD_OUT

Started only by course_lib.grading.runner, in a new session, with course_lib imported from the
grader's copy (course_lib.grading.sandbox) and stdin, stdout and stderr on /dev/null. The first
message on FD_IN is the job: the cells (each with a time limit), and for each task the position of
its graded cell and two file descriptors. The process installs the sandbox's guard, runs the cells
in one namespace and reports on FD_OUT as it goes:

    {"event": "start", "index": 4, "limit": 60}       before each cell
    {"event": "end", "index": 4, "status": "ok" | "error" | "timeout" | "exit", "error": ...}
    {"event": "server", "task": "rnn_forward"}        a copy of the process now serves that task
    {"event": "done"}

When the cells before a task's graded cell have run, the process forks: the copy keeps the namespace
as it is at that point and answers that task's requests (`serve`) on the task's descriptors, while
the process goes on with the next cells. A request asks for the values of names, or to call a
function of the notebook on arguments the grader sends; the answer is the value returned (data, or
a handle for anything else), the arguments as they are afterwards, or the exception raised. Nothing
sent from here is taken as a verdict: the grader compares, in its own process.

Time limits raise `StageTimeout`, a BaseException, so that student code catching Exception cannot
swallow them; code that catches everything, or hangs inside C code, is killed by the grader.
"""

import builtins
import linecache
import os
import signal
import sys
import traceback

from course_lib.grading import sandbox, wire

MAX_ERROR = 300  # characters of an error message kept in a report
MAX_REPR = 60  # characters of a repr shown in feedback


class StageTimeout(BaseException):
    """A cell or a call ran past its time limit."""


class _Alarm:
    """Raise StageTimeout in the main thread after `limit` seconds (again every half second)."""

    def __init__(self):
        self.armed = False
        signal.signal(signal.SIGALRM, self._fire)

    def _fire(self, signum, frame):
        if self.armed:
            raise StageTimeout

    def arm(self, limit: float) -> None:
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, max(limit, 0.001), 0.5)

    def disarm(self) -> None:
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def limit_memory(limit_bytes: int) -> None:
    """Cap the address space, so that a huge allocation raises MemoryError (where the OS supports it)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    except (ImportError, ValueError, OSError):
        pass


def run_cell(cell: dict, namespace: dict, alarm: _Alarm) -> tuple[str, str | None]:
    """Execute one cell's source; returns (status, error message or None)."""
    label = f"<cell {cell['index'] + 1}>"
    lines = cell["source"].splitlines(keepends=True)
    linecache.cache[label] = (len(cell["source"]), None, lines, label)  # tracebacks and hints read it
    try:
        code = compile(cell["source"], label, "exec")
    except (SyntaxError, ValueError) as error:
        line = f" (line {error.lineno})" if getattr(error, "lineno", None) else ""
        return "error", _clip(f"{type(error).__name__}: {getattr(error, 'msg', error)}{line}")
    try:
        try:
            alarm.arm(cell["limit"])
            exec(code, namespace)
        finally:
            alarm.disarm()
    except StageTimeout:
        return "timeout", f"did not finish within {cell['limit']:g} s and was stopped"
    except SystemExit:
        return "exit", "called exit() (in a notebook this stops the kernel): remove that call"
    except (Exception, KeyboardInterrupt) as error:
        message = str(error) or _stub_hint(error)
        return "error", _clip(f"{type(error).__name__}: {message}{_line_in_cell(error, label)}")
    return "ok", None


def _stub_hint(error: BaseException) -> str:
    """For nbgrader's bare `raise NotImplementedError()`: the `# HINT:` line above it in the cell, if any."""
    if not isinstance(error, NotImplementedError):
        return ""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<cell ")]
    if not frames:
        return ""
    lines = linecache.getlines(frames[-1].filename)[: frames[-1].lineno]
    hints = [line.strip()[len("# HINT:") :].strip() for line in lines if line.strip().startswith("# HINT:")]
    return hints[-1] if hints else ""


def _line_in_cell(error: BaseException, label: str) -> str:
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == label]
    return f" (line {lines[-1]})" if lines else ""


def _clip(text, size=MAX_ERROR) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[: size - 3] + "..."


def describe_error(error: BaseException) -> dict:
    """What the grader needs to know about an exception raised by the notebook's code."""
    where = ""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<cell ")]
    if frames:
        frame = frames[-1]
        cell = frame.filename.strip("<>")
        where = (
            f"line {frame.lineno} of {frame.name} ({cell})"
            if frame.name != "<module>"
            else (f"line {frame.lineno} of {cell}")
        )
    try:
        message = _clip(str(error) or _stub_hint(error))
    except Exception:  # a student's exception whose str() fails
        message = ""
    names = [kind.__name__ for kind in type(error).__mro__]
    return {"type": type(error).__name__, "mro": names, "message": message, "where": where}


class _Server:
    """Answers one task's requests from the namespace as it was when the task's graded cell came."""

    def __init__(self, channel: wire.Channel, namespace: dict, alarm: _Alarm):
        self.channel, self.namespace, self.alarm = channel, namespace, alarm
        self.objects, self.calls = {}, {}

    def handle(self, value) -> dict:
        """Keep an object here and send a reference to it."""
        key = len(self.objects) + 1
        self.objects[key] = value
        kind = type(value)
        try:
            text = _clip(repr(value), MAX_REPR)
        except Exception:
            text = f"<{kind.__name__}>"
        name = (
            kind.__qualname__
            if kind.__module__ in ("builtins", "__main__")
            else (f"{kind.__module__.split('.')[0]}.{kind.__qualname__}")
        )
        return {"~": "handle", "id": key, "type": name, "repr": text, "callable": callable(value)}

    def encode(self, value):
        return wire.encode(value, self.handle)

    def decode(self, node):
        return wire.decode(node, self._reference)

    def _reference(self, node):
        if node["~"] in ("ref", "handle"):
            return self.objects[node["id"]]
        if node["~"] == "callback":
            return self._callback(node["id"])
        raise wire.WireError(f"unexpected reference {node}")

    def _callback(self, key):
        channel = self.channel

        def grader_function(*args):
            channel.send({"cb": key, "args": self.encode(list(args))})
            reply = channel.receive()
            if "raise" in reply:
                kind = {"ValueError": ValueError, "TypeError": TypeError}.get(
                    reply["raise"]["type"], RuntimeError
                )
                raise kind(reply["raise"]["message"])
            return self.decode(reply["value"])

        return grader_function

    def serve(self) -> None:
        while True:
            request = self.channel.receive()
            op = request.get("op")
            if op == "bye":
                return
            try:
                reply = getattr(self, f"op_{op}")(request)
            except StageTimeout:
                reply = {"timeout": True}
            except wire.WireError:
                raise
            except Exception as error:  # the notebook's value could not be encoded, say
                reply = {"raised": describe_error(error), "internal": True}
            self.channel.send(reply)

    def _timed(self, limit, function, *args):
        try:
            self.alarm.arm(limit)
            return function(*args)
        finally:
            self.alarm.disarm()

    def op_names(self, request):
        values = {}
        for name in request["names"]:
            if name not in self.namespace:
                values[name] = {"~": "missing"}
            else:
                values[name] = self.encode(self.namespace[name])
        return {"values": values}

    def op_call(self, request):
        function = self.decode(request["function"])
        args, kwargs = self.decode(request["args"]), self.decode(request["kwargs"])
        leaves = [a for a in _flatten((args, kwargs)) if getattr(a, "requires_grad", False)]
        try:
            result = self._timed(request["limit"], lambda: function(*args, **kwargs))
        except StageTimeout:
            raise
        except (Exception, SystemExit, KeyboardInterrupt) as error:
            return {"raised": describe_error(error)}
        key = len(self.calls) + 1
        self.calls[key] = (function, result, leaves)
        return {"value": self.encode(result), "after": self.encode([list(args), kwargs]), "call": key}

    def op_getattr(self, request):
        obj = self.decode(request["object"])
        try:
            value = self._timed(request["limit"], getattr, obj, request["name"])
        except StageTimeout:
            raise
        except (Exception, SystemExit) as error:
            return {"raised": describe_error(error)}
        return {"value": self.encode(value)}

    def op_backward(self, request):
        """Σ ⟨output, upstream⟩ backward through the graph of an earlier call: the gradients of its inputs."""
        function, result, leaves = self.calls[request["call"]]
        outputs = [_at(result, path) for path in request["paths"]]
        upstreams = self.decode(request["upstreams"])
        if not all(getattr(o, "requires_grad", False) for o in outputs):
            return {"connected": False}

        def run():
            loss = sum((o * u).sum() for o, u in zip(outputs, upstreams, strict=True))
            loss.backward()

        try:
            self._timed(request["limit"], run)
        except StageTimeout:
            raise
        except Exception as error:
            return {"raised": describe_error(error)}
        grads = [leaf.grad for leaf in leaves]
        params = {}
        if hasattr(function, "named_parameters"):
            params = {name: p.grad for name, p in function.named_parameters()}
        return {"connected": True, "grads": self.encode(grads), "params": self.encode(params)}

    def op_repair(self, request):
        """A copy of a cache with the wrong outputs replaced (own_forward.repair_cache)."""
        from course_lib.grading.own_forward import repair_cache

        cache = self.decode(request["object"])
        pairs = [tuple(pair) for pair in self.decode(request["pairs"])]
        fixed, count = self._timed(request["limit"], repair_cache, cache, pairs)
        return {"value": self.encode(fixed), "count": count}

    def op_module(self, request):
        """Parameters of a torch module of the notebook: list them, convert the dtype, or load values."""
        import torch

        module = self.decode(request["object"])
        if not isinstance(module, torch.nn.Module):
            return {"value": None}
        action = request["action"]
        if action == "to":
            module.to(self.decode(request["dtype"]))
        elif action == "load":
            values = self.decode(request["values"])
            named = dict(module.named_parameters())
            with torch.no_grad():
                for name, value in values.items():
                    named[name].copy_(value)
        return {"value": parameter_list(module)}


def parameter_list(module) -> list:
    """[[name, shape, shared]] of every parameter of a module; shared: the same tensor as an earlier one."""
    seen, found = set(), []
    for name, p in module.named_parameters(remove_duplicate=False):
        found.append([name, list(p.shape), id(p) in seen])
        seen.add(id(p))
    return found


def _flatten(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    else:
        yield value


def _at(value, path):
    for step in path:
        value = value[step]
    return value


def main(fd_in: int, fd_out: int) -> None:
    channel = wire.Channel(fd_in, fd_out)

    def emit(**event):
        channel.send(event)

    try:
        job = channel.receive()
        for name in job["preload"]:
            __import__(name)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)
        limit_memory(job["memory_limit_bytes"])
        sandbox.install_guard(**job["guard"])
        alarm = _Alarm()
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        servers = sorted(job["servers"], key=lambda s: s["end"])
        tasks = {}  # pid -> task of each server, filled by _fork_server
        for cell in job["cells"]:
            while servers and servers[0]["end"] <= cell["index"]:
                server = servers.pop(0)
                tasks[_fork_server(server, namespace, alarm, emit, job)] = server["task"]
            if not cell["run"] or cell["limit"] is None:
                continue
            emit(event="start", index=cell["index"], limit=cell["limit"])
            status, error = run_cell(cell, namespace, alarm)
            emit(event="end", index=cell["index"], status=status, error=error)
        for server in servers:
            tasks[_fork_server(server, namespace, alarm, emit, job)] = server["task"]
        emit(event="done")
        _report_exits(emit, tasks)
    except BaseException:
        try:
            emit(event="fatal", error=traceback.format_exc(limit=-3))
        except BaseException:
            pass
    os._exit(0)  # student threads or atexit handlers must not keep the process alive


def _report_exits(emit, tasks: dict) -> None:
    """Wait for the servers (and any child of the notebook's code) and say how each server ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return
        if pid in tasks:
            emit(event="exit", task=tasks[pid], code=os.waitstatus_to_exitcode(status))


def _fork_server(server: dict, namespace: dict, alarm: _Alarm, emit, job) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            for fd in job["main_fds"]:
                _close(fd)
            for other in job["servers"]:
                if other is not server:
                    for fd in other["fds"]:
                        _close(fd)
            _Server(wire.Channel(*server["fds"]), namespace, alarm).serve()
        except BaseException:
            pass
        os._exit(0)
    for fd in server["fds"]:
        _close(fd)
    emit(event="server", task=server["task"], pid=pid)
    return pid


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
