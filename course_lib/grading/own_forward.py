"""Grading a backward pass on its own, when the student's forward pass is wrong.

A backward check hands the cache of the student's forward to the student's backward. When that forward
disagrees with the reference, the backward still earns its points if either
1. given the student's cache with the wrong outputs replaced by the reference's (`repair_cache`: every
   array of the cache equal to a wrong output), it returns the reference's gradients: a right backward
   behind a wrong forward (a missing bias, say); or
2. it agrees with central differences of the student's own forward, along one random direction per
   input: ⟨analytic gradient, v⟩ against (L(a + εv) - L(a - εv)) / 2ε, where L = Σ ⟨upstream, output⟩.
"""

import copy

import numpy as np

from course_lib.grading.compare import CheckFailed, call, distinct, type_name, unpack

EPS = 1e-5  # step of the central differences (float64 inputs)
RTOL, ATOL = 1e-5, 1e-7  # agreement of ⟨gradient, v⟩ with the differences: their error is O(EPS²)


def forward_problem(pairs):
    """The first of [(name, student's output, reference output)] that differs, as feedback, or None."""
    from course_lib.grading.compare import array_mismatch

    for name, actual, expected in pairs:
        problem = array_mismatch(name, actual, expected)
        if problem:
            return problem
    return None


def check_own_forward(context, forward_name, forward, args, parts, gradients, upstreams, rng):
    """Raise CheckFailed unless each gradient agrees with central differences of the student's forward.

    args: the forward's arguments; parts: the names of what it returns, its outputs first (the cache last);
    gradients: {label: (path into args, the student's gradient)}, e.g. {"dW_hh": ((2, "weight_hh"), g)};
    upstreams: one array per output, shaped like the student's outputs.
    """
    outputs = len(upstreams)
    for label, (path, analytic) in gradients.items():
        value = _at(args, path)
        if not isinstance(analytic, np.ndarray) or analytic.shape != value.shape:
            got = analytic.shape if isinstance(analytic, np.ndarray) else type_name(analytic)
            raise CheckFailed(f"{context}: {label}: expected an array of shape {value.shape}, got {got}")
        direction = rng.standard_normal(value.shape)
        losses = []
        for sign in (1.0, -1.0):
            moved = copy.deepcopy(list(args))
            _set(moved, path, value + sign * EPS * direction)
            result = unpack(forward_name, call(forward_name, forward, *moved), parts)
            losses.append(
                sum(
                    float(np.sum(u * np.asarray(o, dtype=np.float64)))
                    for u, o in zip(upstreams, result[:outputs], strict=True)
                )
            )
        numeric = (losses[0] - losses[1]) / (2 * EPS)
        exact = float(np.sum(analytic * direction))
        if not abs(exact - numeric) <= ATOL + RTOL * max(abs(numeric), abs(exact)):
            shown_numeric, shown_exact = distinct(numeric, exact, 6)
            raise CheckFailed(
                f"{context}: your {forward_name} is wrong here, so the gradients were checked against "
                "central "
                f"differences of it instead: along a random direction v, ⟨{label}, v⟩ = {shown_exact}, the "
                f"differences give {shown_numeric}"
            )


def repair_cache(cache, pairs, depth=0):
    """(cache with each array equal to a wrong output replaced by the right one, how many were replaced).

    pairs: [(wrong array, right array)]. Walks tuples (named ones too), lists, dicts and the attributes of
    plain objects, a few levels deep; everything else is kept as it is.
    """
    if isinstance(cache, np.ndarray):
        for wrong, right in pairs:
            if cache.shape == wrong.shape and cache.dtype == wrong.dtype and np.array_equal(cache, wrong):
                return right.copy(), 1
        return cache, 0
    if depth > 4:
        return cache, 0
    if isinstance(cache, (tuple, list)):
        found = [repair_cache(item, pairs, depth + 1) for item in cache]
        items, count = [item for item, _ in found], sum(n for _, n in found)
        if not count:
            return cache, 0
        if isinstance(cache, list):
            return items, count
        return (type(cache)(*items) if hasattr(cache, "_fields") else tuple(items)), count
    if isinstance(cache, dict):
        found = {key: repair_cache(value, pairs, depth + 1) for key, value in cache.items()}
        count = sum(n for _, n in found.values())
        return ({key: value for key, (value, _) in found.items()} if count else cache), count
    if hasattr(cache, "__dict__") and not callable(cache) and type(cache).__module__ not in ("builtins",):
        found = {key: repair_cache(value, pairs, depth + 1) for key, value in vars(cache).items()}
        count = sum(n for _, n in found.values())
        if not count:
            return cache, 0
        repaired = copy.copy(cache)
        for key, (value, _) in found.items():
            setattr(repaired, key, value)
        return repaired, count
    return cache, 0


