"""Exercise 09 (teacher forcing, a masked loss, greedy and beam search): the references agree with the
course's Seq2Seq and with brute force, the checks pass correct implementations written differently, name
the typical mistakes, and the grader gives half-done work its partial score."""

import itertools
import math

import exercise_variants
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.grading.compare import CheckFailed, NotImplementedYet, StudentError
from course_lib.grading.exercises import ex09_encoder_decoder as ex09
from course_lib.grading.runner import grade_notebook
from course_lib.torch.models_seq2seq import Seq2Seq, Seq2SeqConfig

NAME = "09_encoder_decoder"
BOS, EOS, PAD = ex09.BOS, ex09.EOS, ex09.PAD


def build_variant(tmp_path, fill=(), replace=None):
    """The generated exercise with the solution of the tasks in `fill` and the sources in `replace`."""
    return exercise_variants.build_variant(tmp_path, NAME, fill, replace)


# Correct answers, written differently from the references.


def shift_by_rows(tgt, pad_id):
    """A correct shift_targets with a loop over the rows."""
    rows_in, rows_out = [], []
    for row in tgt.tolist():
        out = row[1:]
        rows_in.append([pad_id if o == pad_id else i for i, o in zip(row[:-1], out, strict=True)])
        rows_out.append(out)
    return torch.tensor(rows_in), torch.tensor(rows_out)


def cross_entropy_by_hand(logits, targets, pad_id):
    """A correct masked_cross_entropy: logsumexp minus the target's logit, averaged with a float mask."""
    token_loss = torch.logsumexp(logits, dim=-1) - logits.gather(2, targets.unsqueeze(2)).squeeze(2)
    mask = (targets != pad_id).to(logits.dtype)
    return (token_loss * mask).sum() / mask.sum()


def greedy_alive_rows(step, hidden, bos_id, eos_id, pad_id, max_len):
    """A correct greedy decoder that steps only the sequences that have not finished."""
    N = hidden.shape[0]
    outputs, log_prob = [[] for _ in range(N)], torch.zeros(N, dtype=torch.float64)
    alive, token = list(range(N)), torch.full((N,), bos_id)
    for _ in range(max_len):
        log_probs, hidden = step(token, hidden)
        best = log_probs.argmax(dim=1)
        for j, i in enumerate(alive):
            outputs[i].append(int(best[j]))
            log_prob[i] += log_probs[j, best[j]]
        keep = best != eos_id
        alive = [i for i, k in zip(alive, keep.tolist(), strict=True) if k]
        token, hidden = best[keep], hidden[keep]
        if not alive:
            break
    tokens = torch.full((N, max(len(o) for o in outputs)), pad_id)
    for i, row in enumerate(outputs):
        tokens[i, : len(row)] = torch.tensor(row)
    return tokens, log_prob


def beam_step_by_sorting(scores, log_probs, beam_size):
    """A correct beam_step: sort every finite candidate."""
    V = log_probs.shape[1]
    total = (scores[:, None] + log_probs).flatten()
    finite = torch.isfinite(total).nonzero().flatten()
    order = finite[torch.argsort(total[finite], descending=True)][:beam_size]
    return total[order], order // V, order % V


def beam_of_lists(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty=0.0,
                  reorder=True, drop_finished=True, stop=True, normalise=True):
    """Beam search on Python lists of (tokens, score); correct with the defaults, a typical slip otherwise."""
    beams, last, finished = [([], 0.0)], torch.tensor([bos_id]), []
    for t in range(1, max_len + 1):
        log_probs, hidden = step(last, hidden)
        candidates = [(score + float(log_probs[b, v]), b, v) for b, (_, score) in enumerate(beams)
                      for v in range(log_probs.shape[1]) if math.isfinite(log_probs[b, v])]
        candidates = sorted(candidates, key=lambda c: -c[0])[:beam_size]
        rows = [b for _, b, _ in candidates] if reorder else [i % len(beams) for i in range(len(candidates))]
        hidden = hidden[rows]
        beams = [(beams[b][0] + [v], score) for score, b, v in candidates]
        finished += [(seq, score, t) for seq, score in beams if seq[-1] == eos_id]
        keep = [i for i, (seq, _) in enumerate(beams) if seq[-1] != eos_id or not drop_finished]
        beams, hidden = [beams[i] for i in keep], hidden[keep]
        last = torch.tensor([seq[-1] for seq, _ in beams], dtype=torch.int64)
        if (stop and len(finished) >= beam_size) or not beams:
            break
    else:
        finished += [(seq, score, max_len) for seq, score in beams]
    alpha = length_penalty if normalise else 0.0
    tokens, score, _ = max(finished, key=lambda f: f[1] / f[2] ** alpha)
    return tokens, score


