"""A many-to-one sequence classifier that is exact on padded batches.

    h_1..h_T = RNN(e_1..e_T)  (packed: each sequence stops at its own length)
    z = h_{len}  ("last": final state; forward ⊕ backward when bidirectional)
      or mean_{t < len} h_t  ("mean": average of the valid outputs only)
    logits = W z + b

Padding never reaches the result: the recurrent layer runs on a PackedSequence built from the
lengths, and mean pooling masks the padded steps. So each sequence in a padded batch gets the
same logits as when it is run alone.
"""

from dataclasses import dataclass

import torch
from torch import nn

from course_lib.torch.recurrent import check_lengths, final_hidden, make_recurrent, run_padded

POOLINGS = ("last", "mean")


@dataclass
class ClassifierConfig:
    num_classes: int  # C, number of output classes
    vocab_size: int | None = None  # V for token-id inputs (N, T); None for float features (N, T, D)
    input_size: int = 32  # D: embedding size for token ids, feature size for float inputs
    hidden_size: int = 64  # H, hidden units per layer and direction
    num_layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False  # also read each sequence right to left
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    impl: str = "scratch"  # "scratch" (course_lib.torch.layers) or "torch" (torch.nn)
    pooling: str = "last"  # "last": final hidden state; "mean": masked mean of the outputs
    dropout: float = 0.0  # dropout between layers and before the output layer
    pad_id: int = 0  # token id used for padding (its embedding is kept at zero)


class SequenceClassifier(nn.Module):
    """Padded batch of sequences plus lengths -> one vector of class logits per sequence."""

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        if config.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {config.pooling!r}")
        self.config = config
        if config.vocab_size is None:
            self.embed = nn.Identity()
        else:
            self.embed = nn.Embedding(config.vocab_size, config.input_size, padding_idx=config.pad_id)
        c = config
        self.rnn = make_recurrent(c.cell, c.impl, c.input_size, c.hidden_size, c.num_layers, c.dropout,
                                  c.bidirectional)
        dirs = 2 if config.bidirectional else 1
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(dirs * config.hidden_size, config.num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits for each sequence.

        Args:
            x: (N, T) long token ids, or (N, T, D) float features; right-padded.
            lengths: (N,) valid steps per sequence, 1 <= lengths[i] <= T, on any device;
                None means every sequence is full length T.
        Returns:
            logits: (N, C).
        """
        e = self.embed(x)  # (N, T, D)
        N, T, _ = e.shape
        lengths = torch.full((N,), T) if lengths is None else check_lengths(lengths, N, T)
        out, hidden = run_padded(self.rnn, e, lengths)  # (N, T, dirs*H), zeros at pads
        if self.config.pooling == "last":
            z = final_hidden(hidden, self.config.num_layers, self.config.bidirectional)  # (N, dirs*H)
        else:
            z = out.sum(dim=1) / lengths.to(out.device, out.dtype).unsqueeze(1)  # (N, dirs*H)
        return self.head(self.drop(z))  # (N, C)