def repaired(cache, pairs):
    """repair_cache, where the cache lives: in the notebook's process for a Remote one, else here."""
    from course_lib.grading.remote import Remote

    if isinstance(cache, Remote):
        return cache._connection.repair(cache, pairs)
    return repair_cache(cache, pairs)


def _at(value, path):
    for step in path:
        value = value[step]
    return value


def _set(container, path, value):
    for step in path[:-1]:
        container = container[step]
    container[path[-1]] = value


def grade_backward_alone(
    context,
    forward_name,
    forward,
    backward,
    args,
    parts,
    outputs,
    expected_outputs,
    cache,
    names,
    dtype,
    rng,
    reference_backward,
    ref_cache,
    layouts=None,
):
    """The student's forward is wrong here: grade the backward on its own (module docstring), or raise.

    args: the forward's arguments, array inputs first and the params dict last; names: what the backward
    returns, one gradient per array input and then the grads dict; outputs and expected_outputs: the
    student's and the reference's outputs of the forward; layouts(output, expected) -> more (wrong, right)
    pairs: the same states as a cache may keep them (time-major, with h0). Returns None when it passes.
    """
    from course_lib.check.tolerances import gradient_tol
    from course_lib.grading.compare import grads_mismatch, mismatch, returned

    backward_name = context.split("(")[0]
    tol = gradient_tol(np.dtype(dtype))
    first = None
    if all(isinstance(output, np.ndarray) for output in outputs):
        pairs = list(zip(outputs, expected_outputs, strict=True))
        if layouts is not None:
            pairs += [
                pair
                for wrong, right in zip(outputs, expected_outputs, strict=True)
                if wrong.shape == right.shape
                for pair in layouts(wrong, right)
            ]
        fixed, count = repaired(cache, pairs)
        if count:
            upstreams = [rng.standard_normal(expected.shape).astype(dtype) for expected in expected_outputs]
            found = returned(backward_name, backward, (*upstreams, fixed), names)
            expected = reference_backward(*upstreams, ref_cache)
            problems = [
                mismatch(name, got, want, tol)
                for name, got, want in zip(names[:-1], found, expected, strict=False)
            ]
            problems.append(grads_mismatch(found[-1], expected[-1], tol))
            problems = [problem for problem in problems if problem]
            if not problems:
                return
            first = (
                f"{context}: your {forward_name} is wrong here; given its cache with the right outputs in "
                f"it, {backward_name} still differs from the reference: {problems[0]}"
            )
    if np.dtype(dtype) != np.float64:
        if first:
            raise CheckFailed(first)
        return  # float32 cannot resolve central differences: the float64 cases judge the backward
    for output in outputs:
        if not isinstance(output, np.ndarray):
            raise CheckFailed(
                f"{context} runs your {forward_name} first, for its cache, and it returned "
                f"{type_name(output)}, not an array"
            )
    upstreams = [rng.standard_normal(output.shape) for output in outputs]
    found = returned(backward_name, backward, (*upstreams, cache), names)
    gradients = {
        name: ((i,), grad)
        for i, (name, grad) in enumerate(zip(names[:-1], found[:-1], strict=True))
        if args[i] is not None
    }
    grads, keys = found[-1], list(args[-1])
    if not isinstance(grads, dict) or any(key not in grads for key in keys):
        raise CheckFailed(
            first or f"{context}: grads: expected a dict with keys {', '.join(keys)}, got {type_name(grads)}"
        )
    gradients.update({f"grads['{key}']": ((len(args) - 1, key), grads[key]) for key in keys})
    try:
        check_own_forward(context, forward_name, forward, args, parts, gradients, upstreams, rng)
    except CheckFailed:
        if first:
            raise CheckFailed(first) from None
        raise
