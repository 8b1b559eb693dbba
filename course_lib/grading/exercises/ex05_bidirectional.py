"""Exercise 05, a bidirectional layer and padded batches in PyTorch: tasks, reference answers, checks.

Notebook: solutions/05_bidirectional_and_packing.ipynb (exercises/ is generated from it). References:
torch.nn.RNN(bidirectional=True) holding the same weights (BiRNN), torch.nn.utils.rnn's packing
(packed_rnn), and index arithmetic on the time axis (reverse_padded, last_valid_output,
bidirectional_summary). Each check compares the values and then the gradients that autograd sends
back through the student's code, so a result that leaves the graph (.numpy(), .detach()) fails.
Batches are batch-first and post-padded: row i holds its lengths[i] real steps first, then padding.

torch is imported inside the functions only: every grading process imports this module.
"""

import numpy as np

from course_lib.check.tolerances import gradient_tol
from course_lib.grading.compare import (
    CheckFailed,
    check_rng,
    fail_if,
    report,
    type_name,
    unpack,
)
from course_lib.grading.compare_torch import (
    backward_through,
    grad_mismatch,
    invoke,
    module_grads,
    module_load,
    module_parameters,
    tensor_mismatch,
)
from course_lib.grading.registry import Exercise, Task

KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def reverse_padded_reference(x, lengths):
    """Reverse each row's first lengths[i] steps; the padding after them stays in place.

    y[i, t] = x[i, lengths[i] - 1 - t] for t < lengths[i], else x[i, t].

    Args:
        x: (N, T) or (N, T, D) tensor, post-padded. lengths: (N,) int64 tensor, entries in [0, T].
    Returns:
        tensor of x's shape and dtype (a gather: gradients flow back to x).
    """
    import torch

    N, T = x.shape[:2]
    steps = torch.arange(T)[None, :]  # (1, T)
    lengths = torch.as_tensor(lengths, dtype=torch.int64)[:, None]  # (N, 1)
    source = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (N, T): where y[i, t] comes from
    index = source.reshape(N, T, *[1] * (x.dim() - 2)).expand_as(x)
    return torch.gather(x, 1, index)


