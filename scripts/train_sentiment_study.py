"""Train notebook 13's sentiment models over several seeds and save their test predictions.

Usage:  python scripts/train_sentiment_study.py [--seeds 3] [--out notebooks/artifacts/13_sentiment_study.pt]

For every model of notebook 13 (two bag-of-n-gram logistic regressions, and RNN, GRU, LSTM and
bidirectional LSTM classifiers) this script
  1. sweeps the learning rate over LEARNING_RATES with seed 0 and keeps the one with the lowest
     validation loss (the test reviews are never looked at for any choice),
  2. trains seeds 1 .. k-1 at that learning rate,
  3. stores every run's probability of "great" for each test review, its best epoch and
     validation loss, and the seed-0 weights of the LSTM (float16) for the notebook to read.
The notebook computes every score from these predictions. Run with OMP_NUM_THREADS=1 (as
`make artifacts` does); about 15 CPU-minutes, the bidirectional LSTM a third of them.
"""

import argparse
import hashlib
import sys
import time
from pathlib import Path

import torch

from course_lib import data
from course_lib.text import Vocab, word_tokenize
from course_lib.text.bag_of_words import BagOfWordNgrams
from course_lib.torch.models import ClassifierConfig, SequenceClassifier
from course_lib.torch.models_bag import BagClassifier
from course_lib.train.classify import predict_proba, train_classifier

ROOT = Path(__file__).resolve().parents[1]
# The pipeline of notebook 13; the notebook checks that its own settings equal these.
SETTINGS = {
    "tokenizer": {"lower": True, "punctuation": "keep", "contractions": "split", "numbers": "mask"},
    "min_freq": 2,  # a word seen once in training is <unk>
    "max_len": 200,  # longer reviews keep their last 200 tokens (about 7% of reviews)
    "embed": 64,
    "hidden": 64,
    "dropout": 0.3,
    "pooling": "mean",
    "batch_size": 64,
    "epochs": 12,
    "patience": 2,
    "clip": 1.0,
    "bag_min_count": 2,  # an n-gram must occur in 2 training reviews
    "bag_epochs": 30,
    "bag_patience": 3,
}
LEARNING_RATES = (1e-3, 3e-3, 1e-2)
ARTIFACT = "13_sentiment_study.pt"
# name -> ("bag", orders) or ("rnn", cell, bidirectional, pooling)
MODELS = {
    "bag of words": ("bag", (1,)),
    "bag of 1-2-grams": ("bag", (1, 2)),
    "RNN": ("rnn", "rnn", False, "mean"),
    "GRU": ("rnn", "gru", False, "mean"),
    "LSTM": ("rnn", "lstm", False, "mean"),
    "BiLSTM": ("rnn", "lstm", True, "mean"),
}


def tokenize(text: str) -> list[str]:
    return word_tokenize(text, **SETTINGS["tokenizer"])


def prepare():
    """Tokens, vocabulary and encoded (ids, label) pairs for every split, as notebook 13 builds them."""
    reviews = data.load_fine_food_reviews()
    splits = {"train": reviews.train, "val": reviews.val, "test": reviews.test}
    tokens = {k: [tokenize(t) for t in s.texts] for k, s in splits.items()}
    vocab = Vocab(tokens["train"], min_freq=SETTINGS["min_freq"])
    labels = {k: s.labels.tolist() for k, s in splits.items()}
    return reviews, tokens, vocab, labels


def make_model(spec, vocab_size, num_ids=None):
    if spec[0] == "bag":
        return BagClassifier(num_ids, 2)
    _, cell, bidirectional, pooling = spec
    s = SETTINGS
    config = ClassifierConfig(2, vocab_size=vocab_size, input_size=s["embed"], hidden_size=s["hidden"],
                              cell=cell, bidirectional=bidirectional, impl="torch", pooling=pooling,
                              dropout=s["dropout"])
    return SequenceClassifier(config)


