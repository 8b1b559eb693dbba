"""fit and evaluate: learning a tiny task, early stopping, seeding, clipping, metrics, errors.

Tests that compare two runs bit for bit pass device="cpu": some CUDA kernels (embedding
backward) accumulate in a non-deterministic order. Every other test runs on default_device().
"""

import pytest
import torch
from torch import nn

from course_lib.train import (
    History,
    StepOutput,
    TBPTTStep,
    accuracy,
    default_device,
    evaluate,
    fit,
    seed_everything,
)

CE = nn.CrossEntropyLoss()


def test_fit_learns_a_tiny_language_modelling_task(lm_batches, make_lm):
    seed_everything(0)
    model = make_lm()
    history = fit(model, lm_batches, lm_batches, optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
                  epochs=20, loss_fn=CE, metrics={"acc": accuracy}, progress=False)
    assert history.train_loss[-1] < 0.1
    assert history.val_loss[-1] < 0.1
    assert history.val_metrics["acc"][-1] == 1.0
    assert history.epochs == 20 and len(history.grad_norm) == 20 * len(lm_batches)
    assert next(model.parameters()).device.type == default_device().type


def test_fit_learns_a_padded_classification_task(classify_data, make_classifier, make_loader):
    seed_everything(0)
    model = make_classifier()
    history = fit(model, make_loader(classify_data, shuffle=True), optimizer=torch.optim.Adam(
        model.parameters(), lr=0.03), epochs=25, loss_fn=CE, metrics={"acc": accuracy}, progress=False)
    assert history.train_loss[-1] < 0.1
    assert history.train_metrics["acc"][-1] == 1.0
    assert history.val_loss == []


def test_early_stopping_stops_and_restores_the_best_weights(classify_data, make_classifier, make_loader):
    train = make_loader(classify_data)
    x, lengths, y = classify_data.tensors
    flipped = make_loader(torch.utils.data.TensorDataset(x, lengths, 1 - y))  # gets worse as train improves
    seed_everything(0)
    model = make_classifier()
    history = fit(model, train, flipped, optimizer=torch.optim.Adam(model.parameters(), lr=0.03),
                  epochs=30, loss_fn=CE, patience=2, progress=False)
    assert history.stopped_early
    assert history.epochs == history.best_epoch + 3 < 30
    assert history.best_loss == min(history.val_loss)
    restored = evaluate(model, flipped, loss_fn=CE)["loss"]
    assert restored == pytest.approx(history.val_loss[history.best_epoch], rel=1e-6)
    assert restored != pytest.approx(history.val_loss[-1], rel=1e-3)  # not the last epoch's weights
    assert history.val_metrics == {}


def test_seeding_makes_two_runs_identical(classify_data, make_classifier, make_loader):
    def run():
        seed_everything(0)
        model = make_classifier(dropout=0.3)
        history = fit(model, make_loader(classify_data, shuffle=True), optimizer=torch.optim.SGD(
            model.parameters(), lr=0.1), epochs=2, loss_fn=CE, seed=1, device="cpu", progress=False)
        return model.state_dict(), history

    (w1, h1), (w2, h2) = run(), run()
    assert h1 == h2
    for name in w1:
        assert torch.equal(w1[name], w2[name]), name


def test_clipping_bounds_each_update_and_history_keeps_the_norm_before_clipping(lm_batches, make_lm):
    seed_everything(0)
    model = make_lm()
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    history = fit(model, lm_batches[:1], optimizer=torch.optim.SGD(model.parameters(), lr=1.0), epochs=1,
                  loss_fn=CE, clip_grad_norm=1e-3, device="cpu", progress=False)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert history.grad_norm[0] > 1e-3
    assert float((after - before).norm()) <= 1e-3 * (1 + 1e-5)
    assert history.epoch_grad_norm == history.grad_norm


def test_evaluate_weights_batches_by_size(classify_data, make_classifier, make_loader):
    model = make_classifier()
    x, lengths, y = classify_data.tensors
    stats = evaluate(model, make_loader(classify_data, batch_size=7), loss_fn=CE, metrics={"acc": accuracy})
    with torch.no_grad():
        logits = model(x, lengths)  # one batch of all 32 examples
    assert stats["loss"] == pytest.approx(float(CE(logits, y)), rel=1e-5)
    assert stats["acc"] == pytest.approx(accuracy(logits, y), rel=1e-6)


