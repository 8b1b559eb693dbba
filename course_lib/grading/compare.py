"""Feedback helpers for the exercise checks: compare a student's value with the reference, by name.

The `*_mismatch` helpers return None when a value is right and one short sentence otherwise, in the
order a student should fix things: type, then shape, then dtype, then values (the largest error and
where it is). `fail_if` joins the sentences of one test case and raises `CheckFailed`; `call` runs a
student's function and turns whatever it raises into feedback, so a check never shows a traceback.

    fail_if("window=3", array_mismatch("X", X, X_ref), array_mismatch("y", y, y_ref))
    -> CheckFailed: window=3: X: expected shape (5, 3), got (3, 5); y: max error 2.0e+00 at [4]
"""

import copy
import time
import zlib

import numpy as np

from course_lib.check.tolerances import Tol, forward_tol
from course_lib.grading.remote import Remote, RemoteError, remote_type

MAX_MESSAGE = 300  # characters of a student's exception message kept in feedback


class CheckFailed(AssertionError):
    """A check found a wrong answer; the message is the feedback shown to the student."""


class StudentError(CheckFailed):
    """The student's code raised an exception (or called exit()) while being checked."""

    def __init__(self, message: str, error: BaseException | None = None):
        super().__init__(message)
        self.error = error  # what the student's code raised, if anything


class NotImplementedYet(CheckFailed):
    """The student's function still raises NotImplementedError (the generated stub)."""


class NotAllowed(CheckFailed):
    """The student's code used the course's own implementation of the task, or read a solution."""


NOT_ALLOWED = ("CourseImplementationUsed", "NotAllowedWhileGrading")


def raised(failure: StudentError, error_type) -> bool:
    """Whether the student's code raised `error_type` (here, or in the notebook's process)."""
    error = failure.error
    if isinstance(error, RemoteError):
        return error.is_a(error_type.__name__)
    return isinstance(error, error_type)


def student_exception(name, shown, error) -> CheckFailed:
    """The feedback for an exception raised by a student's function (local or in the notebook's process)."""
    if isinstance(error, RemoteError):
        info = error.info
        where = f" (at {info['where']})" if info.get("where") else ""
        if info["type"] == "CourseImplementationUsed" or "CourseImplementationUsed" in info.get("mro", ()):
            return NotAllowed(
                f"{name} calls the course's own implementation, {info['message']}: the task is to "
                "write it yourself, so it earns no points"
            )
        if "NotAllowedWhileGrading" in info.get("mro", ()):
            return NotAllowed(f"{name}: {info['message']}; the task earns no points")
        if "NotImplementedError" in info.get("mro", ()):
            hint = f" (hint: {info['message']})" if info.get("message") else ""
            return NotImplementedYet(f"{name} is not implemented yet{hint}")
        if "SystemExit" in info.get("mro", ()):
            return StudentError(f"{shown} called exit(): return a result instead{where}", error)
        if "MemoryError" in info.get("mro", ()):
            return StudentError(f"{shown} ran out of memory (MemoryError){where}", error)
        return StudentError(f"{shown} raised {info['type']}: {info['message']}{where}", error)
    if isinstance(error, NotImplementedError):
        hint = f" (hint: {_clip(error)})" if str(error) else ""
        return NotImplementedYet(f"{name} is not implemented yet{hint}")
    if isinstance(error, MemoryError):
        return StudentError(f"{shown} ran out of memory (MemoryError)", error)
    if isinstance(error, SystemExit):
        return StudentError(f"{shown} called exit(): return a result instead", error)
    return StudentError(f"{shown} raised {type(error).__name__}: {_clip(error)}", error)


