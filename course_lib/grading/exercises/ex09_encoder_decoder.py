"""Exercise 09, an encoder–decoder's training targets, loss and decoders: tasks, references, checks.

Notebook: solutions/09_encoder_decoder.ipynb (exercises/ is generated from it). References:
torch.nn.functional.cross_entropy(ignore_index=pad_id) for the loss (train.seq2seq_step's loss), and
decoders with the semantics of course_lib.torch.models_seq2seq.Seq2Seq: greedy_decode (stops at eos per
sequence, pad after it, early exit once all are done) and beam_search (one source; finished hypotheses
leave the beam; stop once beam_size have finished; rank finished ones by log_prob / length **
length_penalty; beam_size 1 is greedy). The notebook checks its decoders against Seq2Seq's on a trained
model; here they are graded on random toy decoders (float64, so no ties), against the references, and
the beam search with a very wide beam against exhaustive search over every output.

A decoder is given as a step function, step(token (B,) int64, hidden (B, H)) -> (log_probs (B, V),
hidden (B, H)), whose log-probabilities are -inf for the tokens never emitted (bos and pad).

torch is imported inside the functions only: every grading process imports this module.
"""

import numpy as np

from course_lib.check.tolerances import forward_tol, gradient_tol
from course_lib.grading.compare import (
    CheckFailed,
    StudentError,
    check_rng,
    describe,
    fail_if,
    hinted,
    raised,
    report,
    type_name,
    unpack,
)
from course_lib.grading.compare_torch import backward_through, grad_mismatch, invoke, tensor_mismatch
from course_lib.grading.registry import Exercise, Task

PAD, BOS, EOS = 0, 1, 2  # Seq2SeqConfig's default ids, and course_lib.text.Vocab's with bos and eos
GREEDY_MISTAKES = ("no_stop", "run_on", "stateless")  # typical slips, reproduced for the feedback's hints
EXHAUSTIVE_BEAM = 10_000  # a beam wider than every hypothesis of the exhaustive cases: exact search


def shift_targets_reference(tgt, pad_id):
    """Decoder inputs and outputs for teacher forcing from rows <bos> y_1 .. y_n <eos> <pad> ...

    dec_out = tgt[:, 1:] (what each step must predict); dec_in = tgt[:, :-1] (what it is fed), except
    that dec_in is pad_id wherever dec_out is: the eos of a shorter row is never fed to the decoder.

    Args:
        tgt: (N, T) int64, post-padded. pad_id: the padding id.
    Returns:
        dec_in, dec_out: (N, T - 1) int64, new tensors.
    """
    dec_out = tgt[:, 1:].clone()  # (N, T-1)
    dec_in = tgt[:, :-1].masked_fill(dec_out == pad_id, pad_id)  # (N, T-1)
    return dec_in, dec_out


def masked_cross_entropy_reference(logits, targets, pad_id):
    """Mean of -log softmax(logits)[target] over the positions whose target is not pad_id: a 0-d tensor.

    Args:
        logits: (N, T, V) float. targets: (N, T) int64 with at least one id other than pad_id.
    """
    import torch.nn.functional as F

    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad_id)


def greedy_decode_reference(step, hidden, bos_id, eos_id, pad_id, max_len):
    """Feed back the most likely token until every sequence has emitted eos, or for max_len steps.

    Args:
        step: the decoder (module docstring). hidden: (N, H), the encoder's summaries. max_len: >= 1.
    Returns:
        tokens: (N, L) int64, L <= max_len, eos included, pad_id after it.
        log_prob: (N,) the sum of the log-probabilities of each sequence's tokens (eos included).
    """
    return _greedy(step, hidden, bos_id, eos_id, pad_id, max_len)


def beam_step_reference(scores, log_probs, beam_size):
    """The best candidates (beam b extended by token v, score scores[b] + log_probs[b, v]) of all B × V.

    Args:
        scores: (B,) float, each beam's summed log-probability. log_probs: (B, V). beam_size: >= 1.
    Returns:
        new_scores (k,) float, sorted from best, beam (k,) int64, token (k,) int64, where
        k = min(beam_size, number of finite candidates): a candidate of score -inf is never kept.
    """
    import torch

    total = (scores[:, None] + log_probs).reshape(-1)  # (B*V,), flat index b * V + v
    k = min(beam_size, int(torch.isfinite(total).sum()))
    new_scores, flat = total.topk(k)  # (k,), sorted from best
    V = log_probs.shape[1]
    return new_scores, flat // V, flat % V


