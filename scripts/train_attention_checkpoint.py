"""Train the encoder–decoders of notebook 12 to convergence and store them in notebooks/artifacts/.

Usage:  OMP_NUM_THREADS=1 python scripts/train_attention_checkpoint.py [--part main|controls|all]

Two tasks, each with a Seq2Seq (no attention) and an AttentionSeq2Seq (additive attention) of about the
same number of parameters, three seeds each, plus one plain Seq2Seq per task trained several times longer
(the control that more training would not close the gap):

    g2p    spelling → phonemes, CMU dictionary words of at most 10 letters (notebook 11's task)
    dates  human-readable dates in seven languages → ISO dates (course_lib.data.dates, synthetic)

and, for the notebook's self-attention section, notebook 08's GRU surname classifier and a classifier with
one self-attention layer in place of the GRU, three seeds each (a minute).

Each run: Adam, a cosine learning-rate decay to zero over a fixed number of epochs, gradient clipping;
the validation loss of every epoch is stored with the weights, so the notebook can show that training
had converged. Weights are stored in float16 (the notebook evaluates in float32). Per-run checkpoints
go to checkpoints/12_attention/ (ignored by git), so an interrupted run resumes where it stopped.
About 70 minutes on one idle CPU thread.
"""

import argparse
import dataclasses
import functools
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from course_lib import data, train
from course_lib.data.dates import load_dates
from course_lib.text import Vocab, collate
from course_lib.torch.models import ClassifierConfig, Seq2Seq, Seq2SeqConfig, SequenceClassifier
from course_lib.torch.models_attention import (
    AttentionSeq2Seq,
    AttentionSeq2SeqConfig,
    SelfAttentionClassifier,
    SelfAttentionClassifierConfig,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks" / "artifacts" / "12_attention.pt"
CACHE = ROOT / "checkpoints" / "12_attention"

# Per task: model sizes and training settings. The plain model's hidden size is chosen to match the
# attention model's parameter count (matched_hidden_size).
SETTINGS = {
    "g2p": {"embed_dim": 32, "hidden_size": 64, "attn_size": 32, "epochs": 15, "batch_size": 256,
            "lr": 3e-3, "n_val": 2000},
    "dates": {"embed_dim": 32, "hidden_size": 64, "attn_size": 32, "epochs": 15, "batch_size": 128,
              "lr": 3e-3, "n_val": 1000},
}
CONTROL_FACTOR = {"g2p": 2, "dates": 4}  # the control run of the plain model trains this many times longer


def g2p_pairs():
    """(train pairs, val pairs, source itos, target itos) for spelling → phonemes, words of ≤ 10 letters."""
    pairs = data.load_cmudict(max_len=10)
    return _encode(pairs.train.sources, pairs.train.targets, pairs.val.sources, pairs.val.targets)


def dates_pairs():
    """(train pairs, val pairs, source itos, target itos) for dates → ISO, load_dates() defaults."""
    pairs = load_dates()
    return _encode(pairs.train.sources, pairs.train.targets, pairs.val.sources, pairs.val.targets)


def _encode(train_src, train_tgt, val_src, val_tgt):
    letters = Vocab([list(w) for w in train_src], unk=None)
    symbols = Vocab(train_tgt, unk=None, bos="<bos>", eos="<eos>")

    def encode(sources, targets):
        return [(letters.encode(list(s)), symbols.encode(t)) for s, t in zip(sources, targets, strict=True)]

    return encode(train_src, train_tgt), encode(val_src, val_tgt), letters.get_itos(), symbols.get_itos()


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def configs(task: str, src_vocab: int, tgt_vocab: int):
    """{"attention": AttentionSeq2SeqConfig, "plain": Seq2SeqConfig} with (nearly) equal parameter counts."""
    s = SETTINGS[task]
    attention = AttentionSeq2SeqConfig(src_vocab, tgt_vocab, s["embed_dim"], s["hidden_size"], cell="gru",
                                       impl="torch", attention="additive", attn_size=s["attn_size"])
    budget = n_params(AttentionSeq2Seq(attention))
    H = matched_hidden_size(budget, src_vocab, tgt_vocab, s["embed_dim"])
    plain = Seq2SeqConfig(src_vocab, tgt_vocab, s["embed_dim"], H, cell="gru", impl="torch")
    return {"plain": plain, "attention": attention}


def matched_hidden_size(budget: int, src_vocab: int, tgt_vocab: int, embed_dim: int) -> int:
    """The hidden size H whose Seq2Seq has the parameter count closest to `budget`."""
    def count(H):
        return n_params(Seq2Seq(Seq2SeqConfig(src_vocab, tgt_vocab, embed_dim, H, impl="torch")))

    return min(range(8, 512), key=lambda H: abs(count(H) - budget))


def train_one(task, kind, seed, epochs, train_pairs, val_pairs, config):
    """Train one model for `epochs` epochs; return {"state": float16 state_dict, "train_loss", "val_loss"}."""
    s = SETTINGS[task]
    pad_batch = functools.partial(collate, target_value=0)
    train.seed_everything(seed)
    model = (AttentionSeq2Seq if kind == "attention" else Seq2Seq)(config)
    loader = DataLoader(train_pairs, batch_size=s["batch_size"], shuffle=True, collate_fn=pad_batch,
                        generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val_pairs[: s["n_val"]], batch_size=500, collate_fn=pad_batch)
    optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    CACHE.mkdir(parents=True, exist_ok=True)
    history = train.fit(model, loader, val_loader, optimizer=optimizer, epochs=epochs,
                        batch_step=train.seq2seq_step(pad_id=0), clip_grad_norm=1.0, scheduler=scheduler,
                        checkpoint_path=CACHE / f"{task}_{kind}_seed{seed}_{epochs}epochs.pt", resume=True,
                        device="cpu", progress=False)
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    return {"state": state, "train_loss": list(history.train_loss), "val_loss": list(history.val_loss)}


def planned_runs(tasks, seeds, part, kinds=("plain", "attention")):
    """[(key, task, kind, seed, epochs)]: every seed of both models ("main"), and one plain model per task
    trained CONTROL_FACTOR times longer ("controls"), to check that more training would not close the gap."""
    runs = []
    if part in ("main", "all"):
        runs += [(f"{task}/{kind}/seed{seed}", task, kind, seed, SETTINGS[task]["epochs"])
                 for seed in seeds for task in tasks for kind in kinds]  # seeds outermost
    if part in ("controls", "all") and "plain" in kinds:
        runs += [(f"{task}/plain/seed{seeds[0]}/long", task, "plain", seeds[0],
                  CONTROL_FACTOR[task] * SETTINGS[task]["epochs"]) for task in tasks]
    return runs


def save_run(out, tasks, key, run):
    """Add one run to the artifact at `out` (read, update, atomic replace): runs can be added later."""
    artifact = torch.load(out) if out.exists() else {"runs": {}}
    artifact["settings"], artifact["control_factor"] = SETTINGS, CONTROL_FACTOR
    artifact.setdefault("tasks", {}).update(tasks)
    artifact["runs"][key] = run
    tmp = out.with_suffix(".tmp")
    torch.save(artifact, tmp)
    tmp.replace(out)


def surname_classifiers():
    """(encoded train and val pairs, vocabulary itos, {"gru": config, "self_attention": config}) for the
    surname task: notebook 08's GRU classifier and a self-attention classifier of about its size."""
    surnames = data.load_surnames()
    vocab = Vocab([list(name) for name in surnames.train.texts])

    def encode(split):
        return [(vocab.encode(list(t)), int(y)) for t, y in zip(split.texts, split.labels, strict=True)]

    C = len(surnames.classes)
    classifier_configs = {
        "gru": ClassifierConfig(C, vocab_size=len(vocab), input_size=32, hidden_size=64, cell="gru",
                                impl="torch", dropout=0.2),
        "self_attention": SelfAttentionClassifierConfig(C, len(vocab), embed_dim=48, ff_size=64, max_len=64),
    }
    return encode(surnames.train), encode(surnames.val), vocab.get_itos(), classifier_configs


def train_classifier(kind, seed, train_items, val_items, config):
    """Notebook 08's recipe: Adam 3e-3, batches of 64, up to 15 epochs, early stopping with patience 4."""
    train.seed_everything(seed)
    model = SequenceClassifier(config) if kind == "gru" else SelfAttentionClassifier(config)
    loader = DataLoader(train_items, batch_size=64, shuffle=True, collate_fn=collate,
                        generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val_items, batch_size=256, collate_fn=collate)
    history = train.fit(model, loader, val_loader, optimizer=torch.optim.Adam(model.parameters(), 3e-3),
                        epochs=15, loss_fn=nn.CrossEntropyLoss(), clip_grad_norm=1.0, patience=4,
                        device="cpu", progress=False)
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    return {"state": state, "train_loss": list(history.train_loss), "val_loss": list(history.val_loss)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tasks", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--part", choices=["main", "controls", "classifiers", "all"], default="all")
    parser.add_argument("--kinds", nargs="+", default=["plain", "attention"], choices=["plain", "attention"],
                        help="which encoder-decoders to train (to run them in separate processes)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    tasks, pairs = {}, {}
    for task in SETTINGS:
        train_pairs, val_pairs, src_itos, tgt_itos = {"g2p": g2p_pairs, "dates": dates_pairs}[task]()
        pairs[task] = (train_pairs, val_pairs, configs(task, len(src_itos), len(tgt_itos)))
        tasks[task] = {"src_itos": src_itos, "tgt_itos": tgt_itos,
                       "configs": {k: dataclasses.asdict(c) for k, c in pairs[task][2].items()}}
    train_items, val_items, itos, classifier_configs = surname_classifiers()
    tasks["surnames"] = {"src_itos": itos,
                         "configs": {k: dataclasses.asdict(c) for k, c in classifier_configs.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.part in ("classifiers", "all"):
        for seed in args.seeds:
            for kind, config in classifier_configs.items():
                run = train_classifier(kind, seed, train_items, val_items, config)
                save_run(args.out, tasks, f"surnames/{kind}/seed{seed}", run)
                print(f"surnames/{kind}/seed{seed}: val loss {min(run['val_loss']):.4f}", flush=True)
    for key, task, kind, seed, epochs in planned_runs(args.tasks, args.seeds, args.part, args.kinds):
        start = time.perf_counter()
        train_pairs, val_pairs, task_configs = pairs[task]
        run = train_one(task, kind, seed, epochs, train_pairs, val_pairs, task_configs[kind])
        save_run(args.out, tasks, key, run)  # after every run, so that a partial artifact is usable
        print(f"{key}: val loss {run['val_loss'][-1]:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
