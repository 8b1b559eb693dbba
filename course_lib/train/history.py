"""What a training run recorded, epoch by epoch: the return value of `fit`."""

from dataclasses import asdict, dataclass, field


@dataclass
class History:
    """Per-epoch losses and metrics of a run, plus per-step gradient norms.

    The monitored loss (for the best epoch and early stopping) is val_loss when a validation
    loader was given, else train_loss. Epochs are counted from 0.
    """

    train_loss: list[float] = field(default_factory=list)  # mean training loss per epoch
    val_loss: list[float] = field(default_factory=list)  # mean validation loss per epoch (empty if none)
    train_metrics: dict[str, list[float]] = field(default_factory=dict)  # name -> value per epoch
    val_metrics: dict[str, list[float]] = field(default_factory=dict)  # name -> value per epoch
    grad_norm: list[float] = field(default_factory=list)  # global grad norm before clipping, per step
    epoch_grad_norm: list[float] = field(default_factory=list)  # mean of grad_norm over each epoch
    best_epoch: int | None = None  # epoch with the lowest monitored loss so far
    best_loss: float | None = None  # that loss
    stopped_early: bool = False  # True when patience ran out before the last epoch

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)

    @property
    def monitored(self) -> list[float]:
        """The loss early stopping watches: val_loss when present, else train_loss."""
        return self.val_loss if self.val_loss else self.train_loss

    def record(self, train: dict, val: dict | None, step_norms: list[float]) -> bool:
        """Append one epoch (dicts hold "loss" and each metric); return True if it is the new best."""
        self.train_loss.append(train["loss"])
        _append_metrics(self.train_metrics, train)
        if val is not None:
            self.val_loss.append(val["loss"])
            _append_metrics(self.val_metrics, val)
        self.grad_norm.extend(step_norms)
        self.epoch_grad_norm.append(sum(step_norms) / len(step_norms) if step_norms else 0.0)
        loss = self.monitored[-1]
        if self.best_loss is None or loss < self.best_loss:
            self.best_epoch, self.best_loss = self.epochs - 1, loss
            return True
        return False

    def to_dict(self) -> dict:
        """Plain lists and numbers (what checkpoints store)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        """Inverse of to_dict."""
        return cls(**data)


def _append_metrics(table: dict[str, list[float]], values: dict) -> None:
    for name, value in values.items():
        if name != "loss":
            table.setdefault(name, []).append(value)