def beam_search_reference(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty=0.0):
    """Beam search for one source, as Seq2Seq.beam_search: (tokens, log_prob) of the best output.

    Args:
        hidden: (1, H). beam_size, max_len: >= 1. length_penalty: finished hypotheses are ranked by
            log_prob / length ** length_penalty (length counts eos; survivors at max_len count max_len).
    Returns:
        tokens: list of int, eos included when the output has one. log_prob: float, its raw sum.
    """
    return _beam(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty)


def exhaustive_search(step, hidden, bos_id, eos_id, max_len, length_penalty=0.0):
    """The best output of all: every sequence ended by eos within max_len tokens, or max_len tokens without.

    Grows the whole tree of prefixes, one level per step (no pruning, no stopping rule): exponential in
    max_len, for toy decoders only. Ranks outputs by log_prob / length ** length_penalty.
    Returns (tokens list of int, log_prob float).
    """
    import torch

    seqs, scores, last = [[]], torch.zeros(1, dtype=torch.float64), torch.tensor([bos_id])
    outputs = []  # (ranking score, log_prob, tokens)
    for t in range(1, max_len + 1):
        log_probs, hidden = step(last, hidden)  # (B, V)
        total = scores.to(log_probs.dtype)[:, None] + log_probs  # (B, V)
        beam, token = torch.nonzero(torch.isfinite(total), as_tuple=True)  # every possible extension
        seqs = [seqs[b] + [v] for b, v in zip(beam.tolist(), token.tolist(), strict=True)]
        scores, ends = total[beam, token], ((token == eos_id) | (t == max_len)).tolist()
        outputs += [(s / t**length_penalty, s, q)
                    for s, q, e in zip(scores.tolist(), seqs, ends, strict=True) if e]
        keep = torch.tensor([not e for e in ends], dtype=torch.bool)
        seqs, scores = [q for q, e in zip(seqs, ends, strict=True) if not e], scores[keep]
        last, hidden = token[keep], hidden[beam[keep]]
    _, log_prob, tokens = max(outputs, key=lambda output: output[0])
    return tokens, log_prob


def _greedy(step, hidden, bos_id, eos_id, pad_id, max_len, mistake=None):
    """greedy_decode, or one typical mistake in it: "no_stop", "run_on", "stateless"."""
    import torch

    N = hidden.shape[0]
    token = torch.full((N,), bos_id, dtype=torch.int64)
    done = torch.zeros(N, dtype=torch.bool)
    log_prob, steps, first = None, [], hidden
    for _ in range(max_len):
        log_probs, hidden = step(token, first if mistake == "stateless" else hidden)  # (N, V)
        token = log_probs.argmax(dim=1)  # (N,)
        step_lp = log_probs.gather(1, token[:, None])[:, 0]  # (N,)
        if log_prob is None:
            log_prob = torch.zeros_like(step_lp)
        finished = done if mistake != "run_on" else torch.zeros_like(done)
        log_prob = log_prob + step_lp.masked_fill(finished, 0.0)
        steps.append(token.masked_fill(finished, pad_id))
        done = done | (token == eos_id)
        if bool(done.all()) and mistake != "no_stop":
            break
    return torch.stack(steps, dim=1), log_prob


def _beam(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty, mistake=None):
    """beam_search, or one typical mistake: "no_reorder", "keep_finished", "no_stop", "raw_score"."""
    import torch

    seqs, scores = [[]], torch.zeros(1, dtype=torch.float64)
    last = torch.tensor([bos_id])
    finished = []  # (ranking score, log_prob, tokens)
    penalty = 0.0 if mistake == "raw_score" else length_penalty
    for t in range(1, max_len + 1):
        log_probs, hidden = step(last, hidden)  # (B, V)
        scores, beam, last = beam_step_reference(scores.to(log_probs.dtype), log_probs, beam_size)
        seqs = [seqs[b] + [v] for b, v in zip(beam.tolist(), last.tolist(), strict=True)]
        slots = torch.arange(len(beam)) % hidden.shape[0]  # the mistake: state i stays in slot i
        hidden = hidden[beam if mistake != "no_reorder" else slots]
        ended = (last == eos_id).tolist()
        finished += [(float(s) / t**penalty, float(s), q)
                     for s, q, e in zip(scores, seqs, ended, strict=True) if e]
        if mistake != "keep_finished":
            alive = [i for i, e in enumerate(ended) if not e]
            seqs, scores, last = [seqs[i] for i in alive], scores[alive], last[alive]
            hidden = hidden[alive]
        if (len(finished) >= beam_size and mistake != "no_stop") or not seqs:
            break
    else:
        finished += [(float(s) / max_len**penalty, float(s), q) for s, q in zip(scores, seqs, strict=True)]
    _, log_prob, tokens = max(finished, key=lambda f: f[0])
    return tokens, log_prob