@pytest.mark.slow
@pytest.mark.parametrize("repeat", range(3))
def test_checks_pass_correct_implementations(repeat):
    # Each run draws new sizes, decoders and sources: a right answer must pass every time.
    ex09.check_shift_targets(ex09.shift_targets_reference)
    ex09.check_shift_targets(shift_by_rows)
    ex09.check_masked_cross_entropy(ex09.masked_cross_entropy_reference)
    ex09.check_masked_cross_entropy(cross_entropy_by_hand)
    ex09.check_greedy_decode(ex09.greedy_decode_reference)
    ex09.check_greedy_decode(greedy_alive_rows)
    ex09.check_beam_step(ex09.beam_step_reference)
    ex09.check_beam_step(beam_step_by_sorting)
    ex09.check_beam_search(ex09.beam_search_reference)
    ex09.check_beam_search(beam_of_lists)


def _seq2seq_step(model):
    """The step interface for a Seq2Seq decoder, masking pad and bos as Seq2Seq does."""

    def step(token, hidden):
        with torch.no_grad():
            logits, hidden = model.decode(token[:, None], hidden[None])
        log_probs = logits[:, 0].log_softmax(dim=-1)
        log_probs[:, [PAD, BOS]] = float("-inf")
        return log_probs, hidden[0]

    return step


@pytest.mark.slow
def test_references_decode_as_seq2seq_does():
    # The exercise's semantics are the library's: same tokens and scores as greedy_decode and beam_search.
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(7, 8, embed_dim=5, hidden_size=6, impl="torch")).double().eval()
    src = torch.randint(3, 7, (12, 5))
    hidden, step = model.encode(src)[0], _seq2seq_step(model)
    library = model.greedy_decode(src, max_len=9)
    tokens, log_prob = ex09.greedy_decode_reference(step, hidden, BOS, EOS, PAD, 9)
    assert torch.equal(tokens, library.tokens)
    torch.testing.assert_close(log_prob, library.log_prob)
    for beam_size, penalty in itertools.product((1, 2, 3, 5), (0.0, 0.7, 1.0)):
        library = model.beam_search(src, beam_size=beam_size, max_len=7, length_penalty=penalty)
        for i in range(len(src)):
            source = hidden[i : i + 1]
            tokens, log_prob = ex09.beam_search_reference(step, source, BOS, EOS, beam_size, 7, penalty)
            assert tokens == library.tokens[i, : library.lengths[i]].tolist(), (beam_size, penalty, i)
            assert log_prob == pytest.approx(library.log_prob[i].item(), rel=1e-12)


def brute_force(step, hidden, max_len, penalty):
    """Every output scored on its own with itertools and teacher forcing: (tokens, log_prob) of the best."""
    log_probs, _ = step(torch.tensor([BOS]), hidden)
    allowed = [v for v in range(log_probs.shape[1]) if math.isfinite(log_probs[0, v]) and v != EOS]
    outputs = [(*body, EOS) for n in range(max_len) for body in itertools.product(allowed, repeat=n)]
    outputs += list(itertools.product(allowed, repeat=max_len))

    def score(tokens):
        total, state = 0.0, hidden
        for fed, token in zip((BOS, *tokens[:-1]), tokens, strict=True):
            log_probs, state = step(torch.tensor([fed]), state)
            total += float(log_probs[0, token])
        return total

    best = max(outputs, key=lambda y: score(y) / len(y) ** penalty)
    return list(best), score(best)


