"""O'Neill's tunes: sizes, fields, one tune per number, deterministic splits, clear errors, no network."""

import socket
import subprocess
import sys
from collections import Counter

import pytest

from course_lib import data
from course_lib.data import MissingDataPackageError
from course_lib.data.tunes import parse_collection


@pytest.fixture(scope="module")
def tunes():
    return data.load_oneills_tunes()


def test_opens_no_network_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a data loader tried to open a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    data.load_oneills_tunes()


def test_documented_sizes(tunes):
    assert tunes.name == "oneills1850"
    assert [len(tunes.train), len(tunes.val), len(tunes.test)] == [1401, 152, 169]
    everything = tunes.train + tunes.val + tunes.test
    assert sum(len(t.abc) for t in everything) == 442_111
    numbers = [t.number for t in everything]
    assert len(numbers) == len(set(numbers)) and min(numbers) == 1 and max(numbers) <= 1850


def test_fields_of_the_first_tune(tunes):
    first = next(t for t in tunes.train + tunes.val + tunes.test if t.number == 1)
    assert first.title == "The Enchanted Valley"
    assert (first.metre, first.unit, first.key) == ("2/4", "1/16", "Gm")
    assert first.abc.startswith("M:2/4\nL:1/16\nK:Gm\nG3-A (Bcd=e) | f4 (g2dB) |")
    assert first.abc.endswith("||\n") and "\n\n" not in first.abc


def test_metres_keys_and_rhythms_are_those_of_irish_dance_music(tunes):
    everything = tunes.train + tunes.val + tunes.test
    metres = Counter(t.metre for t in everything)
    assert [m for m, _ in metres.most_common(2)] == ["6/8", "C|"]  # jigs, then reels
    keys = Counter(t.key for t in everything)
    assert keys["G"] + keys["D"] > 0.6 * len(everything)
    assert {"reel", "hornpipe", "jig", "double jig"} <= set(t.rhythm for t in everything)


def test_parse_collection_keeps_complete_tunes_only():
    text = "X: 7\nT: A\nM:6/8\nL:1/8\nK:D\nABc def|\n\nX: 8\nT: no key\nM:6/8\nL:1/8\nabc|\n"
    [tune] = parse_collection(text)
    assert (tune.number, tune.title, tune.melody) == (7, "A", "ABc def|")


def test_splits_are_deterministic_and_nested(tunes):
    again = data.load_oneills_tunes()
    assert [t.number for t in again.test] == [t.number for t in tunes.test]
    larger = data.load_oneills_tunes(test_fraction=0.2)
    assert {t.number for t in tunes.test} <= {t.number for t in larger.test}


def test_missing_package_error_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "music21", None)
    with pytest.raises(MissingDataPackageError, match="'music21'.*not installed"):
        data.load_oneills_tunes()


def test_install_size_is_reported():
    assert 80 < data.distribution_size_mb("music21") < 120  # 94.1 MB for 10.5.1, most of it its corpus


def test_music21_is_not_imported():
    # Imported in a notebook, music21 switches inline figures to double resolution.
    code = "import sys; from course_lib.data import load_oneills_tunes; load_oneills_tunes(); " \
           "print('music21' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
