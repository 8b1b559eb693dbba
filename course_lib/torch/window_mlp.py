"""The fixed-window MLP language model (Bengio et al. 2003) as an nn.Module: the recurrent network's rival.

    e = [E[x_{t-w+1}], ..., E[x_t]]        (N, w·E)  the window's embeddings side by side
    h = tanh(e W_hiddenᵀ + b_hidden)       (N, H)
    logits = h W_outᵀ + b_out              (N, V)    scores for x_{t+1}

The same math as course_lib.numpy.window_mlp, with the same parameter names and shapes, so weights
copy between the two (numpy_params / load_numpy_params). The first layer has w·E·H + H parameters:
it grows with the window w, where a recurrent layer's count does not depend on the sequence length.
"""

import numpy as np
import torch
from torch import nn

NUMPY_KEYS = ("embedding", "weight_hidden", "bias_hidden", "weight_out", "bias_out")


class WindowMLP(nn.Module):
    """Next-token logits from the previous `window` tokens: (N, w) ids -> (N, V) logits."""

    def __init__(self, vocab_size: int, embed_dim: int, window: int, hidden_size: int):
        super().__init__()
        for name, value in (
            ("vocab_size", vocab_size),
            ("embed_dim", embed_dim),
            ("window", window),
            ("hidden_size", hidden_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.window = window
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.hidden = nn.Linear(window * embed_dim, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Args: idx (N, w) long token ids, oldest first.  Returns: logits (N, V)."""
        if idx.dim() != 2 or idx.shape[1] != self.window:
            raise ValueError(
                f"expected token ids of shape (N, {self.window}), one window per row, got "
                f"{tuple(idx.shape)}: a window MLP takes exactly `window` tokens"
            )
        e = self.embed(idx).flatten(1)  # (N, w·E)
        h = torch.tanh(self.hidden(e))  # (N, H)
        return self.out(h)  # (N, V)

    def first_layer_size(self) -> int:
        """Parameters of the hidden layer, w·E·H + H: the number the lecture asks for."""
        return self.hidden.weight.numel() + self.hidden.bias.numel()

    def numpy_params(self) -> dict:
        """The parameters as the dict course_lib.numpy.window_mlp_forward takes (float64 copies)."""
        tensors = (self.embed.weight, self.hidden.weight, self.hidden.bias, self.out.weight, self.out.bias)
        return {k: t.detach().cpu().double().numpy().copy() for k, t in zip(NUMPY_KEYS, tensors, strict=True)}

    @torch.no_grad()
    def load_numpy_params(self, params: dict) -> "WindowMLP":
        """Copy a course_lib.numpy window-MLP params dict into this module (same shapes). Returns self."""
        targets = (self.embed.weight, self.hidden.weight, self.hidden.bias, self.out.weight, self.out.bias)
        for key, target in zip(NUMPY_KEYS, targets, strict=True):
            value = torch.as_tensor(np.asarray(params[key]), dtype=target.dtype)
            if value.shape != target.shape:
                raise ValueError(
                    f"params[{key!r}]: expected shape {tuple(target.shape)}, got {tuple(value.shape)}"
                )
            target.copy_(value)
        return self


def windows(ids: torch.Tensor, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (window, next token) pair of a 1-D token stream, for training a WindowMLP.

    Args:
        ids: (T,) long token ids.  window: w >= 1, at most T - 1.
    Returns:
        X (T - w, w): X[i] = ids[i : i + w].  Y (T - w,): Y[i] = ids[i + w], the token after the window.
    """
    if ids.dim() != 1 or not 1 <= window < len(ids):
        raise ValueError(f"need a 1-D stream longer than the window {window}, got shape {tuple(ids.shape)}")
    return ids.unfold(0, window, 1)[:-1], ids[window:]  # (T - w, w), (T - w,)