@pytest.mark.slow
@pytest.mark.parametrize("penalty", [0.0, 1.0])
def test_exhaustive_search_and_a_wide_beam_find_the_brute_force_optimum(penalty):
    rng = np.random.default_rng(7)
    for _ in range(10):
        step, hidden = ex09.toy_decoder(rng, 6, 4, rng.normal()), ex09.random_hidden(rng, 1, 4)
        tokens, log_prob = brute_force(step, hidden, 4, penalty)
        wide = ex09.EXHAUSTIVE_BEAM
        for found, found_lp in (ex09.exhaustive_search(step, hidden, BOS, EOS, 4, penalty),
                                ex09.beam_search_reference(step, hidden, BOS, EOS, wide, 4, penalty)):
            assert found == tokens and found_lp == pytest.approx(log_prob, rel=1e-12)


def test_greedy_cases_hold_early_stops_mixed_endings_and_no_endings():
    # The mistakes about stopping show only where outputs end at different steps before max_len.
    rng, seen = np.random.default_rng(0), {"early": 0, "mixed": 0, "none": 0}
    for _ in range(100):
        for text, V, H, eos_bias, N, max_len in ex09._greedy_cases(rng):
            step, hidden = ex09._greedy_problem(rng, V, H, eos_bias, N, max_len, text)
            tokens, _ = ex09.greedy_decode_reference(step, hidden, BOS, EOS, PAD, max_len)
            ends = (tokens == EOS).int().argmax(dim=1)[(tokens == EOS).any(dim=1)]
            seen["early"] += text.startswith("eos likely") and tokens.shape[1] < max_len
            seen["mixed"] += text.startswith("eos likely") and len(set(ends.tolist())) > 1
            seen["none"] += text.startswith("eos unlikely") and len(ends) == 0
    assert seen["early"] == seen["mixed"] == seen["none"] == 100, seen


def loss_over_all_positions(logits, targets, pad_id):
    return F.cross_entropy(logits.transpose(1, 2), targets)


def loss_mean_of_rows(logits, targets, pad_id):
    token_loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    mask = (targets != pad_id).to(logits.dtype)
    return ((token_loss * mask).sum(1) / mask.sum(1).clamp(min=1)).mean()


def loss_through_exp(logits, targets, pad_id):
    probs = logits.exp() / logits.exp().sum(-1, keepdim=True)
    picked = torch.log(probs.gather(2, targets.unsqueeze(2)).squeeze(2))
    return -picked[targets != pad_id].mean()


def shift_in_place(tgt, pad_id):
    tgt[tgt == EOS] = pad_id
    return tgt[:, :-1], tgt[:, 1:]


def greedy_run_on(step, hidden, bos_id, eos_id, pad_id, max_len):
    """Stops when every sequence has emitted eos, but never pads after it."""
    token, columns, log_prob = torch.full((hidden.shape[0],), bos_id), [], 0.0
    done = torch.zeros(hidden.shape[0], dtype=torch.bool)
    for _ in range(max_len):
        log_probs, hidden = step(token, hidden)
        token = log_probs.argmax(1)
        log_prob = log_prob + log_probs.gather(1, token[:, None])[:, 0]
        columns.append(token)
        done |= token == eos_id
        if done.all():
            break
    return torch.stack(columns, 1), log_prob


def greedy_to_max_len(step, hidden, bos_id, eos_id, pad_id, max_len):
    """Right tokens and scores, but always max_len columns."""
    tokens, log_prob = greedy_alive_rows(step, hidden, bos_id, eos_id, pad_id, max_len)
    padding = torch.full((len(tokens), max_len - tokens.shape[1]), pad_id)
    return torch.cat([tokens, padding], dim=1), log_prob


def greedy_stateless(step, hidden, bos_id, eos_id, pad_id, max_len):
    """Feeds the encoder's summaries at every step, never the decoder's new state."""
    token, columns, log_prob = torch.full((hidden.shape[0],), bos_id), [], 0.0
    done = torch.zeros(hidden.shape[0], dtype=torch.bool)
    for _ in range(max_len):
        log_probs, _ = step(token, hidden)
        token = log_probs.argmax(1)
        log_prob = log_prob + torch.where(done, 0.0, log_probs.gather(1, token[:, None])[:, 0])
        columns.append(torch.where(done, pad_id, token))
        done = done | (token == eos_id)
        if done.all():
            break
    return torch.stack(columns, 1), log_prob