def test_evaluate_restores_train_mode(classify_data, make_classifier, make_loader):
    model = make_classifier().train()
    evaluate(model, make_loader(classify_data), loss_fn=CE)
    assert model.training


def test_a_stateful_step_is_reset_before_every_pass(lm_batches, make_lm):
    class CountingStep(TBPTTStep):
        resets = 0

        def reset(self):
            CountingStep.resets += 1
            super().reset()

    model = make_lm()
    step = CountingStep()
    fit(model, lm_batches, lm_batches, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2,
        batch_step=step, progress=False)
    evaluate(model, lm_batches, batch_step=step)
    assert CountingStep.resets == 5  # 2 epochs x (train + val) + 1 evaluate


def test_tbptt_training_with_carried_state_learns(make_lm):
    stream = torch.arange(4 * 61) % 5  # one long sequence, cut into 4 parallel streams
    rows = stream.view(4, 61)
    chunks = [(rows[:, t : t + 10], rows[:, t + 1 : t + 11]) for t in range(0, 60, 10)]
    seed_everything(0)
    model = make_lm()
    history = fit(model, chunks, optimizer=torch.optim.Adam(model.parameters(), lr=0.05), epochs=8,
                  batch_step=TBPTTStep(), progress=False)
    assert history.train_loss[-1] < 0.1


def test_progress_bars_run(lm_batches, make_lm, capsys):
    model = make_lm()
    fit(model, lm_batches, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, loss_fn=CE)
    err = capsys.readouterr().err
    assert "training: 100%" in err and f"{len(lm_batches)}/{len(lm_batches)}" in err and "epochs=1/1" in err


def test_scheduler_steps_once_per_epoch(lm_batches, make_lm):
    model = make_lm()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    fit(model, lm_batches, optimizer=optimizer, epochs=3, loss_fn=CE, scheduler=scheduler, progress=False)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / 8)


# ---------------------------------------------------------------- clear errors


def test_unhandled_batch_structure_names_what_the_loader_yielded(make_lm):
    model = make_lm()
    batches = [{"tokens": torch.zeros(2, 3, dtype=torch.long)}]
    with pytest.raises(TypeError, match=r"expects batches .*yielded dict\{'tokens': Tensor\(2, 3\) int64\}"):
        fit(model, batches, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, loss_fn=CE,
            progress=False)


def test_exactly_one_of_loss_fn_and_batch_step(lm_batches, make_lm):
    model = make_lm()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="exactly one"):
        fit(model, lm_batches, optimizer=optimizer, epochs=1, progress=False)
    with pytest.raises(ValueError, match="exactly one"):
        evaluate(model, lm_batches, loss_fn=CE, batch_step=TBPTTStep())


def test_metrics_need_a_step_output(lm_batches, make_lm):
    model = make_lm()

    def bare_loss(model, batch):
        return CE(model(batch[0])[0].flatten(0, 1), batch[1].flatten())

    with pytest.raises(TypeError, match="StepOutput"):
        evaluate(model, lm_batches, batch_step=bare_loss, metrics={"acc": accuracy})
    assert evaluate(model, lm_batches, batch_step=bare_loss)["loss"] > 0


def test_a_step_must_return_a_scalar_loss(lm_batches, make_lm):
    with pytest.raises(TypeError, match="scalar loss"):
        evaluate(make_lm(), lm_batches, batch_step=lambda model, batch: StepOutput(torch.ones(3)))


def test_empty_loader_and_non_finite_loss_are_reported(lm_batches, make_lm):
    model = make_lm()
    with pytest.raises(ValueError, match="no batches"):
        evaluate(model, [], loss_fn=CE)
    with pytest.raises(FloatingPointError, match="at batch 0"):
        evaluate(model, lm_batches, batch_step=lambda model, batch: torch.tensor(float("nan")))


def test_history_round_trips_through_a_dict():
    history = History(train_loss=[1.0, 0.5], train_metrics={"acc": [0.5, 0.7]}, best_epoch=1, best_loss=0.5)
    assert History.from_dict(history.to_dict()) == history
    assert history.monitored == [1.0, 0.5] and history.epochs == 2
