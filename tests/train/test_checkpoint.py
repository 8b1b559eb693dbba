"""Checkpoints: a save/load round trip, and resuming equals never stopping."""

import pytest
import torch
from torch import nn

from course_lib.train import History, fit, load_checkpoint, save_checkpoint, seed_everything

CE = nn.CrossEntropyLoss()


def assert_same_weights(a: nn.Module, b: nn.Module):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert torch.equal(sa[name], sb[name]), name


def test_save_load_round_trip_restores_model_optimizer_history_and_epoch(tmp_path, lm_batches, make_lm):
    seed_everything(0)
    model = make_lm()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, lm_batches, optimizer=optimizer, epochs=2, loss_fn=CE, progress=False)
    path = tmp_path / "sub" / "run.pt"
    save_checkpoint(path, model, optimizer, history=history, epoch=1, extra={"note": "two epochs"})

    seed_everything(1)  # different initial weights
    model2 = make_lm().to(next(model.parameters()).device)
    optimizer2 = torch.optim.Adam(model2.parameters(), lr=0.5)
    ckpt = load_checkpoint(path, model2, optimizer2)
    assert_same_weights(model2, model)
    assert optimizer2.state_dict()["param_groups"][0]["lr"] == 0.01
    state, state2 = optimizer.state_dict()["state"], optimizer2.state_dict()["state"]
    assert all(torch.equal(state[k]["exp_avg"], state2[k]["exp_avg"]) for k in state)
    assert ckpt.epoch == 1 and ckpt.history == history and ckpt.extra == {"note": "two epochs"}
    assert not path.with_name("run.pt.tmp").exists()


def test_loading_an_optimizer_from_a_model_only_checkpoint_is_an_error(tmp_path, make_lm):
    model = make_lm()
    save_checkpoint(tmp_path / "m.pt", model)
    ckpt = load_checkpoint(tmp_path / "m.pt", make_lm())
    assert ckpt.epoch is None and ckpt.history is None
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(tmp_path / "m.pt", model, torch.optim.SGD(model.parameters(), lr=0.1))


def run(classify_data, make_classifier, make_loader, epochs, path=None, resume=False, init_seed=0):
    """A run with shuffling, dropout, Adam and a scheduler: everything resuming must restore."""
    seed_everything(init_seed)
    model = make_classifier(dropout=0.3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    data = make_loader(classify_data, shuffle=True)
    history = fit(model, data, data, optimizer=optimizer, epochs=epochs, loss_fn=CE, scheduler=scheduler,
                  checkpoint_path=path, resume=resume, seed=5, device="cpu", progress=False)
    return model, history


def test_resumed_training_equals_uninterrupted_training(tmp_path, classify_data, make_classifier,
                                                        make_loader):
    args = classify_data, make_classifier, make_loader
    straight, straight_history = run(*args, epochs=4)
    path = tmp_path / "ckpt.pt"
    run(*args, epochs=2, path=path)
    seed_everything(123)  # scramble every RNG between the two sessions
    torch.rand(10)
    resumed, resumed_history = run(*args, epochs=4, path=path, resume=True, init_seed=99)
    assert_same_weights(resumed, straight)
    assert resumed_history == straight_history
    assert resumed_history.epochs == 4


def test_resume_without_a_checkpoint_starts_fresh(tmp_path, classify_data, make_classifier, make_loader):
    path = tmp_path / "none_yet.pt"
    _, history = run(classify_data, make_classifier, make_loader, epochs=1, path=path, resume=True)
    assert history.epochs == 1 and path.exists()


def test_a_run_that_stopped_early_stays_stopped_when_resumed(tmp_path, lm_batches, make_lm):
    model = make_lm()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "stopped.pt"
    stopped = History(train_loss=[1.0, 2.0], best_epoch=0, best_loss=1.0, stopped_early=True)
    save_checkpoint(path, model, optimizer, history=stopped, epoch=1)
    history = fit(model, lm_batches, optimizer=optimizer, epochs=10, loss_fn=CE, checkpoint_path=path,
                  resume=True, progress=False)
    assert history == stopped