def greedy_float32(step, hidden, bos_id, eos_id, pad_id, max_len):
    tokens, log_prob = greedy_alive_rows(step, hidden, bos_id, eos_id, pad_id, max_len)
    return tokens, log_prob.float()


def beam_without_scores(scores, log_probs, beam_size):
    return ex09.beam_step_reference(torch.zeros_like(scores), log_probs, beam_size)


def beam_flat_index_swapped(scores, log_probs, beam_size):
    new_scores, beam, token = ex09.beam_step_reference(scores, log_probs, beam_size)
    return new_scores, token, beam


def beam_keeps_minus_inf(scores, log_probs, beam_size):
    V = log_probs.shape[1]
    new_scores, flat = (scores[:, None] + log_probs).flatten().topk(beam_size)
    return new_scores, flat // V, flat % V


def beam_never_expanding_hidden(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty=0.0):
    """Forgets the hidden states entirely: the step sees one state for several tokens."""
    beams, last = [([], 0.0)], torch.tensor([bos_id])
    for _ in range(max_len):
        log_probs, _ = step(last, hidden)
        scores = torch.tensor([s for _, s in beams], dtype=torch.float64)
        new_scores, beam, token = ex09.beam_step_reference(scores, log_probs, beam_size)
        picked = zip(new_scores.tolist(), beam.tolist(), token.tolist(), strict=True)
        beams = [(beams[b][0] + [v], s) for s, b, v in picked]
        last = token
    return beams[0]


def _with(**slip):
    def beam(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty=0.0):
        return beam_of_lists(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty, **slip)

    return beam


def beam_log_prob_grows_after_eos(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty=0.0):
    """The right tokens, with log-probabilities added after eos (a finished hypothesis kept extending)."""
    args = (step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty)
    tokens, log_prob = ex09.beam_search_reference(*args)
    return tokens, log_prob - 0.5 * (max_len - len(tokens) + 1)