def toy_decoder(rng, V, H, eos_bias=0.0, bos_id=BOS, eos_id=EOS, pad_id=PAD):
    """A random float64 decoder: step(token (B,), hidden (B, H)) -> (log_probs (B, V), hidden (B, H)).

    g = tanh(E[token] + hidden W + b),  log_probs = log_softmax(g U + c), bos and pad set to -inf.
    c holds eos_bias at eos_id: positive ends outputs sooner, negative later.
    """
    import torch

    def draw(scale, *shape):
        return torch.from_numpy(rng.normal(0.0, scale, size=shape))

    E, W, b, U = draw(1.0, V, H), draw(1.5 / np.sqrt(H), H, H), draw(0.3, H), draw(3.0 / np.sqrt(H), H, V)
    c = torch.zeros(V, dtype=torch.float64)
    c[eos_id] = eos_bias
    banned = torch.tensor([bos_id, pad_id])

    def step(token, hidden):
        _check_step_inputs(token, hidden, V, H)
        g = torch.tanh(E[token] + hidden @ W + b)  # (B, H)
        log_probs = torch.log_softmax(g @ U + c, dim=1)  # (B, V)
        return log_probs.index_fill(1, banned, float("-inf")), g

    return step


def _check_step_inputs(token, hidden, V, H):
    """Raise a ValueError that tells a student how step is called, if it is called wrongly."""
    import torch

    usage = f"step(token (B,) int64 tensor of ids in [0, {V}), hidden (B, {H}) float64 tensor)"
    if not isinstance(token, torch.Tensor) or token.dim() != 1 or token.dtype != torch.int64:
        got = f"{type_name(token)} {describe(token)}" if not isinstance(token, torch.Tensor) else (
            f"a {token.dtype} tensor of shape {tuple(token.shape)}")
        raise ValueError(f"{usage}: token is {got}")
    if not isinstance(hidden, torch.Tensor) or tuple(hidden.shape) != (len(token), H):
        got = tuple(hidden.shape) if isinstance(hidden, torch.Tensor) else type_name(hidden)
        raise ValueError(f"{usage}: hidden has shape {got}, token has {len(token)} entries")
    if len(token) and (token.min() < 0 or token.max() >= V):
        raise ValueError(f"{usage}: token ids {token.tolist()} outside [0, {V})")


def random_hidden(rng, N, H):
    """(N, H) float64 encoder summaries for a toy decoder."""
    import torch

    return torch.from_numpy(rng.normal(0.0, 1.0, size=(N, H)))


def _targets(rng, N, T, V, pad_id, full=False):
    """(N, T) int64 rows <bos> y <eos> <pad>...: random lengths in [0, T - 2], the first row full length,
    the second one shorter (N >= 3), unless `full`: then every row is full length."""
    import torch

    real = [t for t in range(V) if t not in (pad_id, BOS, EOS)]
    lengths = np.full(N, T - 2) if full else rng.integers(0, T - 1, size=N)
    lengths[0] = T - 2
    if not full and N >= 3 and T > 2:
        lengths[1] = rng.integers(0, T - 2)  # a shorter row, so that the batch has padding
    rows = np.full((N, T), pad_id, dtype=np.int64)
    for i, n in enumerate(lengths):
        rows[i, : n + 2] = [BOS, *rng.choice(real, size=n), EOS]
    return torch.from_numpy(rows)