def items_for(spec, tokens, vocab, labels, bag=None):
    """(ids, label) pairs of every split in the form the model reads."""
    if spec[0] == "bag":
        pairs = {k: zip(tokens[k], labels[k], strict=True) for k in tokens}
        return {k: [(bag.encode(t) or [0], y) for t, y in pairs[k]] for k in tokens}
    m = SETTINGS["max_len"]
    return {k: [(vocab.encode(t[-m:]), y) for t, y in zip(tokens[k], labels[k], strict=True)] for k in tokens}


def run(spec, items, vocab_size, num_ids, seed, lr):
    torch.manual_seed(seed)
    model = make_model(spec, vocab_size, num_ids)
    s = SETTINGS
    if spec[0] == "bag":
        kwargs = {"epochs": s["bag_epochs"], "patience": s["bag_patience"], "clip_grad_norm": None}
    else:
        kwargs = {"epochs": s["epochs"], "patience": s["patience"], "clip_grad_norm": s["clip"]}
    start = time.process_time()
    history = train_classifier(model, items["train"], items["val"], seed=seed, lr=lr,
                               batch_size=s["batch_size"], **kwargs)
    seconds = time.process_time() - start
    p_great = predict_proba(model, [ids for ids, _ in items["test"]])[:, 1]
    return model, {"p_great": torch.from_numpy(p_great).to(torch.float16), "seconds": seconds,
                   "best_epoch": history.best_epoch + 1, "epochs": history.epochs,
                   "val_loss": float(history.best_loss)}


def study_model(name, spec, tokens, vocab, labels, seeds, rates=LEARNING_RATES):
    bag = None
    if spec[0] == "bag":
        bag = BagOfWordNgrams(spec[1], min_count=SETTINGS["bag_min_count"]).fit(tokens["train"])
    items = items_for(spec, tokens, vocab, labels, bag)
    num_ids = len(bag) if bag is not None else None
    sweep, models = {}, {}
    for lr in rates:
        models[lr], sweep[lr] = run(spec, items, len(vocab), num_ids, 0, lr)
        r = sweep[lr]
        print(f"{name:>17} lr {lr:g}: val loss {r['val_loss']:.4f}, best epoch {r['best_epoch']}, "
              f"{r['seconds']:.0f} s", flush=True)
    lr = min(rates, key=lambda r: sweep[r]["val_loss"])
    runs = [sweep[lr]]
    for seed in range(1, seeds):
        runs.append(run(spec, items, len(vocab), num_ids, seed, lr)[1])
        print(f"{name:>17} seed {seed}: val loss {runs[-1]['val_loss']:.4f}", flush=True)
    result = {
        "lr": lr,
        "sweep_val_loss": {float(r): sweep[r]["val_loss"] for r in rates},
        "p_great": torch.stack([r["p_great"] for r in runs]),  # (seeds, n_test) float16
        "best_epoch": [r["best_epoch"] for r in runs],
        "val_loss": [r["val_loss"] for r in runs],
        "seconds": [r["seconds"] for r in runs],
        "num_features": num_ids,
    }
    return result, models[lr]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per model (default 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "notebooks" / "artifacts" / ARTIFACT)
    parser.add_argument("--models", nargs="*", default=list(MODELS), help="a subset of the models")
    parser.add_argument("--resume", action="store_true",
                        help="keep the models already in --out (same settings) and train only the others")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    reviews, tokens, vocab, labels = prepare()
    test_digest = hashlib.sha256("\n".join(reviews.test.texts).encode()).hexdigest()
    out = {"settings": SETTINGS, "learning_rates": list(LEARNING_RATES), "itos": vocab.get_itos(),
           "test_sha256": test_digest, "seeds": args.seeds, "models": {}, "torch": str(torch.__version__)}
    if args.resume and args.out.exists():
        done = torch.load(args.out, weights_only=True)
        if done["settings"] != SETTINGS or done["itos"] != out["itos"] or done["seeds"] != args.seeds:
            parser.error(f"{args.out} was made with other settings; run without --resume")
        out = done
    for name in args.models:
        if name in out["models"]:
            continue
        result, model = study_model(name, MODELS[name], tokens, vocab, labels, args.seeds)
        out["models"][name] = result
        if name == "LSTM":
            out["lstm_state"] = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(out, args.out)  # after every model, so an interrupted run keeps what it finished
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
