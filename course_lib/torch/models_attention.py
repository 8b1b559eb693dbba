"""An encoder–decoder whose decoder attends to every encoder output (Bahdanau et al., 2014).

    encoder:   h_1..h_S, s = RNN_enc(E_src[src])      outputs at every source position, final state s
    decoder:   g_0 = s
               c_t, a_t = attention(query = g_{t-1}^top, keys = values = h_1..h_S, mask = real positions)
               g_t = RNN_dec([E_tgt[y_{t-1}]; c_t], g_{t-1})
               p(y_t | y_<t, src) = softmax(W [g_t; c_t] + b)

It is Seq2Seq (models_seq2seq) with one change: instead of everything passing through s, each step
reads a fresh weighted average c_t of the encoder outputs, with weights a_t over the source that sum
to one and are exactly zero on padding. Training, greedy decoding and beam search are Seq2Seq's own:
the decoder state is a tuple whose every tensor has the batch in dimension 1,

    (h, memory, mask)  or, for LSTM,  (h, c, memory, mask)
    h, c (L, N, H);  memory (S, N, H) the encoder outputs, time-major;  mask (S, N) bool

so that course_lib.torch.recurrent.select_hidden reorders beams of it as of a plain hidden state.

SelfAttentionClassifier replaces a classifier's recurrence by one self-attention layer:

    e_t = E[x_t] + P[t],   u = e + SelfAttention(e),   f_t = relu(W_f u_t + b_f)
    z = mean over real t of f_t,   logits = W z + b
"""

from dataclasses import dataclass

import torch
from torch import nn

from course_lib.torch.attention import SelfAttention, make_attention
from course_lib.torch.models_seq2seq import Seq2Seq, Seq2SeqConfig
from course_lib.torch.recurrent import check_lengths, eval_mode, make_recurrent, run_padded


@dataclass
class AttentionSeq2SeqConfig(Seq2SeqConfig):
    attention: str = "additive"  # score function: "additive" (Bahdanau), "general" or "dot" (Luong)
    attn_size: int = 64  # A, the additive score's hidden size (unused by "general" and "dot")


class AttentionSeq2Seq(Seq2Seq):
    """Seq2Seq plus attention: the decoder reads the encoder outputs at every step."""

    def __init__(self, config: AttentionSeq2SeqConfig):
        super().__init__(config)
        c = config
        H = c.hidden_size
        # The decoder reads [embedding; context], and the output layer [decoder output; context].
        self.decoder = make_recurrent(c.cell, c.impl, c.embed_dim + H, H, c.num_layers, c.dropout)
        self.attention = make_attention(c.attention, H, H, c.attn_size)
        self.head = nn.Linear(2 * H, c.tgt_vocab_size)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor | None = None):
        """The decoder's initial state: encoder final state, outputs and source mask.

        Args:
            src: (N, S) long, right-padded.  src_lengths: (N,) or None (all full length S).
        Returns:
            (h, memory, mask), or (h, c, memory, mask) for LSTM: h, c (L, N, H), memory (S, N, H),
            mask (S, N) bool, True at each source's real positions.
        """
        e = self.drop(self.src_embed(src))  # (N, S, E)
        memory, hidden = run_padded(self.encoder, e, src_lengths)  # (N, S, H), zeros at padding
        N, S = src.shape
        if src_lengths is None:
            mask = torch.ones((S, N), dtype=torch.bool, device=src.device)
        else:
            mask = torch.arange(S, device=src.device).unsqueeze(1) < src_lengths.to(src.device)  # (S, N)
        hidden = hidden if isinstance(hidden, tuple) else (hidden,)
        return (*hidden, memory.transpose(0, 1), mask)

    def decode(self, tgt_in: torch.Tensor, state):
        """Decoder logits for given inputs. tgt_in: (N, T) long -> logits (N, T, V), new state."""
        logits, state, _ = self.decode_with_weights(tgt_in, state)
        return logits, state

    def decode_with_weights(self, tgt_in: torch.Tensor, state):
        """decode, also returning the attention weights of every step.

        Args:
            tgt_in: (N, T) long decoder inputs.  state: from encode or a previous decode.
        Returns:
            logits (N, T, V).  state: the new state.  weights (N, T, S), weights[:, t] used for step t.
        """
        *hidden, memory, mask = state
        hidden = tuple(hidden) if len(hidden) == 2 else hidden[0]  # (h, c) for LSTM, else h
        keys, key_mask = memory.transpose(0, 1), mask.transpose(0, 1)  # (N, S, H), (N, S)
        emb = self.drop(self.tgt_embed(tgt_in))  # (N, T, E)
        outputs, weights = [], []
        for t in range(tgt_in.shape[1]):
            h = hidden[0] if isinstance(hidden, tuple) else hidden  # (L, N, H)
            context, w = self.attention(h[-1], keys, keys, key_mask)  # (N, H), (N, S)
            x = torch.cat([emb[:, t], context], dim=-1).unsqueeze(1)  # (N, 1, E + H)
            out, hidden = self.decoder(x, hidden)  # (N, 1, H)
            outputs.append(torch.cat([out[:, 0], context], dim=-1))  # (N, 2H)
            weights.append(w)
        logits = self.head(self.drop(torch.stack(outputs, dim=1)))  # (N, T, V)
        hidden = hidden if isinstance(hidden, tuple) else (hidden,)
        return logits, (*hidden, memory, mask), torch.stack(weights, dim=1)

    @torch.no_grad()
    def attention_weights(self, src, tgt, src_lengths=None) -> torch.Tensor:
        """Attention weights while reading tgt with teacher forcing, dropout off.

        Args:
            src: (N, S) long.  tgt: (N, T) long, tgt[:, 0] == bos_id (e.g. bos + a decoded output).
        Returns:
            (N, T-1, S): row t is the weighting over the source used to predict tgt[:, t+1].
        """
        with eval_mode(self):
            return self.decode_with_weights(tgt[:, :-1], self.encode(src, src_lengths))[2]


