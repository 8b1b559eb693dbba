"""course_lib.progress: a plain-text bar on stderr (never a widget), and fit's bars use it."""

import pytest

from course_lib.progress import BAR, progress_bar


def test_progress_bar_writes_text_to_stderr_only(capsys):
    assert list(progress_bar(range(3), "steps")) == [0, 1, 2]
    out, err = capsys.readouterr()
    assert out == ""
    final = err.split("\r")[-1].strip()
    assert final.startswith("steps: 100%|" + "█" * BAR + "| 3/3 [")


def test_progress_bar_can_be_disabled(capsys):
    assert sum(progress_bar(range(4), "quiet", disable=True)) == 6
    assert capsys.readouterr() == ("", "")


def test_progress_bar_is_the_text_bar_not_the_notebook_widget():
    import tqdm.std

    bar = progress_bar(range(1), "x")
    assert type(bar) is tqdm.std.tqdm  # tqdm.auto would pick tqdm.notebook's widget inside Jupyter
    bar.close()


def test_fit_shows_epochs_on_stderr(capsys):
    torch = pytest.importorskip("torch")
    from course_lib.train import fit

    model = torch.nn.Linear(2, 2)
    batches = [(torch.ones(4, 2), torch.zeros(4, dtype=torch.long))]
    fit(model, batches, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2,
        loss_fn=torch.nn.CrossEntropyLoss(), device="cpu")
    out, err = capsys.readouterr()
    final = err.split("\r")[-1]
    assert final.startswith("training: 100%") and "2/2" in final and "epochs=2/2" in final
    assert "\n" not in err.strip() and "\x1b" not in err  # one line, no cursor movement (nested bars)
    assert out == ""