def changed_input(before, after, path="") -> str | None:
    """Where `after` differs from `before` (nested tuples, lists, dicts, arrays, tensors), or None."""
    if type(before) in (list, tuple) and type(after) in (list, tuple):
        if len(before) != len(after):
            return path or "the argument"
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            found = changed_input(b, a, f"{path}[{i}]")
            if found:
                return found
        return None
    if type(before) is dict and type(after) is dict:
        if list(before) != list(after):
            return path or "the argument"
        for key in before:
            found = changed_input(before[key], after[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and before.shape == after.shape and before.dtype == after.dtype
        return None if same and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc") else path
    if type_name(before) in ("torch.Tensor", "torch.nn.Parameter"):
        import torch

        same = isinstance(after, torch.Tensor) and before.shape == after.shape and before.dtype == after.dtype
        return None if same and torch.equal(before.detach(), after.detach()) else path
    if isinstance(before, (Remote, np.random.Generator)) or callable(before):
        return None
    try:
        return None if bool(before == after) or (before != before and after != after) else path
    except Exception:
        return None


def check_rng(name: str) -> np.random.Generator:
    """The generator of one check, seeded by its name: the same notebook always gets the same score."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def type_name(value) -> str:
    """'numpy.ndarray', 'torch.Tensor', 'list', 'NoneType': the type as a student would write it."""
    if isinstance(value, Remote):
        return remote_type(value)
    kind = type(value)
    package = kind.__module__.split(".")[0]
    return kind.__name__ if package == "builtins" else f"{package}.{kind.__name__}"


def describe(value) -> str:
    """A short description of a value for feedback: arrays by shape and dtype, others by repr."""
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return f"array({np.array2string(value, separator=', ')}, dtype={value.dtype})"
        return f"array of shape {value.shape}, {value.dtype}"
    if callable(value) and not isinstance(value, (type, Remote)):
        return f"function {getattr(value, '__name__', '')}".strip()
    if type(value) is dict and len(repr(value)) > 60:
        keys = ", ".join(map(str, list(value)[:6])) + (", ..." if len(value) > 6 else "")
        return f"a dict of {len(value)} items ({keys})"
    if type_name(value) == "torch.Tensor" and value.numel() > 8:
        return f"a tensor of shape {tuple(value.shape)}, {str(value.dtype).removeprefix('torch.')}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def array_mismatch(name, actual, expected, tol=None):
    """None if `actual` matches the reference array `expected`, else what is wrong with it.

    Floats are compared with |actual - expected| <= atol + rtol |expected| (tolerances of the
    dtype from course_lib.check.tolerances unless `tol` is given); everything else exactly.
    """
    if not isinstance(actual, np.ndarray):
        hint = " (convert it with .numpy())" if type_name(actual) == "torch.Tensor" else ""
        return f"{name}: expected a numpy.ndarray, got {type_name(actual)}{hint}"
    if actual.shape != expected.shape:
        return f"{name}: expected shape {expected.shape}, got {actual.shape}"
    if actual.dtype != expected.dtype:
        return f"{name}: expected dtype {expected.dtype}, got {actual.dtype}"
    if expected.dtype.kind in "fc":
        rtol, atol = tol or forward_tol(expected.dtype)
        bad = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
        if not bad.any():
            return None
        error = np.where(bad, np.abs(actual - expected), 0.0)
        error = np.where(np.isnan(error), np.inf, error)  # a NaN is the worst error
        where = np.unravel_index(np.argmax(error), error.shape)
        shown_expected, shown_actual = distinct(expected[where], actual[where])
        return (
            f"{name}: max error {error[where]:.1e} at {_index(where)} "
            f"(expected {shown_expected}, got {shown_actual}); "
            f"{int(bad.sum())} of {bad.size} entries outside tolerance"
        )
    bad = actual != expected
    if not bad.any():
        return None
    where = tuple(int(i[0]) for i in np.nonzero(bad))
    return (
        f"{name}: {int(bad.sum())} of {bad.size} entries differ; first at {_index(where)}: "
        f"expected {expected[where]}, got {actual[where]}"
    )


def distinct(expected, actual, least=4) -> tuple[str, str]:
    """Both numbers with as many significant digits as it takes to tell them apart (at least `least`)."""
    for digits in range(least, 18):
        a, b = f"{expected:.{digits}g}", f"{actual:.{digits}g}"
        if a != b:
            return a, b
    return a, b


def int_mismatch(name, actual, expected: int):
    """None if `actual` is the integer `expected` (a Python or NumPy integer), else what is wrong."""
    if isinstance(actual, bool) or not isinstance(actual, (int, np.integer)):
        return f"{name}: expected an int, got {type_name(actual)} {describe(actual)}"
    if actual != expected:
        return f"{name}: expected {expected}, got {actual}"
    return None


def unpack(name, value, parts: tuple[str, ...]):
    """The items of a tuple a function returned, checking there are exactly `parts` of them."""
    wanted = f"a tuple ({', '.join(parts)})"
    if not isinstance(value, (tuple, list)):
        raise CheckFailed(f"{name} should return {wanted}, got {type_name(value)} {describe(value)}")
    if len(value) != len(parts):
        raise CheckFailed(f"{name} should return {wanted}, got a {type_name(value)} of {len(value)} items")
    return tuple(value)


def fail_if(context: str, *messages) -> None:
    """Raise CheckFailed with the non-None messages joined by '; ' (prefixed by the test case)."""
    problems = [m for m in messages if m]
    if problems:
        prefix = f"{context}: " if context else ""
        raise CheckFailed(prefix + "; ".join(problems))


def call(name, function, *args, **kwargs):
    """Call a student's function on copies of the arguments; its exceptions become feedback.

    `function` is a local function (the notebook's own graded cell) or a Remote one (the grader). Raises
    NotImplementedYet for the generated stub, NotAllowed for the course's own implementation or a read of
    the solutions, StudentError for any other exception, exit() or an argument changed in place (nested
    containers included: a dict of arrays), CheckFailed if `function` is not a function at all.
    """
    if not callable(function) or (isinstance(function, Remote) and not function._callable):
        raise CheckFailed(f"{name} should be a function, got {type_name(function)} {describe(function)}")
    shown = _signature(name, args, kwargs)
    if isinstance(function, Remote):
        try:
            result, (args_after, kwargs_after), _ = function._connection.call(function, args, kwargs)
        except RemoteError as error:
            raise student_exception(name, shown, error) from None
        where = changed_input([list(args), kwargs], [args_after, kwargs_after])
    else:
        copies = copy.deepcopy((args, kwargs))
        try:
            result = function(*copies[0], **copies[1])
        except (Exception, SystemExit) as error:
            raise student_exception(name, shown, error) from None
        where = changed_input([list(args), kwargs], [list(copies[0]), copies[1]])
    if where is not None:
        raise StudentError(
            f"{name} modified its input in place ({_argument(where)} changed): "
            "work on a copy, as no function here modifies its inputs"
        )
    return result


def _argument(where: str) -> str:
    """'[0][1]["weight_ih"]' -> 'argument 2["weight_ih"]'."""
    if where.startswith("[0]["):
        rest = where[4:]
        number, _, tail = rest.partition("]")
        return f"argument {int(number) + 1}{tail}"
    if where.startswith("[1]["):
        return "keyword argument " + where[4:].split("]", 1)[0] + where[4:].split("]", 1)[1]
    return "an argument"


def raises_mismatch(name, function, error_type, *args, **kwargs):
    """None if function(*args) raises `error_type`, else what it did instead."""
    try:
        result = call(name, function, *args, **kwargs)
    except StudentError as failure:
        if raised(failure, error_type):
            return None
        return f"{failure} (expected {error_type.__name__})"
    expected = error_type.__name__
    return f"{_signature(name, args, kwargs)} should raise {expected}, but returned {describe(result)}"


def _signature(name, args, kwargs) -> str:
    shown = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def _index(where) -> str:
    return "[" + ", ".join(str(int(i)) for i in where) + "]"


def _clip(error) -> str:
    text = str(error).strip().replace("\n", " ")
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


# Feedback with hints on known mistakes, shared by the exercise checks.

HINT_TOL = Tol(1e-4, 1e-6)  # known mistakes are matched more loosely than right answers (a lost 1e-6)


class Feedback(str):
    """Feedback on one value: `body`, then `hint` (advice on a known mistake) in parentheses, if any."""

    body: str
    hint: str | None


def hinted(body, hint=None):
    """Feedback reading 'body (hint)', or just 'body'."""
    found = Feedback(f"{body} ({hint})" if hint else body)
    found.body, found.hint = body, hint
    return found


def mismatch(name, actual, expected, tol=None, hints=()):
    """array_mismatch, followed by the hint of the first known mistake that `actual` equals.

    hints: ((wrong_answer, hint), ...), the arrays a typical mistake gives, each with what to fix.
    Floats match a known mistake within the looser HINT_TOL; other dtypes (ids, counts) exactly.
    Returns None when `actual` is right, else Feedback.
    """
    message = array_mismatch(name, actual, expected, tol)
    if message is None:
        return None
    if not isinstance(actual, np.ndarray):
        return hinted(message)
    loose = tol
    if expected.dtype.kind in "fc":
        loose = _loosest(tol or forward_tol(expected.dtype), HINT_TOL)
    hint = next((text for wrong, text in hints if array_mismatch(name, actual, wrong, loose) is None), None)
    return hinted(message, hint)


def _loosest(*tols):
    return Tol(max(t.rtol for t in tols), max(t.atol for t in tols))


def report(context, *messages):
    """fail_if, giving each hint once: a hint already given is left out of the later messages."""
    given, kept = set(), []
    for message in filter(None, messages):
        hint = getattr(message, "hint", None)
        kept.append(message.body if hint is not None and hint in given else message)
        given.add(hint)
    fail_if(context, *kept)


def grads_mismatch(grads, expected, tol, hints=None, name="grads"):
    """None if `grads` is a dict with the keys of `expected` and every array matches, else what is wrong.

    The first wrong key is described in full (with its hint from hints[key], if any); the others are named.
    `name` is the dict's name in the feedback (a dict of parameters is checked the same way).
    """
    keys = ", ".join(expected)
    if not isinstance(grads, dict):
        return f"{name}: expected a dict with keys {keys}, got {type_name(grads)} {describe(grads)}"
    missing = [key for key in expected if key not in grads]
    if missing:
        return f"{name}: missing key(s) {', '.join(missing)}; it needs one array per parameter: {keys}"
    problems = {
        key: mismatch(f"{name}['{key}']", grads[key], expected[key], tol, (hints or {}).get(key, ()))
        for key in expected
    }
    wrong = [key for key, problem in problems.items() if problem]
    if not wrong:
        return None
    first = problems[wrong[0]]
    also = f"; also wrong: {', '.join(wrong[1:])}" if len(wrong) > 1 else ""
    return hinted(first.body + also, first.hint)


def scalar_mismatch(name, actual, expected, tol, hints=()):
    """None if `actual` is a real number (Python or NumPy, or a 0-d array) close to `expected`.

    hints: ((wrong_value, hint), ...) as for mismatch.
    """
    if isinstance(actual, np.ndarray) and actual.ndim == 0:
        actual = actual[()]
    if isinstance(actual, bool) or not isinstance(actual, (int, float, np.integer, np.floating)):
        return hinted(f"{name}: expected a number, got {type_name(actual)} {describe(actual)}")

    def close(value, tol):
        return abs(float(actual) - value) <= tol.atol + tol.rtol * abs(value)

    if close(expected, tol):
        return None
    hint = next((text for wrong, text in hints if close(wrong, _loosest(tol, HINT_TOL))), None)
    shown_expected, shown_actual = distinct(expected, float(actual), 6)
    return hinted(f"{name}: expected {shown_expected}, got {shown_actual}", hint)


def returned(name, function, args, parts, needed_by=None):
    """The items of the tuple that a student's function returns, called (safely) on `args`.

    needed_by: the task whose check runs this function first (a backward pass needs its forward pass's
    cache); a stub then says which task is waiting for it.
    """
    try:
        return unpack(name, call(name, function, *args), parts)
    except NotImplementedYet as stub:
        if needed_by is None:
            raise
        raise NotImplementedYet(f"{stub}; the check of {needed_by} runs it first, for its cache") from None


def sizes_text(dtype=None, **sizes):
    """'N=3, D=4, H=5, float64': the test case, for the start of a feedback line."""
    text = ", ".join(f"{name}={size}" for name, size in sizes.items())
    return f"{text}, {np.dtype(dtype)}" if dtype is not None else text


def batch_then_alone(predict, inputs, stride, too_slow):
    """A held-out classifier's answers: all inputs at once, then every stride-th one on its own.

    predict(list of inputs) -> (M,) array of labels (validated by the caller); too_slow(seconds) -> the
    feedback when the batch took too long, else None (raised as CheckFailed before any single call).
    Returns (labels (M,), how many inputs were classified alone, the positions in inputs of those whose
    label alone differs from their label in the batch).
    """
    start = time.perf_counter()
    labels = predict(inputs)
    fail_if("", too_slow(time.perf_counter() - start))
    singles = np.arange(0, len(inputs), stride)
    alone = np.array([predict([inputs[i]])[0] for i in singles])
    return labels, len(singles), singles[alone != labels[singles]]
