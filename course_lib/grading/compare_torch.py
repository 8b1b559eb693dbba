"""Feedback on torch tensors for the exercise checks: call a student's function, compare its
tensors and the gradients autograd sends back through it.

Like compare.py, this module imports torch only inside its functions: every grading process
imports the exercise modules that use it.
"""

from course_lib.grading.compare import (
    MAX_MESSAGE,
    CheckFailed,
    NotImplementedYet,
    StudentError,
    describe,
    mismatch,
    type_name,
)

LEAVES_GRAPH = "compute it with torch operations only: no .numpy(), .detach(), .data or .item()"


def _clip(error) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def invoke(name, shown, function, *args):
    """Call a student's function (or class) on tensors as they are, so that gradients reach them.

    Like compare.call, without copying the arguments: exceptions become feedback (NotImplementedYet
    for the stub, StudentError otherwise, introduced by `shown`), and so does an input changed in place.
    """
    import torch

    if not callable(function):
        raise CheckFailed(f"{name} should be callable, got {type_name(function)} {describe(function)}")
    saved = [arg.detach().clone() if isinstance(arg, torch.Tensor) else None for arg in args]
    try:
        result = function(*args)
    except NotImplementedError as error:
        hint = f" (hint: {_clip(error)})" if str(error) else ""
        raise NotImplementedYet(f"{name} is not implemented yet{hint}") from None
    except MemoryError as error:
        raise StudentError(f"{shown} ran out of memory (MemoryError)", error) from None
    except SystemExit as error:
        raise StudentError(f"{shown} called exit(): return a result instead", error) from None
    except Exception as error:
        raise StudentError(f"{shown} raised {type(error).__name__}: {_clip(error)}", error) from None
    for arg, before in zip(args, saved, strict=True):
        if before is not None and not torch.equal(arg.detach(), before):
            raise StudentError(f"{name} modified its input tensor in place: work on a copy")
    return result


def _numpy(value):
    return value.detach().cpu().numpy()


def tensor_mismatch(name, actual, expected, tol=None, hints=()):
    """mismatch for torch tensors: None if `actual` is a tensor equal to `expected`, else what differs.

    hints: ((wrong tensor, hint), ...), what typical mistakes give.
    """
    import torch

    if not isinstance(actual, torch.Tensor):
        return f"{name}: expected a torch.Tensor, got {type_name(actual)} {describe(actual)}"
    hints = [(_numpy(wrong), hint) for wrong, hint in hints]
    return mismatch(name, _numpy(actual), _numpy(expected), tol, hints)


def backward_through(outputs, upstreams, what):
    """Σ ⟨output, upstream⟩ backward through the student's graph; a result that left it becomes feedback."""
    import torch

    loss = sum((output * upstream).sum() for output, upstream in zip(outputs, upstreams, strict=True))
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        raise CheckFailed(f"{what} is not connected to the inputs, so no gradient flows back: {LEAVES_GRAPH}")
    loss.backward()


def grad_mismatch(name, tensor, expected, tol, hints=()):
    """Feedback on the gradient autograd left in tensor.grad (None when it equals `expected`)."""
    if tensor.grad is None:
        return f"d{name}: no gradient reached {name}: {LEAVES_GRAPH}"
    return tensor_mismatch(f"d{name}", tensor.grad, expected, tol, hints)
