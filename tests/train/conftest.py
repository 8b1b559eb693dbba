"""Tiny tasks and models shared by the training-loop tests."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from course_lib.torch.models import ClassifierConfig, LanguageModel, LMConfig, SequenceClassifier


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread avoids oversubscribing the shared CPU cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def cycle_lm_batches(period=5, n_streams=8, T=12, batch_size=4):
    """Language modelling on 0, 1, ..., period-1, 0, 1, ...: (x, y) batches, y = x shifted by one."""
    start = torch.arange(n_streams).unsqueeze(1)  # (n_streams, 1) each stream starts elsewhere
    seq = (start + torch.arange(T + 1)) % period  # (n_streams, T+1)
    x, y = seq[:, :-1], seq[:, 1:]
    return [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, n_streams, batch_size)]


def tiny_lm(vocab=5, dropout=0.0, impl="scratch") -> LanguageModel:
    return LanguageModel(LMConfig(vocab, embed_dim=8, hidden_size=16, cell="gru", impl=impl, dropout=dropout))


def first_token_task(n=32, T=6, vocab=6, seed=0):
    """Padded (x, lengths, y) examples whose class is whether the first token is even."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, T + 1, (n,), generator=g)
    x = torch.randint(1, vocab, (n, T), generator=g)
    x[torch.arange(T) >= lengths.unsqueeze(1)] = 0
    y = (x[:, 0] % 2 == 0).long()
    return TensorDataset(x, lengths, y)


def tiny_classifier(dropout=0.0, impl="scratch") -> SequenceClassifier:
    config = ClassifierConfig(2, vocab_size=6, input_size=6, hidden_size=8, cell="gru", impl=impl,
                              dropout=dropout, num_layers=2)
    return SequenceClassifier(config)


def loader(dataset, batch_size=8, shuffle=False):
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)


@pytest.fixture
def lm_batches():
    return cycle_lm_batches()


@pytest.fixture
def make_lm():
    return tiny_lm


@pytest.fixture
def classify_data():
    return first_token_task()


@pytest.fixture
def make_classifier():
    return tiny_classifier


@pytest.fixture
def make_loader():
    return loader