def check_shift_targets(shift_targets):
    """shift_targets(tgt, pad_id) -> (dec_in, dec_out) (N, T - 1) int64, padding where dec_out pads."""
    rng = check_rng("ex09_encoder_decoder.check_shift_targets")
    N, T, V = int(rng.integers(3, 6)), int(rng.integers(4, 8)), int(rng.integers(6, 12))
    cases = [
        ("rows of different lengths", _targets(rng, N, T, V, PAD), PAD),
        ("one row", _targets(rng, 1, T, V, PAD), PAD),
        ("rows of equal length (no padding)", _targets(rng, N, T, V, PAD, full=True), PAD),
        ("empty outputs <bos> <eos>", _targets(rng, N, 2, V, PAD), PAD),
        ("padding id 3", _targets(rng, N, T, V, 3), 3),
    ]
    for text, tgt, pad_id in cases:
        shown = f"shift_targets(tgt of shape {tuple(tgt.shape)}, {text}, pad_id={pad_id})"
        result = invoke("shift_targets", shown, shift_targets, tgt, pad_id)
        dec_in, dec_out = unpack("shift_targets", result, ("dec_in", "dec_out"))
        ref_in, ref_out = shift_targets_reference(tgt, pad_id)
        eos_fed = "where dec_out is padding dec_in must be padding too: the eos of a shorter row is never fed"
        swapped = "dec_in = tgt[:, :-1] is what the decoder reads, dec_out = tgt[:, 1:] what it predicts"
        in_hints = [(tgt[:, :-1], eos_fed), (ref_out, swapped)]
        out_hints = [(ref_in, swapped), (tgt[:, :-1], swapped)]
        report(shown, tensor_mismatch("dec_in", dec_in, ref_in, None, in_hints),
               tensor_mismatch("dec_out", dec_out, ref_out, None, out_hints))


def _loss_cases(rng):
    """(text, logits values, targets, pad_id, dtype name): padding, an all-padding row, large logits."""
    import torch

    N, T, V = int(rng.integers(3, 6)), int(rng.integers(3, 7)), int(rng.integers(5, 10))
    targets = _targets(rng, N, T + 1, V, PAD)[:, 1:]  # (N, T) decoder outputs
    all_pad = targets.clone()
    all_pad[-1] = PAD  # a row with no real token: it adds nothing
    one = torch.tensor([[int(rng.integers(3, V))]])
    pad3 = _targets(rng, N, T + 1, V, 3)[:, 1:]
    return [
        ("padded rows", rng.standard_normal((N, T, V)), targets, PAD, "float64"),
        ("a row of padding only", rng.standard_normal((N, T, V)), all_pad, PAD, "float64"),
        ("one token", rng.standard_normal((1, 1, V)), one, PAD, "float64"),
        ("pad_id 3", rng.standard_normal((N, T, V)), pad3, 3, "float64"),
        ("float32", rng.standard_normal((N, T, V)), targets, PAD, "float32"),
        ("logits of size 1000", 1000 * rng.standard_normal((N, T, V)), targets, PAD, "float64"),
    ]


def _loss_hints(logits, targets, pad_id):
    """(wrong loss, hint) of typical mistakes."""
    import torch.nn.functional as F

    token_loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (N, T)
    real = (targets != pad_id).to(logits.dtype)  # (N, T)
    row_means = (token_loss * real).sum(1) / real.sum(1).clamp(min=1)  # (N,)
    return [
        (token_loss.mean(), "average over the real tokens only: a padded position adds nothing to the sum "
                            "and nothing to the count"),
        ((token_loss * real).mean(), "divide by the number of real tokens, not by N * T"),
        ((token_loss * real).sum(), "the mean over the real tokens, not their sum"),
        (row_means.mean(), "every real token counts once: not the mean of the per-row means"),
    ]


