"""train_classifier, predict_proba, LengthBuckets and the standard errors."""

import numpy as np
import pytest
import torch

from course_lib.torch.models import ClassifierConfig, SequenceClassifier
from course_lib.torch.models_bag import BagClassifier
from course_lib.train.classify import (
    LengthBuckets,
    binomial_standard_error,
    mean_and_standard_error,
    predict_proba,
    train_classifier,
)


def keyword_task(n=200, seed=0):
    """(ids, label) pairs: label 1 when token 3 occurs; lengths 2..12, ids 1..9."""
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(n):
        ids = rng.integers(1, 10, size=rng.integers(2, 13)).tolist()
        items.append((ids, int(3 in ids)))
    return items


def test_length_buckets_cover_every_index_once_and_group_lengths():
    lengths = np.random.default_rng(0).integers(1, 100, size=1000)
    sampler = LengthBuckets(lengths, batch_size=32, generator=torch.Generator().manual_seed(0), pool=10)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 32
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 20  # a random batch of 32 spans about 90
    again = list(LengthBuckets(lengths, 32, torch.Generator().manual_seed(0), pool=10))
    assert again == batches  # the seed fixes the order


def test_a_bag_model_learns_the_keyword_and_is_reproducible():
    train, val = keyword_task(300, 0), keyword_task(100, 1)
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = BagClassifier(10, 2)
        history = train_classifier(model, train, val, seed=0, lr=0.1, epochs=15, patience=3,
                                   clip_grad_norm=None)
        p = predict_proba(model, [ids for ids, _ in val])
        results.append(p)
        assert history.best_loss < 0.2
    assert p.shape == (100, 2) and np.allclose(p.sum(1), 1, atol=1e-6)
    accuracy = np.mean(p.argmax(1) == np.array([y for _, y in val]))
    assert accuracy > 0.95
    np.testing.assert_array_equal(results[0], results[1])


def test_predict_proba_batches_agree_and_restore_mode():
    torch.manual_seed(0)
    model = SequenceClassifier(ClassifierConfig(2, vocab_size=10, input_size=4, hidden_size=5, impl="torch",
                                                dropout=0.5))
    model.train()
    seqs = [ids for ids, _ in keyword_task(23)]
    small, large = predict_proba(model, seqs, batch_size=4), predict_proba(model, seqs, batch_size=100)
    np.testing.assert_allclose(small, large, atol=1e-6)  # eval mode: no dropout, packing exact
    assert model.training


def test_standard_errors():
    mean, se = mean_and_standard_error([0.8, 0.82, 0.84])
    assert mean == pytest.approx(0.82) and se == pytest.approx(0.02 / np.sqrt(3))
    assert mean_and_standard_error([0.5]) == (0.5, 0.0)
    assert binomial_standard_error(0.75, 300) == pytest.approx(0.025)
    with pytest.raises(ValueError):
        mean_and_standard_error([])
    with pytest.raises(ValueError):
        binomial_standard_error(1.5, 10)
