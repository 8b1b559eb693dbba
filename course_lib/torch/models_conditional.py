"""One input, a sequence out: a language model conditioned on a class (one-to-many generation).

    c = C[k]                                  the condition's embedding, k in 0..K-1
    h_0 = tanh(W_c c + b_c)                   the condition sets the initial state
    h_t = cell([E[x_t] ; c], h_{t-1})         and is fed again at every step
    p(x_{t+1} | x_{≤t}, k) = softmax(W_o h_t + b_o)

A sequence is read as <bos> x_1 .. x_L and trained to predict x_1 .. x_L <eos>; generation starts
from <bos> alone and stops at <eos>. `use_condition=False` builds the same network with the
condition zeroed (h_0 = tanh(b_c), no condition input): the unconditional control.
"""

from dataclasses import dataclass

import torch
from torch import nn

from course_lib.text.collate import IGNORE_INDEX
from course_lib.torch.models_lm import sample_next
from course_lib.torch.recurrent import eval_mode, make_recurrent
from course_lib.train.steps import StepOutput


@dataclass
class ConditionalLMConfig:
    vocab_size: int  # V, token ids, <pad> = 0, <bos> and <eos> included
    num_conditions: int  # K classes the sequence can be conditioned on
    embed_dim: int = 32  # size of each token embedding
    cond_dim: int = 16  # size of the condition embedding
    hidden_size: int = 128  # H
    cell: str = "gru"  # "rnn", "lstm" or "gru"
    impl: str = "torch"  # "scratch" or "torch"
    dropout: float = 0.0  # on the recurrent outputs, before the output layer
    use_condition: bool = True  # False: the condition is ignored (the unconditional control)


class ConditionalLanguageModel(nn.Module):
    """(tokens (N, T), conditions (N,)) -> next-token logits (N, T, V); generate() samples sequences."""

    def __init__(self, config: ConditionalLMConfig):
        super().__init__()
        c = self.config = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=0)
        self.cond = nn.Embedding(c.num_conditions, c.cond_dim)
        self.init = nn.Linear(c.cond_dim, c.hidden_size)
        self.rnn = make_recurrent(c.cell, c.impl, c.embed_dim + c.cond_dim, c.hidden_size)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden_size, c.vocab_size)

    def initial_state(self, conditions: torch.Tensor):
        """h_0 (1, N, H) from the conditions (a pair (h_0, zeros) for an LSTM), and c (N, C)."""
        c = self.cond(conditions)  # (N, C)
        if not self.config.use_condition:
            c = torch.zeros_like(c)
        h0 = torch.tanh(self.init(c)).unsqueeze(0)  # (1, N, H)
        return ((h0, torch.zeros_like(h0)) if self.config.cell == "lstm" else h0), c

    def forward(self, x: torch.Tensor, conditions: torch.Tensor, hidden=None):
        """Args: x (N, T) ids; conditions (N,) long; hidden: None starts from the conditions' h_0.
        Returns: logits (N, T, V), hidden after the last step."""
        h0, c = self.initial_state(conditions)
        e = self.embed(x)  # (N, T, E)
        inputs = torch.cat([e, c.unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)  # (N, T, E + C)
        out, hidden = self.rnn(inputs, h0 if hidden is None else hidden)  # (N, T, H)
        return self.head(self.drop(out)), hidden  # (N, T, V)

    @torch.no_grad()
    def generate(self, conditions: torch.Tensor, bos_id: int, eos_id: int, max_len: int = 20,
                 temperature: float = 1.0, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> list[list[int]]:
        """Sample one sequence per condition, from <bos> until <eos> or max_len tokens.

        Returns: N lists of token ids, without <bos> and <eos>.
        """
        N = len(conditions)
        token = torch.full((N, 1), bos_id, dtype=torch.long)  # (N, 1)
        hidden, out, done = None, [[] for _ in range(N)], torch.zeros(N, dtype=torch.bool)
        with eval_mode(self):
            for _ in range(max_len + 1):
                logits, hidden = self(token, conditions, hidden)  # (N, 1, V)
                nxt = sample_next(logits[:, -1], temperature, top_k, generator)  # (N,)
                for i in range(N):
                    if not done[i] and nxt[i] != eos_id:
                        out[i].append(int(nxt[i]))
                done |= nxt == eos_id
                if done.all():
                    break
                token = nxt.unsqueeze(1)
        return [seq[:max_len] for seq in out]


def conditional_collate(batch, bos_id: int, eos_id: int):
    """DataLoader collate for (ids, condition) pairs: x = <bos> + ids, y = ids + <eos>, padded.

    Returns: x (N, T) long padded with 0, y (N, T) long padded with IGNORE_INDEX (-100),
    conditions (N,) long; T = longest sequence + 1.
    """
    T = max(len(ids) for ids, _ in batch) + 1
    x = torch.zeros(len(batch), T, dtype=torch.long)
    y = torch.full((len(batch), T), IGNORE_INDEX, dtype=torch.long)
    for i, (ids, _) in enumerate(batch):
        x[i, : len(ids) + 1] = torch.tensor([bos_id, *ids])
        y[i, : len(ids) + 1] = torch.tensor([*ids, eos_id])
    return x, y, torch.tensor([k for _, k in batch], dtype=torch.long)


def conditional_lm_step(model: nn.Module, batch) -> StepOutput:
    """A fit() batch_step for batches (x, y, conditions): mean cross-entropy over the real tokens."""
    x, y, conditions = batch
    logits, _ = model(x, conditions)  # (N, T, V)
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                       ignore_index=IGNORE_INDEX)
    return StepOutput(loss, logits, y)
