"""An encoder–decoder (seq2seq) model with teacher forcing, greedy decoding and beam search.

    encoder:  s = RNN_enc(E_src[src])  final state at each source's own length (packed)
    decoder:  h_0 = s,   h_t = RNN_dec(E_tgt[y_{t-1}], h_{t-1}),   p(y_t | y_<t, src) = softmax(W h_t + b)

Target sequences start with bos_id and end with eos_id: tgt = [bos, y_1, ..., y_n, eos].
Training predicts tgt[:, 1:] from tgt[:, :-1] (teacher forcing), or from the model's own
previous predictions for a random fraction of steps (teacher_forcing_ratio < 1).
Decoding never emits bos_id or pad_id: their scores are masked out before choosing a token;
every reported log-probability is the model's own log_softmax over all V target tokens.
"""

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from course_lib.torch.recurrent import eval_mode, make_recurrent, select_hidden


@dataclass
class Seq2SeqConfig:
    src_vocab_size: int  # source vocabulary size
    tgt_vocab_size: int  # V, target vocabulary size (includes pad, bos, eos)
    embed_dim: int = 32  # embedding size, source and target
    hidden_size: int = 64  # H, shared by encoder and decoder so the state passes straight across
    num_layers: int = 1  # stacked layers in encoder and decoder alike
    cell: str = "gru"  # "rnn", "lstm" or "gru"
    impl: str = "scratch"  # "scratch" (course_lib.torch.layers) or "torch" (torch.nn)
    dropout: float = 0.0  # dropout on embeddings and between layers
    pad_id: int = 0  # padding id, in source and target
    bos_id: int = 1  # first decoder input
    eos_id: int = 2  # ends a decoded sequence


class Decoded(NamedTuple):
    """Decoder output for a batch.

    tokens: (N, L) long, generated ids after bos (eos included when emitted), pad_id after the end.
    lengths: (N,) long, generated tokens per sequence, eos included.
    log_prob: (N,) sum of the model's log-probabilities of those tokens.
    """

    tokens: torch.Tensor
    lengths: torch.Tensor
    log_prob: torch.Tensor