def check_masked_cross_entropy(masked_cross_entropy):
    """masked_cross_entropy(logits, targets, pad_id) -> 0-d tensor, F.cross_entropy(ignore_index=pad_id)."""
    import torch

    rng = check_rng("ex09_encoder_decoder.check_masked_cross_entropy")
    for text, values, targets, pad_id, dtype_name in _loss_cases(rng):
        dtype = getattr(torch, dtype_name)
        logits = torch.tensor(values, dtype=dtype, requires_grad=True)
        reference = torch.tensor(values, dtype=dtype, requires_grad=True)
        shown = (f"masked_cross_entropy(logits of shape {tuple(logits.shape)}, {dtype_name}, {text}, "
                 f"pad_id={pad_id})")
        loss = invoke("masked_cross_entropy", shown, masked_cross_entropy, logits, targets, pad_id)
        expected = masked_cross_entropy_reference(reference, targets, pad_id)
        hints = _loss_hints(reference.detach(), targets, pad_id)
        message = tensor_mismatch("loss", loss, expected.detach(), None, hints)
        if message and isinstance(loss, torch.Tensor) and not torch.isfinite(loss).all():
            message = hinted(message.body, "take log_softmax (or subtract each row's maximum before exp): "
                                           "exp(1000) overflows")
        fail_if(shown, message)
        backward_through([loss], [torch.ones((), dtype=dtype)], "the loss")
        expected.backward()
        tol = gradient_tol(dtype_name)
        fail_if(f"{shown}, gradients", grad_mismatch("logits", logits, reference.grad, tol))


def _greedy_cases(rng):
    """(text, V, H, eos_bias, N, max_len): mixed endings, all ending early, none ending, edge sizes."""
    V, H = int(rng.integers(6, 10)), int(rng.integers(3, 7))
    return [
        ("a batch of 6", V, H, 0.5, 6, 8),
        ("eos likely: all end early, at different steps", V, H, 2.0, 5, 12),
        ("eos unlikely: none ends", V, H, -6.0, 4, 4),
        ("one source", V, H, 0.5, 1, 6),
        ("max_len 1", V, H, 0.5, 4, 1),
    ]


def _greedy_problem(rng, V, H, eos_bias, N, max_len, text):
    """(step, hidden) of a toy decoder, redrawn (a few times at most) until greedy search shows what the
    case is about: "eos likely" cases end every output before max_len, at two or more different steps (so
    that the stopping rules show); "eos unlikely" cases end none."""
    for _ in range(50):
        step, hidden = toy_decoder(rng, V, H, eos_bias), random_hidden(rng, N, H)
        tokens, _ = greedy_decode_reference(step, hidden, BOS, EOS, PAD, max_len)
        ended = (tokens == EOS).any(dim=1)  # (N,)
        ends = (tokens == EOS).int().argmax(dim=1)  # (N,) the step of each eos (0 where none)
        if text.startswith("eos likely") and not (bool(ended.all()) and len(set(ends.tolist())) > 1):
            continue
        if text.startswith("eos unlikely") and bool(ended.any()):
            continue
        break
    return step, hidden


AFTER_EOS = "after its eos a sequence is finished: pad_id from then on, and nothing more added to log_prob"
STOP_EARLY = "stop as soon as every sequence has emitted eos: tokens has as many columns as steps needed"
STATELESS = "feed the hidden state that step returns into the next step"


def _decoded(name, result):
    """The student's (tokens, log_prob), checked to be tensors."""
    import torch

    tokens, log_prob = unpack(name, result, ("tokens", "log_prob"))
    for part, value in (("tokens", tokens), ("log_prob", log_prob)):
        if not isinstance(value, torch.Tensor):
            got = f"{type_name(value)} {describe(value)}"
            raise CheckFailed(f"{name}: {part} should be a torch.Tensor, got {got}")
    return tokens, log_prob


def check_greedy_decode(greedy_decode):
    """greedy_decode(step, hidden, bos_id, eos_id, pad_id, max_len) -> (tokens (N, L), log_prob (N,))."""
    rng = check_rng("ex09_encoder_decoder.check_greedy_decode")
    for text, V, H, eos_bias, N, max_len in _greedy_cases(rng):
        step, hidden = _greedy_problem(rng, V, H, eos_bias, N, max_len, text)
        shown = f"greedy_decode(toy decoder V={V}, H={H}, {text}, hidden {(N, H)}, max_len={max_len})"
        result = invoke("greedy_decode", shown, greedy_decode, step, hidden, BOS, EOS, PAD, max_len)
        tokens, log_prob = _decoded("greedy_decode", result)
        ref_tokens, ref_lp = greedy_decode_reference(step, hidden, BOS, EOS, PAD, max_len)
        wrong = {m: _greedy(step, hidden, BOS, EOS, PAD, max_len, m) for m in GREEDY_MISTAKES}
        token_hints = [(wrong["run_on"][0], AFTER_EOS), (wrong["stateless"][0], STATELESS)]
        token_message = tensor_mismatch("tokens", tokens, ref_tokens, None, token_hints)
        to_max_len = tuple(tokens.shape) == tuple(wrong["no_stop"][0].shape) != tuple(ref_tokens.shape)
        if token_message and to_max_len:
            token_message = hinted(token_message.body, STOP_EARLY)
        lp_hints = [(wrong["run_on"][1], AFTER_EOS), (wrong["stateless"][1], STATELESS)]
        lp_message = tensor_mismatch("log_prob", log_prob, ref_lp, None, lp_hints)
        if lp_message and log_prob.dtype != ref_lp.dtype:
            lp_message = hinted(lp_message.body, "sum in the dtype of the log-probabilities step returns")
        report(shown, token_message, lp_message)


