"""A many-to-many sequence tagger: one label per input step, from a uni- or bidirectional RNN.

    e_t = E[x_t],   h_t = RNN(e_1..e_T)_t      bidirectional: h_t = [h→_t ; h←_t]
    logits_t = W h_t + b                       (N, T, C)

Unidirectional, logits_t depends on x_1..x_t only: the model is causal and can run online or
generate. Bidirectional, logits_t depends on the whole x_1..x_T: it reads the future.
With `lengths` the recurrent layer runs on a PackedSequence, so padding never reaches a real step
in either direction, and each sequence of a padded batch gets the logits it gets alone.
"""

from dataclasses import dataclass

import torch
from torch import nn

from course_lib.torch.recurrent import make_recurrent, run_padded


@dataclass
class TaggerConfig:
    num_tags: int  # C, labels per step (the vocabulary size V for a next-token predictor)
    vocab_size: int  # V, number of input token ids
    embed_dim: int = 32  # size of each token embedding
    hidden_size: int = 64  # H, hidden units per layer and direction
    num_layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False  # also read each sequence right to left
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    impl: str = "scratch"  # "scratch" (course_lib.torch.layers) or "torch" (torch.nn)
    dropout: float = 0.0  # dropout on embeddings, between layers and before the output layer
    pad_id: int = 0  # token id used for padding (its embedding is kept at zero)


class SequenceTagger(nn.Module):
    """Token ids (N, T) -> per-step logits (N, T, C)."""

    def __init__(self, config: TaggerConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=config.pad_id)
        c = config
        self.rnn = make_recurrent(c.cell, c.impl, c.embed_dim, c.hidden_size, c.num_layers, c.dropout,
                                  c.bidirectional)
        dirs = 2 if config.bidirectional else 1
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(dirs * config.hidden_size, config.num_tags)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Logits for every step.

        Args:
            x: (N, T) long token ids, right-padded when lengths are given.
            lengths: (N,) valid steps per sequence, 1 <= lengths[i] <= T, on any device; None means
                every sequence is full length T (no packing).
        Returns:
            logits: (N, T, C). At padded steps (t >= lengths[i]) they are the head's bias alone.
        """
        e = self.drop(self.embed(x))  # (N, T, E)
        out, _ = run_padded(self.rnn, e, lengths)  # (N, T, dirs*H), zeros at pads
        return self.head(self.drop(out))  # (N, T, C)
