"""Train notebook 14's character-level LSTM on O'Neill's Irish tunes (ABC text) and save it.

Usage:  python scripts/train_tune_lm.py [--epochs 10] [--out notebooks/artifacts/14_tune_lstm.pt]

The training text is every training tune's `abc` (three header lines M:, L:, K:, then the
melody), tunes separated by a blank line, in a seeded random order: O'Neill's book groups tunes by
kind (jigs, then reels, ...), and in book order a model learns that a tune has the metre of the
one before it. The model is the course's LanguageModel (an LSTM over
characters), trained statefully with truncated BPTT (as in notebook 09) and a linearly decaying
learning rate. The file holds the weights (float16), the alphabet, the settings and the
validation loss per epoch. Run with OMP_NUM_THREADS=1 (as `make artifacts` does).
"""

import argparse
import sys
import time
from pathlib import Path

import torch

from course_lib import data
from course_lib.torch.models import LanguageModel, LMConfig
from course_lib.train import TBPTTStep, fit, seed_everything
from course_lib.train.language_model import stream_batches

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = "14_tune_lstm.pt"
SETTINGS = {"embed_dim": 32, "hidden_size": 256, "dropout": 0.1, "n_streams": 32, "seq_len": 100, "lr": 4e-3,
            "seed": 0}


def tune_text(tunes) -> str:
    """The tunes' ABC texts, each followed by a blank line."""
    return "".join(t.abc + "\n" for t in tunes)


def make_model(vocab_size: int) -> LanguageModel:
    s = SETTINGS
    return LanguageModel(LMConfig(vocab_size, embed_dim=s["embed_dim"], hidden_size=s["hidden_size"],
                                  dropout=s["dropout"], cell="lstm", impl="torch"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "notebooks" / "artifacts" / ARTIFACT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    tunes = data.load_oneills_tunes()
    order = torch.randperm(len(tunes.train), generator=torch.Generator().manual_seed(SETTINGS["seed"]))
    text = {"train": tune_text([tunes.train[i] for i in order.tolist()]), "val": tune_text(tunes.val)}
    itos = sorted(set(text["train"]))
    stoi = {ch: i for i, ch in enumerate(itos)}
    ids = {k: [stoi[ch] for ch in t if ch in stoi] for k, t in text.items()}
    s = SETTINGS
    seed_everything(s["seed"])
    model = make_model(len(itos))
    optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1 - epoch / args.epochs)
    start = time.process_time()
    history = fit(model, stream_batches(ids["train"], s["n_streams"], s["seq_len"]),
                  stream_batches(ids["val"], s["n_streams"], s["seq_len"]), optimizer=optimizer,
                  epochs=args.epochs, batch_step=TBPTTStep(), clip_grad_norm=1.0, scheduler=scheduler,
                  device="cpu")
    seconds = time.process_time() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state": {k: v.half() for k, v in model.state_dict().items()}, "itos": itos, "order": order,
                "settings": SETTINGS, "epochs": args.epochs, "val_loss": list(history.val_loss),
                "train_loss": list(history.train_loss), "cpu_seconds": seconds}, args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB, validation loss per epoch "
          f"{[round(v, 3) for v in history.val_loss]}, {seconds:.0f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