def _beam_step_cases(rng):
    """(text, scores, log_probs, beam_size): the first step, wide beams, banned tokens, a too-wide beam."""
    import torch

    B, V = int(rng.integers(3, 6)), int(rng.integers(5, 9))

    def log_probs(B, banned=()):
        lp = torch.log_softmax(torch.from_numpy(2 * rng.standard_normal((B, V))), dim=1)
        lp[:, list(banned)] = float("-inf")
        return lp

    def scores(B):
        return torch.from_numpy(-np.sort(rng.exponential(2.0, size=B)))

    return [
        ("the first step", torch.zeros(1, dtype=torch.float64), log_probs(1), 3),
        ("beams of different scores", scores(B), log_probs(B), B),
        ("bos and pad at -inf", scores(B), log_probs(B, (PAD, BOS)), int(rng.integers(2, B + 2))),
        ("beam_size 1", scores(B), log_probs(B, (PAD, BOS)), 1),
        ("fewer finite candidates than beam_size", torch.zeros(1, dtype=torch.float64),
         log_probs(1, (PAD, BOS)), V),
        ("float32", scores(B).float(), log_probs(B).float(), 3),
    ]


def check_beam_step(beam_step):
    """beam_step(scores, log_probs, beam_size) -> (new_scores, beam, token): the global top-k of B × V."""
    import torch

    rng = check_rng("ex09_encoder_decoder.check_beam_step")
    for text, scores, log_probs, beam_size in _beam_step_cases(rng):
        B, V = log_probs.shape
        shown = f"beam_step(scores ({B},), log_probs ({B}, {V}), beam_size={beam_size}, {text})"
        result = invoke("beam_step", shown, beam_step, scores, log_probs, beam_size)
        new_scores, beam, token = unpack("beam_step", result, ("new_scores", "beam", "token"))
        ref_scores, ref_beam, ref_token = beam_step_reference(scores, log_probs, beam_size)
        without_scores = beam_step_reference(torch.zeros_like(scores), log_probs, beam_size)
        flat = "the flat index f of candidate (b, v) is b * V + v: beam = f // V, token = f % V"
        add = "a candidate's score is its beam's score plus the token's log-probability"
        message = tensor_mismatch("new_scores", new_scores, ref_scores, None, [(without_scores[0], add)])
        if (message and isinstance(new_scores, torch.Tensor) and len(new_scores) > len(ref_scores)
                and not torch.isfinite(new_scores).all()):
            message = hinted(message.body, "never keep a candidate of score -inf: "
                                           "k = min(beam_size, number of finite candidates)")
        report(shown, message,
               tensor_mismatch("beam", beam, ref_beam, None, [(ref_token, flat), (without_scores[1], add)]),
               tensor_mismatch("token", token, ref_token, None, [(ref_beam, flat), (without_scores[2], add)]))


def _beam_output(name, result):
    """The student's (tokens, log_prob) as (list of int, float)."""
    import torch

    tokens, log_prob = unpack(name, result, ("tokens", "log_prob"))
    if isinstance(tokens, torch.Tensor) and tokens.dim() == 1 and not tokens.is_floating_point():
        tokens = tokens.tolist()
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, (int, np.integer)) for t in tokens):
        raise CheckFailed(f"{name}: tokens should be a list of int ids (or a 1-D int64 tensor), got "
                          f"{type_name(tokens)} {describe(tokens)}")
    if isinstance(log_prob, torch.Tensor) and log_prob.numel() == 1:
        log_prob = log_prob.item()
    if isinstance(log_prob, bool) or not isinstance(log_prob, (int, float, np.floating)):
        got = f"{type_name(log_prob)} {describe(log_prob)}"
        raise CheckFailed(f"{name}: log_prob should be a float, got {got}")
    return [int(t) for t in tokens], float(log_prob)


