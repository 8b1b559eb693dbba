"""The training loop every notebook uses, and what it needs: steps, checkpoints, seeding, clipping.

    history = fit(model, train_loader, val_loader, optimizer=opt, epochs=20,
                  loss_fn=nn.CrossEntropyLoss(), clip_grad_norm=1.0, patience=3, progress=False)
    evaluate(model, test_loader, loss_fn=nn.CrossEntropyLoss(), metrics={"acc": accuracy})
"""

from course_lib.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from course_lib.train.clip import clip_grad_norm_, grad_norm
from course_lib.train.history import History
from course_lib.train.loop import evaluate, fit
from course_lib.train.metrics import accuracy
from course_lib.train.runtime import default_device, get_rng_state, seed_everything, set_rng_state, to_device
from course_lib.train.steps import StepOutput, TBPTTStep, seq2seq_step, supervised_step

__all__ = [
    "fit",
    "evaluate",
    "History",
    "StepOutput",
    "supervised_step",
    "seq2seq_step",
    "TBPTTStep",
    "accuracy",
    "clip_grad_norm_",
    "grad_norm",
    "save_checkpoint",
    "load_checkpoint",
    "Checkpoint",
    "default_device",
    "seed_everything",
    "get_rng_state",
    "set_rng_state",
    "to_device",
]