MISTAKES = {
    "beam-log-prob-grows-after-eos": (
        ex09.check_beam_search, beam_log_prob_grows_after_eos, "kept growing after eos"
    ),
    "shift-keeps-eos-in-input": (
        ex09.check_shift_targets, lambda tgt, pad_id: (tgt[:, :-1], tgt[:, 1:]), "is never fed"
    ),
    "shift-swapped": (
        ex09.check_shift_targets, lambda tgt, pad_id: (tgt[:, 1:], tgt[:, :-1]), "what the decoder reads"
    ),
    "shift-not-shifted": (
        ex09.check_shift_targets, lambda tgt, pad_id: (tgt[:, :-1], tgt[:, :-1]), "what the decoder reads"
    ),
    "shift-in-place": (ex09.check_shift_targets, shift_in_place, "modified its input tensor in place"),
    "loss-counts-padding": (
        ex09.check_masked_cross_entropy, loss_over_all_positions, "a padded position adds nothing"
    ),
    "loss-sum": (
        ex09.check_masked_cross_entropy,
        lambda logits, targets, pad_id: F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad_id,
                                                        reduction="sum"),
        "not their sum",
    ),
    "loss-mean-of-rows": (ex09.check_masked_cross_entropy, loss_mean_of_rows, "not the mean of the per-row"),
    "loss-overflows": (ex09.check_masked_cross_entropy, loss_through_exp, "exp(1000) overflows"),
    "loss-pad-is-zero": (
        ex09.check_masked_cross_entropy,
        lambda logits, targets, pad_id: F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=0),
        "pad_id=3",
    ),
    "loss-detached": (
        ex09.check_masked_cross_entropy,
        lambda logits, targets, pad_id: loss_over_all_positions(logits, targets, pad_id).item(),
        "expected a torch.Tensor",
    ),
    "greedy-no-pad-after-eos": (ex09.check_greedy_decode, greedy_run_on, "pad_id from then on"),
    "greedy-runs-to-max-len": (ex09.check_greedy_decode, greedy_to_max_len, "stop as soon as every sequence"),
    "greedy-stateless": (ex09.check_greedy_decode, greedy_stateless, "feed the hidden state"),
    "greedy-float32-sum": (ex09.check_greedy_decode, greedy_float32, "sum in the dtype"),
    "beam-step-without-scores": (ex09.check_beam_step, beam_without_scores, "plus the token's log-prob"),
    "beam-step-flat-index": (ex09.check_beam_step, beam_flat_index_swapped, "beam = f // V"),
    "beam-step-keeps-minus-inf": (ex09.check_beam_step, beam_keeps_minus_inf, "never keep a candidate"),
    "beam-no-reorder": (ex09.check_beam_search, _with(reorder=False), "reorder the hidden states"),
    "beam-hidden-not-expanded": (ex09.check_beam_search, beam_never_expanding_hidden, "hidden[beam]"),
    "beam-keeps-finished": (ex09.check_beam_search, _with(drop_finished=False), "it leaves the beam"),
    "beam-no-stopping-rule": (ex09.check_beam_search, _with(stop=False), "stop once beam_size hypotheses"),
    "beam-ignores-length-penalty": (ex09.check_beam_search, _with(normalise=False), "** length_penalty"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_checks_name_typical_mistakes(mistake):
    check, answer, feedback = MISTAKES[mistake]
    with pytest.raises(CheckFailed) as failure:
        for _ in range(3):  # a mistake that one draw can hide must show within 3 runs
            check(answer)
    assert feedback in str(failure.value)


def test_feedback_shows_the_expected_and_the_found_output():
    with pytest.raises(CheckFailed) as failure:
        for _ in range(3):
            ex09.check_beam_search(_with(drop_finished=False))
    text = str(failure.value)
    assert text.startswith("beam_search(toy decoder V=") and "expected [" in text and ", got [" in text


def test_a_step_called_with_the_wrong_shapes_says_how_to_call_it():
    def layers_first(step, hidden, bos_id, eos_id, pad_id, max_len):
        return step(torch.full((hidden.shape[0],), bos_id), hidden[None])

    with pytest.raises(StudentError, match=r"step\(token \(B,\) int64 tensor .* hidden has shape"):
        ex09.check_greedy_decode(layers_first)


def test_stubs_are_reported_as_not_implemented():
    def stub(*args, **kwargs):
        raise NotImplementedError("loop over the steps")

    for check in (ex09.check_shift_targets, ex09.check_masked_cross_entropy, ex09.check_greedy_decode,
                  ex09.check_beam_step, ex09.check_beam_search):
        with pytest.raises(NotImplementedYet, match="hint: loop over the steps"):
            check(stub)


@pytest.mark.slow
def test_half_done_exercise_gets_partial_credit(tmp_path):
    # The training pieces and beam_step done; greedy runs to max_len; beam search is still a stub.
    to_max_len = (
        "def greedy_decode(step, hidden, bos_id, eos_id, pad_id, max_len):\n"
        "    token, columns, log_prob = torch.full((len(hidden),), bos_id), [], 0.0\n"
        "    done = torch.zeros(len(hidden), dtype=torch.bool)\n"
        "    for _ in range(max_len):\n"
        "        log_probs, hidden = step(token, hidden)\n"
        "        token = log_probs.argmax(1)\n"
        "        log_prob = log_prob + torch.where(done, 0.0, log_probs.gather(1, token[:, None])[:, 0])\n"
        "        columns.append(torch.where(done, pad_id, token))\n"
        "        done = done | (token == eos_id)\n"
        "    return torch.stack(columns, 1), log_prob\n"
    )
    done = ["shift_targets", "masked_cross_entropy", "beam_step"]
    path = build_variant(tmp_path, fill=done, replace={"greedy_decode": to_max_len})
    report = grade_notebook(path, timeout=60)
    assert (report.score, report.max_score) == (2 + 2 + 1, 10)
    assert {t.id for t in report.tasks if t.passed} == set(done)
    greedy = report.task("greedy_decode")
    assert greedy.verdict == "failed" and "stop as soon as every sequence" in greedy.feedback
    assert report.task("beam_search").verdict == "not implemented"
