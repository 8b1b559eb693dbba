"""A recurrent time-series forecaster: a window of the past in, the next `horizon` steps out.

    h_T = RNN(x_1..x_T),   ŷ_{T+1..T+horizon} = reshape(W h_T + b)      (direct multi-output)

Two ways to forecast k steps ahead:
  direct     one forward pass predicts all `horizon` steps from h_T (k = horizon).
  recursive  `rollout` predicts one step, appends it to the input and continues from the
             carried state, for any k; errors compound, but one model serves every horizon.
"""

from dataclasses import dataclass

import torch
from torch import nn

from course_lib.torch.recurrent import eval_mode, final_hidden, make_recurrent


@dataclass
class ForecasterConfig:
    input_size: int = 1  # D, features per time step
    output_size: int = 1  # features predicted per future step (= D for recursive rollout)
    horizon: int = 1  # future steps predicted at once by the direct head (1: one-step model)
    hidden_size: int = 32  # H, hidden units per layer
    num_layers: int = 1  # stacked recurrent layers
    cell: str = "gru"  # "rnn", "lstm" or "gru"
    impl: str = "scratch"  # "scratch" (course_lib.torch.layers) or "torch" (torch.nn)
    dropout: float = 0.0  # dropout between layers and before the head


class Forecaster(nn.Module):
    """Window (N, T, D) -> forecast (N, horizon, output_size)."""

    def __init__(self, config: ForecasterConfig):
        super().__init__()
        self.config = config
        self.rnn = make_recurrent(
            config.cell, config.impl, config.input_size, config.hidden_size, config.num_layers, config.dropout
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.horizon * config.output_size)

    def forward(self, x: torch.Tensor, hidden=None) -> torch.Tensor:
        """Direct forecast of the next `horizon` steps after the window.

        Args:
            x: (N, T, D) float.  hidden: initial state, or None for zeros.
        Returns:
            (N, horizon, output_size).
        """
        return self._predict(x, hidden)[0]

    def _predict(self, x, hidden):
        """Forecast plus the state after the window, so rollout can carry it on."""
        _, hidden = self.rnn(x, hidden)
        z = final_hidden(hidden, self.config.num_layers, bidirectional=False)  # (N, H)
        y = self.head(self.drop(z))  # (N, horizon * output_size)
        return y.view(-1, self.config.horizon, self.config.output_size), hidden

    @torch.no_grad()
    def rollout(self, x: torch.Tensor, n_steps: int) -> torch.Tensor:
        """Recursive multi-step forecast: each one-step prediction is fed back as the next input.

        Uses the first step of the direct head, ŷ_{T+1}, then runs the recurrent layer on that
        prediction alone, carrying the state (no re-reading of the window). Needs
        output_size == input_size. Dropout is off during the rollout.

        Args:
            x: (N, T, D) float window.  n_steps: steps to forecast, >= 1.
        Returns:
            (N, n_steps, D).
        """
        if self.config.output_size != self.config.input_size:
            raise ValueError(
                "rollout feeds predictions back as inputs, so it needs output_size == input_size; "
                f"got output_size={self.config.output_size}, input_size={self.config.input_size}"
            )
        preds = []
        with eval_mode(self):
            y, hidden = self._predict(x, None)  # (N, horizon, D)
            for _ in range(n_steps):
                step = y[:, :1]  # (N, 1, D) next-step prediction
                preds.append(step)
                y, hidden = self._predict(step, hidden)
        return torch.cat(preds, dim=1)  # (N, n_steps, D)