class Seq2Seq(nn.Module):
    """Recurrent encoder–decoder; the encoder's final state initialises the decoder."""

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.config = config
        c = config
        self.src_embed = nn.Embedding(c.src_vocab_size, c.embed_dim, padding_idx=c.pad_id)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.embed_dim, padding_idx=c.pad_id)
        self.encoder = make_recurrent(c.cell, c.impl, c.embed_dim, c.hidden_size, c.num_layers, c.dropout)
        self.decoder = make_recurrent(c.cell, c.impl, c.embed_dim, c.hidden_size, c.num_layers, c.dropout)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden_size, c.tgt_vocab_size)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor | None = None):
        """Encoder state after each source's last valid token.

        Args:
            src: (N, S) long, right-padded.  src_lengths: (N,) or None (all full length S).
        Returns:
            h (L, N, H), or (h, c) for LSTM.
        """
        e = self.drop(self.src_embed(src))  # (N, S, E)
        if src_lengths is None:
            _, hidden = self.encoder(e)
            return hidden
        lengths = src_lengths.detach().to("cpu", torch.long)
        packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        _, hidden = self.encoder(packed)
        return hidden

    def decode(self, tgt_in: torch.Tensor, hidden):
        """Decoder logits for given inputs. tgt_in: (N, T) long -> logits (N, T, V), new hidden."""
        out, hidden = self.decoder(self.drop(self.tgt_embed(tgt_in)), hidden)  # (N, T, H)
        return self.head(self.drop(out)), hidden  # (N, T, V)

    def forward(
        self,
        src: torch.Tensor,
        tgt: torch.Tensor,
        src_lengths: torch.Tensor | None = None,
        teacher_forcing_ratio: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Training-time logits for tgt[:, 1:].

        At each step the decoder input is the true previous token with probability
        teacher_forcing_ratio (one coin per step, for the whole batch), else the argmax of the
        previous step's logits. Ratio 1 runs the decoder over tgt[:, :-1] in one call.

        Args:
            src: (N, S) long.  tgt: (N, T) long, tgt[:, 0] == bos_id.  src_lengths: (N,) or None.
            teacher_forcing_ratio: in [0, 1].  generator: RNG for the coins (any device).
        Returns:
            logits: (N, T-1, V), position t predicting tgt[:, t+1].
        """
        hidden = self.encode(src, src_lengths)
        if teacher_forcing_ratio >= 1:
            return self.decode(tgt[:, :-1], hidden)[0]
        device = generator.device if generator is not None else torch.device("cpu")
        token = tgt[:, 0]  # (N,) bos
        steps = []
        for t in range(tgt.shape[1] - 1):
            logits, hidden = self.decode(token.unsqueeze(1), hidden)  # (N, 1, V)
            steps.append(logits)
            teacher = torch.rand((), generator=generator, device=device) < teacher_forcing_ratio
            token = tgt[:, t + 1] if teacher else logits[:, 0].argmax(dim=-1)
        return torch.cat(steps, dim=1)  # (N, T-1, V)

    def sequence_log_prob(self, src, tgt, src_lengths=None) -> torch.Tensor:
        """log p(tgt[:, 1:] | src), the score decoders maximise: (N,).

        Computed with teacher forcing and dropout off; pad positions of tgt[:, 1:] count zero.
        """
        with eval_mode(self):
            log_probs = self(src, tgt, src_lengths).log_softmax(dim=-1)  # (N, T-1, V)
        target = tgt[:, 1:]  # (N, T-1)
        token_lp = log_probs.gather(2, target.unsqueeze(2)).squeeze(2)  # (N, T-1)
        return token_lp.masked_fill(target == self.config.pad_id, 0.0).sum(dim=1)

    def _step_log_probs(self, token: torch.Tensor, hidden):
        """One decoder step: token (N,) -> log-probs (N, V), candidate scores (N, V), hidden."""
        logits, hidden = self.decode(token.unsqueeze(1), hidden)
        log_probs = logits[:, 0].log_softmax(dim=-1)  # (N, V)
        banned = [self.config.bos_id, self.config.pad_id]
        candidates = log_probs.clone()
        candidates[:, banned] = float("-inf")  # never emit bos or pad
        return log_probs, candidates, hidden

    @torch.no_grad()
    def greedy_decode(self, src, src_lengths=None, max_len: int = 20) -> Decoded:
        """Pick the most likely token at every step until eos or max_len tokens.

        Args:
            src: (N, S) long.  src_lengths: (N,) or None.  max_len: most tokens generated.
        Returns:
            Decoded with tokens (N, L), L <= max_len.
        """
        c = self.config
        with eval_mode(self):
            hidden = self.encode(src, src_lengths)
            N = src.shape[0]
            token = torch.full((N,), c.bos_id, dtype=torch.long, device=src.device)
            done = torch.zeros(N, dtype=torch.bool, device=src.device)
            log_prob = torch.zeros(N, dtype=self.head.weight.dtype, device=src.device)
            lengths = torch.zeros(N, dtype=torch.long, device=src.device)
            out = []
            for _ in range(max_len):
                log_probs, candidates, hidden = self._step_log_probs(token, hidden)  # (N, V)
                token = candidates.argmax(dim=-1)  # (N,)
                step_lp = log_probs.gather(1, token.unsqueeze(1)).squeeze(1)  # (N,)
                log_prob += step_lp.masked_fill(done, 0.0)
                lengths += (~done).long()
                out.append(token.masked_fill(done, c.pad_id))
                done |= token == c.eos_id
                if done.all():
                    break
        return Decoded(torch.stack(out, dim=1), lengths, log_prob)

    @torch.no_grad()
    def beam_search(
        self, src, src_lengths=None, beam_size: int = 4, max_len: int = 20, length_penalty: float = 0.0
    ) -> Decoded:
        """Keep the beam_size best partial outputs at every step; return the best finished one.

        Partial outputs are ranked by their summed log-probability. A hypothesis that emits eos
        is finished; search stops once beam_size hypotheses have finished or after max_len
        steps (survivors then count as finished without eos). Finished hypotheses are ranked by
        the length-normalised score  log_prob / length ** length_penalty  (length counts eos):
        0 keeps the raw sum, which favours short outputs because each token adds a negative
        term; 1 is the mean log-probability per token. beam_size=1 is exactly greedy_decode.
        A wider beam usually, not always, finds a higher score; a beam wide enough to hold
        every hypothesis is exhaustive search.

        Args:
            src: (N, S) long.  src_lengths: (N,) or None.  beam_size: >= 1.  max_len: >= 1.
        Returns:
            Decoded with tokens (N, L) and the raw log_prob of each chosen output.
        """
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size}")
        with eval_mode(self):
            hidden = self.encode(src, src_lengths)
            best = [
                self._beam_one(select_hidden(hidden, torch.tensor([i], device=src.device)),
                               beam_size, max_len, length_penalty)
                for i in range(src.shape[0])
            ]
        L = max(len(tokens) for tokens, _ in best)
        tokens = torch.full((len(best), L), self.config.pad_id, dtype=torch.long, device=src.device)
        for i, (seq, _) in enumerate(best):
            tokens[i, : len(seq)] = seq
        lengths = torch.tensor([len(seq) for seq, _ in best], device=src.device)
        log_prob = torch.stack([lp for _, lp in best])
        return Decoded(tokens, lengths, log_prob)

    def _beam_one(self, hidden, beam_size, max_len, length_penalty):
        """Beam search for one source; beams form the batch. Returns (tokens (L,), log_prob)."""
        c = self.config
        device = self.head.weight.device
        seqs = torch.zeros((1, 0), dtype=torch.long, device=device)  # (B, t) generated so far
        scores = torch.zeros(1, dtype=self.head.weight.dtype, device=device)  # (B,) summed log-probs
        last = torch.full((1,), c.bos_id, dtype=torch.long, device=device)
        finished = []  # (normalised score, log_prob, tokens)
        for step in range(1, max_len + 1):
            _, candidates, hidden = self._step_log_probs(last, hidden)  # (B, V)
            V = candidates.shape[1]
            total = (scores.unsqueeze(1) + candidates).view(-1)  # (B*V,)
            k = min(beam_size, int(torch.isfinite(total).sum()))
            scores, flat = total.topk(k)  # (k,)
            beam, last = flat // V, flat % V
            seqs = torch.cat([seqs[beam], last.unsqueeze(1)], dim=1)  # (k, step)
            hidden = select_hidden(hidden, beam)
            ended = last == c.eos_id
            for j in ended.nonzero().flatten().tolist():
                finished.append((scores[j].item() / step**length_penalty, scores[j], seqs[j]))
            alive = (~ended).nonzero().flatten()
            seqs, scores, last = seqs[alive], scores[alive], last[alive]
            hidden = select_hidden(hidden, alive)
            if len(finished) >= beam_size or len(alive) == 0:
                break
        else:
            norm = max_len**length_penalty  # survivors after max_len steps, finished without eos
            finished += [(s.item() / norm, s, q) for s, q in zip(scores, seqs, strict=True)]
        _, log_prob, tokens = max(finished, key=lambda f: f[0])
        return tokens, log_prob
