"""A recurrent language model (characters or words) with sampling: embedding -> RNN -> linear.

    e_t = E[x_t],   h_t, c_t = cell(e_t, h_{t-1}, c_{t-1}),   logits_t = W_o h_t + b_o
    p(x_{t+1} | x_{≤t}) = softmax(logits_t / temperature)

Used two ways: trained on (x, y) pairs with y the input shifted by one step, and run
one-to-many by `generate`, which reads a prompt once and then feeds each sample back in.
"""

from dataclasses import dataclass

import torch
from torch import nn

from course_lib.torch.recurrent import eval_mode, make_recurrent


@dataclass
class LMConfig:
    vocab_size: int  # V, number of token ids
    embed_dim: int = 32  # size of each token embedding
    hidden_size: int = 64  # H, hidden units per layer
    num_layers: int = 1  # stacked recurrent layers
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    impl: str = "scratch"  # "scratch" (course_lib.torch.layers) or "torch" (torch.nn)
    dropout: float = 0.0  # dropout on embeddings, between layers and before the output layer
    tie_weights: bool = False  # share the embedding matrix with the output layer (needs embed_dim == H)


class LanguageModel(nn.Module):
    """Next-token model over a vocabulary of V ids; forward returns logits and the hidden state."""

    def __init__(self, config: LMConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        self.rnn = make_recurrent(
            config.cell, config.impl, config.embed_dim, config.hidden_size, config.num_layers, config.dropout
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)
        if config.tie_weights:
            if config.embed_dim != config.hidden_size:
                raise ValueError("tie_weights needs embed_dim == hidden_size")
            self.head.weight = self.embed.weight

    def forward(self, x: torch.Tensor, hidden=None):
        """Logits for the next token at every step.

        Args:
            x: (N, T) long token ids.  hidden: state from a previous call (stateful training,
                truncated BPTT: pass it through course_lib.torch.recurrent.detach_hidden first),
                or None for zeros.
        Returns:
            logits: (N, T, V).  hidden: h (L, N, H), or (h, c) for LSTM, after the last step.
        """
        e = self.drop(self.embed(x))  # (N, T, E)
        out, hidden = self.rnn(e, hidden)  # (N, T, H)
        return self.head(self.drop(out)), hidden  # (N, T, V)

    @torch.no_grad()
    def generate(
        self,
        prompt_ids: torch.Tensor,
        n_steps: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Continue a prompt by `n_steps` sampled tokens, carrying the hidden state.

        The prompt is read once; each later step feeds only the newest token and the carried state.
        Dropout is off during generation (the model's train/eval mode is restored afterwards).

        Args:
            prompt_ids: (T0,) or (N, T0) long, T0 >= 1.  n_steps: tokens to add.
            temperature: divides the logits; 0 means greedy (argmax), small values approach it.
            top_k: sample only among the k most likely tokens (None: all V; 1: greedy).
            generator: RNG for reproducible sampling; it may live on another device than the
                model (a CPU torch.Generator works with a CUDA model: sampling then runs on CPU).
        Returns:
            (T0 + n_steps,) or (N, T0 + n_steps): the prompt followed by the new tokens.
        """
        single = prompt_ids.dim() == 1
        ids = prompt_ids.view(1, -1) if single else prompt_ids  # (N, T0)
        ids = ids.to(self.head.weight.device)
        new = []
        with eval_mode(self):
            logits, hidden = self(ids)  # the prompt, once: (N, T0, V)
            for _ in range(n_steps):
                token = sample_next(logits[:, -1], temperature, top_k, generator)  # (N,)
                new.append(token)
                logits, hidden = self(token.unsqueeze(1), hidden)  # (N, 1, V)
        out = torch.cat([ids, *(t.unsqueeze(1) for t in new)], dim=1)  # (N, T0 + n_steps)
        return out[0] if single else out


def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw one token per row from softmax(logits / temperature), optionally among the top k.

    Args:
        logits: (N, V).  temperature: >= 0; 0 returns the argmax.  top_k: None or 1..V.
        generator: RNG for torch.multinomial; sampling runs on the generator's device.
    Returns:
        (N,) long token ids, on the device of `logits`.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and not 1 <= top_k <= logits.shape[-1]:
        raise ValueError(f"top_k must be in 1..{logits.shape[-1]}, got {top_k}")
    if temperature == 0 or top_k == 1:
        return logits.argmax(dim=-1)
    scaled = logits.float() / temperature  # (N, V)
    if top_k is not None:
        kth = scaled.topk(top_k, dim=-1).values[:, -1:]  # (N, 1) smallest kept logit
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    probs = torch.softmax(scaled, dim=-1)  # (N, V)
    device = generator.device if generator is not None else probs.device
    token = torch.multinomial(probs.to(device), 1, generator=generator)  # (N, 1)
    return token.squeeze(1).to(logits.device)