BEAM_HINTS = {
    "no_reorder": "after choosing the candidates, reorder the hidden states with them: hidden = hidden[beam] "
                  "(the new beam i continues old beam beam[i])",
    "keep_finished": "a hypothesis that emits eos is finished: it leaves the beam and is never extended",
    "no_stop": "stop once beam_size hypotheses have finished",
    "raw_score": "rank the finished hypotheses by log_prob / length ** length_penalty (length counts eos)",
}


def _beam_cases(rng):
    """(text, V, H, eos_bias, beam_size, max_len, length_penalty, sources, exact).

    Compared with the reference on several sources each: a slip in the stopping rule or in the length
    penalty changes the output of only about one source in four, so the length-penalty cases use 12.
    """
    V, H, k = int(rng.integers(6, 9)), int(rng.integers(3, 7)), int(rng.integers(2, 5))
    return [
        (f"beam_size {k}", V, H, 0.0, k, 6, 0.0, 4, False),
        ("beam_size 3", V, H, 0.0, 3, 6, 1.0, 12, False),
        ("beam_size 2, eos likely", V, H, 1.0, 2, 7, 1.0, 12, False),
        ("beam_size 2", V, H, -1.0, 2, 7, 0.6, 4, False),
        ("beam_size 4, eos unlikely: no output ends", V, H, -8.0, 4, 3, 0.0, 2, False),
        ("beam_size 4, two possible tokens (eos and one more)", 4, H, 0.0, 4, 5, 0.0, 2, False),
        ("beam_size 3", V, H, 0.0, 3, 1, 0.0, 2, False),
        (f"beam_size {EXHAUSTIVE_BEAM} (exact search)", 6, H, -0.5, EXHAUSTIVE_BEAM, 4, 0.0, 1, True),
        (f"beam_size {EXHAUSTIVE_BEAM} (exact search)", 6, H, -0.5, EXHAUSTIVE_BEAM, 4, 1.0, 1, True),
    ]


def _shown_output(tokens, log_prob):
    return f"{tokens} (log p = {log_prob:.4f})"


def _beam_problems(rng):
    """(text, V, H, step, hidden, beam_size, max_len, length_penalty, exact): the cases of _beam_cases on
    several sources each, then, for each typical slip, one source on which it changes the output."""
    problems = []
    for text, V, H, eos_bias, beam_size, max_len, penalty, sources, exact in _beam_cases(rng):
        step = toy_decoder(rng, V, H, eos_bias)
        search = (beam_size, max_len, penalty, exact)
        for i in range(sources):
            problems.append((f"source {i}, {text}", V, H, step, random_hidden(rng, 1, H), *search))
    V, H = int(rng.integers(6, 9)), int(rng.integers(3, 7))
    for slip in BEAM_HINTS:
        for _ in range(100):  # about one source in four tells a slip apart: 100 draws always find one
            step, hidden = toy_decoder(rng, V, H), random_hidden(rng, 1, H)
            case = (step, hidden, 3, 7, 1.0)
            if _beam(step, hidden, BOS, EOS, 3, 7, 1.0)[0] != _beam(*case[:2], BOS, EOS, *case[2:], slip)[0]:
                problems.append(("another source, beam_size 3", V, H, *case, False))
                break
    return problems


