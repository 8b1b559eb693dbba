"""Exercise 05 (a bidirectional layer and padded batches): the checks pass correct implementations, name
the typical mistakes, and the grader gives half-done work its partial score."""

from pathlib import Path

import exercise_variants
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_lib.grading.compare import CheckFailed, NotImplementedYet, StudentError
from course_lib.grading.exercises import ex05_bidirectional as ex05
from course_lib.grading.runner import grade_notebook

ROOT = Path(__file__).resolve().parents[2]
NAME = "05_bidirectional_and_packing"


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


class BiRNN(nn.Module):
    """A correct answer to task 1."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.forward_rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.backward_rnn = nn.RNN(input_size, hidden_size, batch_first=True)

    def forward(self, x):
        out_forward, h_forward = self.forward_rnn(x)
        out_backward, h_backward = self.backward_rnn(x.flip(1))
        return torch.cat([out_forward, out_backward.flip(1)], dim=2), torch.cat([h_forward, h_backward])


class ScratchBiRNN(BiRNN):
    """The same with the course's from-scratch layers (same parameter names)."""

    def __init__(self, input_size, hidden_size):
        nn.Module.__init__(self)
        import course_lib.torch as scratch

        self.forward_rnn = scratch.RNN(input_size, hidden_size, batch_first=True)
        self.backward_rnn = scratch.RNN(input_size, hidden_size, batch_first=True)


class NotFlippedBack(BiRNN):
    def forward(self, x):
        out_forward, h_forward = self.forward_rnn(x)
        out_backward, h_backward = self.backward_rnn(x.flip(1))
        return torch.cat([out_forward, out_backward], dim=2), torch.cat([h_forward, h_backward])


class InputNotFlipped(BiRNN):
    def forward(self, x):
        out_forward, h_forward = self.forward_rnn(x)
        out_backward, h_backward = self.backward_rnn(x)
        return torch.cat([out_forward, out_backward], dim=2), torch.cat([h_forward, h_backward])


class LastStepState(BiRNN):
    def forward(self, x):
        out, h_n = super().forward(x)
        H = h_n.shape[-1]
        return out, torch.stack([h_n[0], out[:, -1, H:]])


class Detached(BiRNN):
    def forward(self, x):
        out, h_n = super().forward(x)
        return out.detach(), h_n.detach()


class SharedWeights(BiRNN):
    def __init__(self, input_size, hidden_size):
        nn.Module.__init__(self)
        self.forward_rnn = self.backward_rnn = nn.RNN(input_size, hidden_size, batch_first=True)


def reverse_by_rows(x, lengths):
    """A correct reverse_padded with a loop over the rows."""
    rows = []
    for row, length in zip(x, lengths.tolist(), strict=True):
        rows.append(torch.cat([row[:length].flip(0), row[length:]]))
    return torch.stack(rows)


def reverse_in_place(x, lengths):
    for i, length in enumerate(lengths.tolist()):
        x.data[i, :length] = x.data[i, :length].flip(0).clone()
    return x


def packed_without_total_length(rnn, x, lengths):
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = rnn(packed)
    return pad_packed_sequence(out, batch_first=True)[0], h_n


def packed_sorted(rnn, x, lengths):
    out, h_n = rnn(pack_padded_sequence(x, lengths, batch_first=True))
    return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0], h_n


def summary_by_last_steps(out, lengths):
    return ex05.last_valid_output_reference(out, lengths)


@pytest.mark.slow
@pytest.mark.parametrize("repeat", range(3))
def test_checks_pass_correct_implementations(repeat):
    # Each run draws new sizes, lengths and values: a right answer must pass every time.
    ex05.check_BiRNN(BiRNN)
    ex05.check_BiRNN(ScratchBiRNN)
    ex05.check_reverse_padded(ex05.reverse_padded_reference)
    ex05.check_reverse_padded(reverse_by_rows)
    ex05.check_packed_rnn(ex05.packed_rnn_reference)
    ex05.check_last_valid_output(ex05.last_valid_output_reference)
    ex05.check_bidirectional_summary(ex05.bidirectional_summary_reference)


MISTAKES = {
    "not-flipped-back": (ex05.check_BiRNN, NotFlippedBack, "flip the backward layer's outputs back"),
    "input-not-flipped": (ex05.check_BiRNN, InputNotFlipped, "reads the sequence reversed: flip x first"),
    "h_n-from-last-step": (ex05.check_BiRNN, LastStepState, "finishes at t = 0"),
    "detached": (ex05.check_BiRNN, Detached, "no gradient flows back"),
    "shared-weights": (ex05.check_BiRNN, SharedWeights, "two RNN layers with their own weights"),
    "whole-row-flip": (ex05.check_reverse_padded, lambda x, lengths: x.flip(1), "the padding stays"),
    "no-packing": (ex05.check_packed_rnn, lambda rnn, x, lengths: rnn(x), "ran on over the padding"),
    "no-total-length": (ex05.check_packed_rnn, packed_without_total_length, "total_length="),
    "last-column": (ex05.check_last_valid_output, lambda out, lengths: out[:, -1], "step lengths[i] - 1"),
    "index-broadcast": (
        ex05.check_last_valid_output, lambda out, lengths: out[:, lengths - 1], "index rows and steps"
    ),
    "summary-from-last-steps": (ex05.check_bidirectional_summary, summary_by_last_steps, "finishes at t = 0"),
    "summary-last-column": (
        ex05.check_bidirectional_summary, lambda out, lengths: out[:, -1], "backward half has read one step"
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, answer, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        for _ in range(3):  # a mistake that small sizes can hide (T = 1, N = 1) must show within 3 runs
            check(answer)
    assert feedback in str(failure.value)


def test_feedback_names_the_case_the_tensor_and_the_position():
    with pytest.raises(CheckFailed) as failure:
        ex05.check_BiRNN(NotFlippedBack)
    text = str(failure.value)
    assert text.startswith("BiRNN(") and ")(x of shape (" in text
    assert "out: max error" in text and " at [" in text and "entries outside tolerance" in text


def test_unsorted_lengths_without_enforce_sorted_is_reported_as_the_students_error():
    with pytest.raises(StudentError, match="enforce_sorted"):
        ex05.check_packed_rnn(packed_sorted)


def test_an_input_changed_in_place_is_reported():
    with pytest.raises(StudentError, match="modified its input tensor in place"):
        ex05.check_reverse_padded(reverse_in_place)


def test_stub_is_reported_as_not_implemented():
    class Stub(nn.Module):
        def __init__(self, input_size, hidden_size):
            super().__init__()
            raise NotImplementedError("two layers")

    with pytest.raises(NotImplementedYet, match="hint: two layers"):
        ex05.check_BiRNN(Stub)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # BiRNN, reverse_padded and last_valid_output done; packed_rnn forgets to pack; the summary is a stub.
    unpacked = "def packed_rnn(rnn, x, lengths):\n    return rnn(x)\n"
    done = ["BiRNN", "reverse_padded", "last_valid_output"]
    report = grade_notebook(build_variant(tmp_path, fill=done, replace={"packed_rnn": unpacked}), timeout=60)
    assert (report.score, report.max_score) == (3 + 2 + 1, 10)
    assert {t.id for t in report.tasks if t.passed} == set(done)
    packed = report.task("packed_rnn")
    assert packed.verdict == "failed" and "ran on over the padding" in packed.feedback
    summary = report.task("bidirectional_summary")
    assert summary.verdict == "not implemented"
