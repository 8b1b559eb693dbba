"""Feedback on torch tensors for the exercise checks: call a student's function, compare its
tensors and the gradients autograd sends back through it.

Like compare.py, this module imports torch only inside its functions: every grading process
imports the exercise modules that use it.
"""

from course_lib.grading.compare import (
    MAX_MESSAGE,
    CheckFailed,
    StudentError,
    changed_input,
    describe,
    mismatch,
    student_exception,
    type_name,
)
from course_lib.grading.remote import Remote, RemoteError

ORIGIN = (
    "_grading_origin"  # attribute of a tensor a Remote call returned: (connection, call id, path, leaves)
)

LEAVES_GRAPH = "compute it with torch operations only: no .numpy(), .detach(), .data or .item()"


def _clip(error) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def invoke(name, shown, function, *args):
    """Call a student's function (or class) on tensors as they are, so that gradients reach them.

    Like compare.call, without copying the arguments: exceptions become feedback (NotImplementedYet
    for the stub, StudentError otherwise, introduced by `shown`), and so does an input changed in place.
    A Remote function runs in the notebook's process; backward_through then runs the backward pass there
    and sets .grad of the tensors sent here that require gradients.
    """
    import torch

    if not callable(function) or (isinstance(function, Remote) and not function._callable):
        raise CheckFailed(f"{name} should be callable, got {type_name(function)} {describe(function)}")
    saved = [arg.detach().clone() if isinstance(arg, torch.Tensor) else None for arg in args]
    if isinstance(function, Remote):
        try:
            result, (after, _), call_id = function._connection.call(function, args, {})
        except RemoteError as error:
            raise student_exception(name, shown, error) from None
        leaves = [a for a in _flat(list(args)) if isinstance(a, torch.Tensor) and a.requires_grad]
        for path, tensor in _tensors(result, ()):
            setattr(tensor, ORIGIN, (function._connection, call_id, path, leaves))
    else:
        try:
            result = function(*args)
        except (Exception, SystemExit) as error:
            raise student_exception(name, shown, error) from None
        after = list(args)
    for before, now in zip(saved, after, strict=True):
        if before is not None and changed_input(before, now) is not None:
            raise StudentError(f"{name} modified its input tensor in place: work on a copy")
    return result


def _flat(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flat(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flat(item)
    else:
        yield value


def _tensors(value, path):
    import torch

    if isinstance(value, torch.Tensor):
        yield list(path), value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _tensors(item, (*path, i))


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
    """Σ ⟨output, upstream⟩ backward through the student's graph; a result that left it becomes feedback.

    Returns {parameter name: gradient} of a student's module whose call gave the outputs (Remote), else {}.
    """
    import torch

    origins = [getattr(output, ORIGIN, None) for output in outputs]
    if origins and all(origin is not None for origin in origins):
        connection, call_id, _, leaves = origins[0]
        paths = [origin[2] for origin in origins]
        try:
            found = connection.backward(call_id, paths, upstreams)
        except RemoteError as error:
            raise student_exception(what, what, error) from None
        if found is None:
            raise CheckFailed(
                f"{what} is not connected to the inputs, so no gradient flows back: {LEAVES_GRAPH}"
            )
        grads, params = found
        for leaf, grad in zip(leaves, grads, strict=True):
            leaf.grad = None if grad is None else grad.to(leaf.dtype).reshape(leaf.shape)
        return params
    loss = sum((output * upstream).sum() for output, upstream in zip(outputs, upstreams, strict=True))
    if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
        raise CheckFailed(f"{what} is not connected to the inputs, so no gradient flows back: {LEAVES_GRAPH}")
    loss.backward()
    return {}


def module_parameters(model):
    """[(name, shape, shared)] of a student's torch module (Remote or local), or None if it is not one.

    shared: the parameter is the same tensor as an earlier one of the list (a layer used twice).
    """
    import torch

    from course_lib.grading._worker import parameter_list

    if isinstance(model, Remote):
        found = model._connection.module(model, "list")
    elif isinstance(model, torch.nn.Module):
        found = parameter_list(model)
    else:
        found = None
    return None if found is None else [(name, tuple(shape), bool(shared)) for name, shape, shared in found]


def module_load(model, dtype, values):
    """Convert a student's module to `dtype` and copy `values` ({parameter name: tensor}) into it."""
    import torch

    if isinstance(model, Remote):
        model._connection.module(model, "to", dtype=dtype)
        model._connection.module(model, "load", values=values)
        return
    model.to(dtype)
    named = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in values.items():
            named[name].copy_(value)


def module_grads(model, returned):
    """{parameter name: gradient} after backward_through: what it returned (Remote), or read here."""
    if isinstance(model, Remote):
        return returned
    return {name: p.grad for name, p in model.named_parameters()}


def grad_mismatch(name, tensor, expected, tol, hints=()):
    """Feedback on the gradient autograd left in tensor.grad (None when it equals `expected`)."""
    if tensor.grad is None:
        return f"d{name}: no gradient reached {name}: {LEAVES_GRAPH}"
    return tensor_mismatch(f"d{name}", tensor.grad, expected, tol, hints)