def check_beam_search(beam_search):
    """beam_search(step, hidden, bos_id, eos_id, beam_size, max_len, length_penalty) -> (tokens, log_prob)."""
    rng = check_rng("ex09_encoder_decoder.check_beam_search")
    tol = forward_tol(np.float64)
    for text, V, H, step, hidden, beam_size, max_len, penalty, exact in _beam_problems(rng):
        shown = f"beam_search(toy decoder V={V}, H={H}, {text}, max_len={max_len}, length_penalty={penalty})"
        tokens, log_prob = _run_beam(beam_search, shown, step, hidden, beam_size, max_len, penalty)
        if exact:
            ref_tokens, ref_lp = exhaustive_search(step, hidden, BOS, EOS, max_len, penalty)
        else:
            ref_tokens, ref_lp = _beam(step, hidden, BOS, EOS, beam_size, max_len, penalty)
        if tokens == ref_tokens and abs(log_prob - ref_lp) <= tol.atol + tol.rtol * abs(ref_lp):
            continue
        what = "the most probable output (by exhaustive search) is" if exact else "expected"
        message = f"{what} {_shown_output(ref_tokens, ref_lp)}, got {_shown_output(tokens, log_prob)}"
        if tokens == ref_tokens and log_prob < ref_lp:
            message += (" (log_prob kept growing after eos: once a hypothesis emits eos it is finished, and "
                        "nothing more is added to its log-probability)")
        elif tokens == ref_tokens:
            message += " (log_prob is the raw sum of the chosen tokens' log-probabilities, eos included)"
        case = (step, hidden, beam_size, max_len, penalty)
        hints = [hint for slip, hint in BEAM_HINTS.items() if _is_slip(case, slip, tokens, log_prob)]
        if hints:  # the output of one typical slip (or of several, which agree on this source)
            message += f" ({'; or: '.join(hints)})"
        fail_if(shown, message)
    _check_beam_is_greedy(beam_search, rng)


def _run_beam(beam_search, shown, step, hidden, beam_size, max_len, penalty):
    """The student's beam_search output as (list of int, float); a step called wrongly gets a hint."""
    try:
        args = (step, hidden, BOS, EOS, beam_size, max_len, penalty)
        result = invoke("beam_search", shown, beam_search, *args)
    except StudentError as failure:
        if raised(failure, ValueError) and "hidden has shape" in str(failure.error):
            raise StudentError(f"{failure} ({BEAM_HINTS['no_reorder']})", failure.error) from None
        raise
    return _beam_output("beam_search", result)


def _is_slip(case, mistake, tokens, log_prob):
    """Whether beam search with a typical mistake gives (tokens, log_prob) on case (step, hidden, k, L, α)."""
    step, hidden, beam_size, max_len, penalty = case
    slip_tokens, slip_lp = _beam(step, hidden, BOS, EOS, beam_size, max_len, penalty, mistake)
    tol = forward_tol(np.float64)
    return slip_tokens == tokens and abs(log_prob - slip_lp) <= tol.atol + tol.rtol * abs(slip_lp)


def _check_beam_is_greedy(beam_search, rng):
    """beam_size 1 gives greedy's output, on sources of a decoder that ends some outputs early."""
    V, H = int(rng.integers(6, 9)), int(rng.integers(3, 7))
    step = toy_decoder(rng, V, H, 0.5)
    for source in range(3):
        hidden = random_hidden(rng, 1, H)
        shown = f"beam_search(toy decoder V={V}, H={H}, source {source}, beam_size 1, max_len=8)"
        tokens, log_prob = _run_beam(beam_search, shown, step, hidden, 1, 8, 0.0)
        greedy_tokens, greedy_lp = greedy_decode_reference(step, hidden, BOS, EOS, PAD, 8)
        expected = [t for t in greedy_tokens[0].tolist() if t != PAD]
        if tokens != expected:
            greedy, yours = _shown_output(expected, float(greedy_lp[0])), _shown_output(tokens, log_prob)
            fail_if(shown, f"beam_size 1 must give greedy's output {greedy}, got {yours}")


# Names of this module a notebook may use in its grading process (the sandbox removes the others).
STUDENT_HELPERS = ("toy_decoder", "random_hidden", "exhaustive_search", "_check_step_inputs")

EXERCISE = Exercise(
    name="09_encoder_decoder",
    title="An encoder–decoder's teacher-forcing targets, masked loss, greedy decoding and beam search",
    tasks=(
        Task("shift_targets", 2, ("shift_targets",), check_shift_targets,
             "teacher-forcing inputs and outputs"),
        Task("masked_cross_entropy", 2, ("masked_cross_entropy",), check_masked_cross_entropy,
             "cross-entropy over real tokens"),
        Task("greedy_decode", 2, ("greedy_decode",), check_greedy_decode, "greedy decoding"),
        Task("beam_step", 1, ("beam_step",), check_beam_step, "one step of beam search"),
        Task("beam_search", 3, ("beam_search",), check_beam_search, "beam search"),
    ),
    forbidden={
        "greedy_decode": ("course_lib.torch.models_seq2seq.Seq2Seq.greedy_decode",),
        "beam_search": ("course_lib.torch.models_seq2seq.Seq2Seq.beam_search",),
    },
)