def packed_rnn_reference(rnn, x, lengths):
    """Run a batch-first recurrent layer on a post-padded batch through a PackedSequence.

    Returns:
        out: (N, T, dirs*H), zero at padded steps. h_n: (L*dirs, N, H), each row's state after its
        own last real step (forward) or after its first step (backward), in the batch's order.
    """
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = rnn(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (N, T, dirs*H)
    return out, h_n


def last_valid_output_reference(out, lengths):
    """(N, F): out[i, lengths[i] - 1], each row's output at its last real step."""
    import torch

    return out[torch.arange(out.shape[0]), torch.as_tensor(lengths, dtype=torch.int64) - 1]


def bidirectional_summary_reference(out, lengths):
    """(N, 2H): the forward half at the last real step, then the backward half at step 0."""
    import torch

    H = out.shape[-1] // 2
    return torch.cat([last_valid_output_reference(out[..., :H], lengths), out[:, 0, H:]], dim=1)


def _dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def _leaf(array, dtype):
    """A float tensor of `array` that autograd tracks."""
    import torch

    return torch.tensor(array, dtype=dtype, requires_grad=True)


def _lengths(rng, N, T):
    """(N,) int64 tensor in [1, T], unsorted, with a full-length row and a length-1 row when N >= 2."""
    import torch

    lengths = rng.integers(1, T + 1, size=N)
    if N >= 2:
        lengths[:2] = [T, 1]
    return torch.from_numpy(rng.permutation(lengths).astype(np.int64))


def _randomize(module, rng):
    """Overwrite every parameter with U(-0.6, 0.6) draws from rng (no change to torch's global RNG)."""
    import torch

    with torch.no_grad():
        for parameter in module.parameters():
            values = rng.uniform(-0.6, 0.6, size=tuple(parameter.shape))
            parameter.copy_(torch.from_numpy(values).to(parameter.dtype))
    return module


def _birnn_layers(model, D, H):
    """The names of the student's forward_rnn and backward_rnn parameters, checked to be RNN layers."""
    shown = f"BiRNN({D}, {H})"
    parameters = module_parameters(model)
    if parameters is None:
        raise CheckFailed(f"{shown} should be a torch.nn.Module, got {type_name(model)}")
    shapes = {name: shape for name, shape, _ in parameters}
    for part in ("forward_rnn", "backward_rnn"):
        if not any(name.startswith(f"{part}.") for name in shapes):
            raise CheckFailed(f"{shown} has no layer {part} with parameters: keep the layers as self.{part}")
        for key, shape in zip(KEYS, [(H, D), (H, H), (H,), (H,)], strict=True):
            got = shapes.get(f"{part}.{key}_l0")
            if got != shape:
                got = "nothing" if got is None else f"shape {got}"
                raise CheckFailed(
                    f"{shown}.{part}.{key}_l0: expected a parameter of shape {shape}, got {got} "
                    f"(make it nn.RNN({D}, {H}, batch_first=True))"
                )
    count = sum(int(np.prod(shape)) for _, shape, shared in parameters if not shared)
    expected = 2 * (H * D + H * H + 2 * H)
    if count != expected:
        raise CheckFailed(
            f"{shown} has {count} parameters, expected {expected}: two RNN layers with their own weights "
            "(W_ih, W_hh, b_ih, b_hh each) and nothing else"
        )


def _birnn_hints(reference, x, out, h_n):
    """(out hints, h_n hints): what typical mistakes in BiRNN.forward give."""
    import torch

    H = reference.hidden_size
    plain = torch.nn.RNN(reference.input_size, H, batch_first=True, dtype=x.dtype)
    with torch.no_grad():
        for key in KEYS:
            getattr(plain, f"{key}_l0").copy_(getattr(reference, f"{key}_l0_reverse"))
        not_reversed = plain(x)[0]  # the backward layer run forwards in time
    forward, backward = out[..., :H], out[..., H:]
    flip_back = "flip the backward layer's outputs back in time, so that step t holds h←(t)"
    flip_x = "the backward layer reads the sequence reversed: flip x first"
    order = "out[..., :H] is the forward direction, out[..., H:] the backward one"
    out_hints = [
        (torch.cat([forward, backward.flip(1)], dim=-1), flip_back),
        (torch.cat([forward, not_reversed], dim=-1), flip_x),
        (torch.cat([backward, forward], dim=-1), order),
    ]
    last_step = "the backward direction finishes at t = 0: take its own final state, not out[:, -1]"
    h_hints = [
        (torch.stack([h_n[0], out[:, -1, H:]]), last_step),
        (h_n.flip(0), "h_n[0] is the forward direction's final state, h_n[1] the backward one's"),
    ]
    return out_hints, h_hints


def _birnn_cases(rng):
    """(N, T, D, H, dtype): sizes unlike the notebook's and each other's, N, T, D or H = 1, float32."""
    float64 = [(5, 7, 8, 9), (1, 8, 9, 5), (7, 1, 5, 8), (8, 5, 1, 7), (5, 7, 9, 1)]
    return [(*sizes, "float64") for sizes in float64] + [(7, 5, 8, 9, "float32")]


def check_BiRNN(BiRNN):  # noqa: N802 (the check is named after the class it grades)
    """BiRNN(D, H)(x) -> (out (N, T, 2H), h_n (2, N, H)), as nn.RNN(bidirectional=True) with its weights."""
    import torch

    rng = check_rng("ex05_bidirectional.check_BiRNN")
    for N, T, D, H, dtype_name in _birnn_cases(rng):
        dtype = getattr(torch, dtype_name)
        model = invoke("BiRNN", f"BiRNN({D}, {H})", BiRNN, D, H)
        _birnn_layers(model, D, H)
        reference = _randomize(torch.nn.RNN(D, H, batch_first=True, bidirectional=True, dtype=dtype), rng)
        values = {}
        for key in KEYS:
            values[f"forward_rnn.{key}_l0"] = getattr(reference, f"{key}_l0").detach().clone()
            values[f"backward_rnn.{key}_l0"] = getattr(reference, f"{key}_l0_reverse").detach().clone()
        module_load(model, dtype, values)
        x_values = rng.standard_normal((N, T, D))
        x, x_ref = _leaf(x_values, dtype), _leaf(x_values, dtype)
        shown = f"BiRNN({D}, {H})(x of shape {(N, T, D)}, {dtype_name})"
        out, h_n = unpack("BiRNN.forward", invoke("BiRNN.forward", shown, model, x), ("out", "h_n"))
        out_ref, h_ref = reference(x_ref)
        out_hints, h_hints = _birnn_hints(reference, x_ref.detach(), out_ref.detach(), h_ref.detach())
        report(shown, tensor_mismatch("out", out, out_ref, None, out_hints),
               tensor_mismatch("h_n", h_n, h_ref, None, h_hints))
        upstream = [torch.from_numpy(rng.standard_normal(tuple(t.shape))).to(dtype) for t in (out_ref, h_ref)]
        grads = module_grads(model, backward_through([out, h_n], upstream, "BiRNN's out or h_n"))
        backward_through([out_ref, h_ref], upstream, "the reference")
        tol = gradient_tol(dtype_name)
        problems = [grad_mismatch("x", x, x_ref.grad, tol)]
        parts = (("forward_rnn", ""), ("backward_rnn", "_reverse"))
        for part, suffix in parts:
            for key in KEYS:
                expected = getattr(reference, f"{key}_l0{suffix}").grad
                name = f"{part}.{key}_l0"
                got = grads.get(name)
                if got is None:
                    problems.append(f"d{name}: no gradient reached {name}")
                else:
                    problems.append(tensor_mismatch(f"d{name}", got, expected, tol))
        problems = [problem for problem in problems if problem]
        also = f"; {len(problems) - 1} more gradients wrong" if len(problems) > 1 else ""
        fail_if(f"{shown}, gradients", problems and problems[0] + also)


def check_reverse_padded(reverse_padded):
    """reverse_padded(x, lengths) -> each row's real steps reversed, padding in place; gradients flow."""
    import torch

    rng = check_rng("ex05_bidirectional.check_reverse_padded")
    N, T, D = int(rng.integers(3, 6)), int(rng.integers(4, 8)), int(rng.integers(2, 4))
    cases = [
        ((N, T, D), _lengths(rng, N, T), "float64"),
        ((1, T, D), torch.tensor([T - 2]), "float64"),  # one sequence, shorter than T
        ((N, 1, D), torch.ones(N, dtype=torch.int64), "float64"),  # one step
        ((N, T, D), torch.full((N,), T), "float64"),  # no padding: a plain flip
        ((N, T, D), _lengths(rng, N, T), "float32"),
        ((N, T), _lengths(rng, N, T), "int64"),  # token ids
    ]
    for shape, lengths, dtype_name in cases:
        dtype = getattr(torch, dtype_name)
        if dtype_name == "int64":
            x = torch.from_numpy(rng.integers(1, 50, size=shape))
        else:
            x = _leaf(rng.standard_normal(shape), dtype)
        shown = f"reverse_padded(x of shape {shape}, {dtype_name}, lengths={lengths.tolist()})"
        y = invoke("reverse_padded", shown, reverse_padded, x, lengths)
        expected = reverse_padded_reference(x.detach(), lengths)
        hints = [(x.detach().flip(1), "reverse only the first lengths[i] steps of row i; the padding stays")]
        fail_if(shown, tensor_mismatch("result", y, expected, None, hints))
        if x.requires_grad:
            u = torch.from_numpy(rng.standard_normal(shape)).to(dtype)
            backward_through([y], [u], "reverse_padded's result")
            expected_grad = reverse_padded_reference(u, lengths)  # a permutation is its own adjoint here
            fail_if(shown, grad_mismatch("x", x, expected_grad, gradient_tol(dtype_name)))


def check_packed_rnn(packed_rnn):
    """packed_rnn(rnn, x, lengths) -> (out zero-padded (N, T, dirs*H), h_n), as through a PackedSequence."""
    import torch

    rng = check_rng("ex05_bidirectional.check_packed_rnn")
    D, H = (int(n) for n in rng.choice(np.arange(2, 6), size=2, replace=False))
    N, T = int(rng.integers(3, 6)), int(rng.integers(4, 8))
    short = torch.from_numpy(rng.integers(1, T, size=N))  # the longest row is shorter than T
    cases = [
        ("RNN", False, 1, N, T, _lengths(rng, N, T)),
        ("GRU", True, 1, N, T, _lengths(rng, N, T)),
        ("RNN", True, 2, N, T, short),
        ("GRU", False, 1, 1, T, torch.tensor([T - 1])),
        ("RNN", True, 1, N, 1, torch.ones(N, dtype=torch.int64)),
    ]
    for cell, bidirectional, layers, n, t, lengths in cases:
        rnn = getattr(torch.nn, cell)(D, H, layers, batch_first=True, bidirectional=bidirectional,
                                      dtype=torch.float64)
        _randomize(rnn, rng)
        values = rng.standard_normal((n, t, D))
        x, x_ref = _leaf(values, torch.float64), _leaf(values, torch.float64)
        layer = f"nn.{cell}({D}, {H}, {layers}, batch_first=True, bidirectional={bidirectional})"
        shown = f"packed_rnn({layer}, x of shape {(n, t, D)}, lengths={lengths.tolist()})"
        result = invoke("packed_rnn", shown, packed_rnn, rnn, x, lengths)
        out, h_n = unpack("packed_rnn", result, ("out", "h_n"))
        out_ref, h_ref = packed_rnn_reference(rnn, x_ref, lengths)
        padded_out, padded_h = (value.detach() for value in rnn(x_ref))
        ran_on = "the layer ran on over the padding: pack the batch first (enforce_sorted=False)"
        out_message = tensor_mismatch("out", out, out_ref, None, [(padded_out, ran_on)])
        if out_message and isinstance(out, torch.Tensor) and out.dim() == 3 and out.shape[1] < t:
            out_message += f" (pad_packed_sequence(..., total_length={t}) keeps all T = {t} steps)"
        report(shown, out_message, tensor_mismatch("h_n", h_n, h_ref, None, [(padded_h, ran_on)]))
        upstream = [torch.from_numpy(rng.standard_normal(tuple(v.shape))) for v in (out_ref, h_ref)]
        backward_through([out, h_n], upstream, "packed_rnn's out or h_n")
        backward_through([out_ref, h_ref], upstream, "the reference")
        fail_if(f"{shown}, gradients", grad_mismatch("x", x, x_ref.grad, gradient_tol("float64")))


def _summary_cases(rng):
    """(N, T, F, lengths, dtype_name): random, a batch of one, one step, float32."""
    import torch

    N, T, F = int(rng.integers(3, 6)), int(rng.integers(3, 7)), 2 * int(rng.integers(1, 4))
    return [
        (N, T, F, _lengths(rng, N, T), "float64"),
        (1, T, F, torch.tensor([T - 1]), "float64"),
        (N, 1, F, torch.ones(N, dtype=torch.int64), "float64"),
        (N, T, F, _lengths(rng, N, T), "float32"),
    ]


def check_last_valid_output(last_valid_output):
    """last_valid_output(out, lengths) -> (N, F), out[i, lengths[i] - 1]; gradients flow."""
    import torch

    rng = check_rng("ex05_bidirectional.check_last_valid_output")
    for N, T, F, lengths, dtype_name in _summary_cases(rng):
        dtype = getattr(torch, dtype_name)
        out = _leaf(rng.standard_normal((N, T, F)), dtype)
        shown = f"last_valid_output(out of shape {(N, T, F)}, {dtype_name}, lengths={lengths.tolist()})"
        y = invoke("last_valid_output", shown, last_valid_output, out, lengths)
        expected = last_valid_output_reference(out.detach(), lengths)
        hints = [(out.detach()[:, -1], "out[:, -1] is padding in every row shorter than T: take step "
                                       "lengths[i] - 1 of row i")]
        message = tensor_mismatch("result", y, expected, None, hints)
        if isinstance(y, torch.Tensor) and tuple(y.shape) == (N, N, F) and N > 1:
            message += " (index rows and steps together: out[torch.arange(N), lengths - 1])"
        fail_if(shown, message)
        u = torch.from_numpy(rng.standard_normal((N, F))).to(dtype)
        backward_through([y], [u], "last_valid_output's result")
        expected_grad = torch.zeros(N, T, F, dtype=dtype)
        expected_grad[torch.arange(N), lengths - 1] = u
        fail_if(shown, grad_mismatch("out", out, expected_grad, gradient_tol(dtype_name)))


AT_ZERO = "the backward direction reads each sequence from its end and finishes at t = 0: out[:, 0, H:]"
SWAPPED = "the forward half comes first, as in h_n"
AT_END = "out[:, -1] is padding in the rows shorter than T, and its backward half has read one step only"


def check_bidirectional_summary(bidirectional_summary):
    """bidirectional_summary(out, lengths) -> (N, 2H): forward half at lengths - 1, backward half at 0."""
    import torch

    rng = check_rng("ex05_bidirectional.check_bidirectional_summary")
    for N, T, F, lengths, dtype_name in _summary_cases(rng):
        dtype = getattr(torch, dtype_name)
        out = _leaf(rng.standard_normal((N, T, F)), dtype)
        shown = f"bidirectional_summary(out of shape {(N, T, F)}, {dtype_name}, lengths={lengths.tolist()})"
        y = invoke("bidirectional_summary", shown, bidirectional_summary, out, lengths)
        expected = bidirectional_summary_reference(out.detach(), lengths)
        H, values = F // 2, out.detach()
        both_last = last_valid_output_reference(values, lengths)
        swapped = torch.cat([values[:, 0, H:], both_last[:, :H]], dim=1)
        hints = [(both_last, AT_ZERO), (values[:, -1], AT_END), (swapped, SWAPPED)]
        fail_if(shown, tensor_mismatch("summary", y, expected, None, hints))
        u = torch.from_numpy(rng.standard_normal((N, F))).to(dtype)
        backward_through([y], [u], "bidirectional_summary's result")
        reference_out = _leaf(values.numpy(), dtype)
        backward_through([bidirectional_summary_reference(reference_out, lengths)], [u], "the reference")
        fail_if(shown, grad_mismatch("out", out, reference_out.grad, gradient_tol(dtype_name)))
    _check_summary_on_a_layer(bidirectional_summary, rng)


def _check_summary_on_a_layer(bidirectional_summary, rng):
    """On a packed bidirectional GRU's output the summary equals torch.cat([h_n[0], h_n[1]], dim=1)."""
    import torch

    N, T, D, H = 4, 6, 3, 5
    gru = _randomize(torch.nn.GRU(D, H, batch_first=True, bidirectional=True, dtype=torch.float64), rng)
    lengths = _lengths(rng, N, T)
    with torch.no_grad():
        out, h_n = packed_rnn_reference(gru, torch.from_numpy(rng.standard_normal((N, T, D))), lengths)
    shown = f"bidirectional_summary(out of a packed bidirectional GRU, lengths={lengths.tolist()})"
    y = invoke("bidirectional_summary", shown, bidirectional_summary, out, lengths)
    fail_if(shown, tensor_mismatch("summary", y, torch.cat([h_n[0], h_n[1]], dim=1)))


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ()

EXERCISE = Exercise(
    name="05_bidirectional_and_packing",
    title="A bidirectional layer and padded batches in PyTorch",
    tasks=(
        Task("BiRNN", 3, ("BiRNN",), check_BiRNN, "a bidirectional layer from two RNNs"),
        Task("reverse_padded", 2, ("reverse_padded",), check_reverse_padded, "reversing padded sequences"),
        Task("packed_rnn", 2, ("packed_rnn",), check_packed_rnn, "a padded batch through packing"),
        Task("last_valid_output", 1, ("last_valid_output",), check_last_valid_output,
             "the output at the last real step"),
        Task("bidirectional_summary", 2, ("bidirectional_summary",), check_bidirectional_summary,
             "the summary of a bidirectional layer"),
    ),
)