@dataclass
class SelfAttentionClassifierConfig:
    num_classes: int  # C, number of output classes
    vocab_size: int  # V, token ids
    embed_dim: int = 48  # E, token and position embeddings, and the self-attention's width
    ff_size: int = 64  # F, units of the position-wise feed-forward layer
    max_len: int = 64  # longest input: one learned position embedding per position
    pad_id: int = 0  # padding id (its embedding is kept at zero)


class SelfAttentionClassifier(nn.Module):
    """Padded batch plus lengths -> class logits, with one self-attention layer and no recurrence.

    Without the position embeddings P the model could not tell "ab" from "ba": attention itself
    ignores order. Padding never reaches the result (masked in attention and in the mean).
    """

    def __init__(self, config: SelfAttentionClassifierConfig):
        super().__init__()
        c = config
        self.config = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=c.pad_id)
        self.position = nn.Embedding(c.max_len, c.embed_dim)
        self.attention = SelfAttention(c.embed_dim, c.embed_dim)
        self.feed_forward = nn.Linear(c.embed_dim, c.ff_size)
        self.head = nn.Linear(c.ff_size, c.num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits. x: (N, T) long, right-padded, T <= max_len; lengths: (N,) or None (all T)."""
        N, T = x.shape
        if T > self.config.max_len:
            raise ValueError(f"x: expected (N, T) with T <= max_len={self.config.max_len}, "
                             f"got shape {tuple(x.shape)}")
        lengths = torch.full((N,), T) if lengths is None else check_lengths(lengths, N, T)
        mask = (torch.arange(T) < lengths.unsqueeze(1)).to(x.device)  # (N, T) real positions
        e = self.embed(x) + self.position.weight[:T]  # (N, T, E)
        u = e + self.attention(e, mask)[0]  # (N, T, E) residual: each position keeps its own token
        f = torch.relu(self.feed_forward(u)) * mask.unsqueeze(2)  # (N, T, F), padded positions zero
        z = f.sum(dim=1) / lengths.to(x.device, f.dtype).unsqueeze(1)  # (N, F) mean over real positions
        return self.head(z)  # (N, C)
