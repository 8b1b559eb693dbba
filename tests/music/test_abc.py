"""The ABC reader: pitches, lengths, keys, bars and errors, against hand-worked examples and music21."""

import difflib
import re
from fractions import Fraction as Fr

import pytest

from course_lib.music import abc
from course_lib.music.abc import key_signature, length_multiplier, metre_length, parse_tune


def tune(melody, metre="4/4", unit="1/8", key="C"):
    return parse_tune(f"M:{metre}\nL:{unit}\nK:{key}\n{melody}\n")


@pytest.mark.parametrize(("text", "value"), [("", 1), ("2", 2), ("/", Fr(1, 2)), ("//", Fr(1, 4)),
                                             ("/4", Fr(1, 4)), ("3/2", Fr(3, 2)), ("3", 3)])
def test_length_multiplier(text, value):
    assert length_multiplier(text) == value


@pytest.mark.parametrize(("metre", "length"), [("6/8", Fr(3, 4)), ("C", 1), ("C|", 1), ("3/4", Fr(3, 4)),
                                               ("9/8", Fr(9, 8)), ("x", None), ("3/0", None)])
def test_metre_length(metre, length):
    assert metre_length(metre) == length


@pytest.mark.parametrize(("key", "signature"), [
    ("C", {}), ("G", {"F": 1}), ("D", {"F": 1, "C": 1}), ("F", {"B": -1}), ("Bb", {"B": -1, "E": -1}),
    ("Em", {"F": 1}), ("Am", {}), ("Dmix", {"F": 1}), ("Ador", {"F": 1}), ("AMix", {"F": 1, "C": 1}),
    ("Gm", {"B": -1, "E": -1}), ("F#m", {"F": 1, "C": 1, "G": 1}), ("Bn", None), ("H", None)])
def test_key_signatures(key, signature):
    assert key_signature(key) == signature


def test_pitches_octaves_and_accidentals():
    t = tune("C D E F G A B c d' C, ^C _E =F z |")
    pitches = [n.pitch for n in t.notes]
    assert pitches == [60, 62, 64, 65, 67, 69, 71, 72, 86, 48, 61, 63, 65, None]


def test_key_signature_and_bar_scoped_accidentals():
    t = tune("F f =F F | F c2 ^c | c", key="D")  # D major: F# and C#
    assert [n.pitch for n in t.notes] == [66, 78, 65, 65, 66, 73, 73, 73]


def test_lengths_broken_rhythm_and_tuplets():
    t = tune("A2 B/ c>d e<f (3gab z3/2 |")
    durations = [n.duration for n in t.notes]
    assert durations == [Fr(1, 4), Fr(1, 16), Fr(3, 16), Fr(1, 16), Fr(1, 16), Fr(3, 16),
                         Fr(1, 12), Fr(1, 12), Fr(1, 12), Fr(3, 16)]
    starts = [n.start for n in t.notes]
    assert all(b == a + d for a, b, d in zip(starts, starts[1:], durations, strict=False))


def test_bars_chords_and_skipped_marks():
    text = '|: "G" ~G2 !trill!B {ag}d [GBd]2 (AB) | c4- c4 :|'
    t = tune(text)
    assert t.bars == [1, 1] and not t.errors
    assert [n.pitch for n in t.notes][:4] == [67, 71, 74, 67]  # the chord sounds its first note
    assert t.bar_accuracy() == 0.0  # no inner bars: the first and last are not judged


def test_bar_accuracy_counts_inner_bars_only():
    t = tune("B | cdef gabc | cdef gab | cdef gabc | c", metre="C|")
    assert t.bars == [Fr(1, 8), 1, Fr(7, 8), 1]
    assert t.bar_accuracy() == pytest.approx(1 / 2)  # inner bars: 7/8 (wrong), 1 (right)


def test_validity():
    assert tune("cdef gabc | cdef gabc |").valid
    assert not tune("cdef gabc").valid  # no bar line
    assert not tune("cd | ef |").valid  # fewer than MIN_NOTES notes
    bad = tune("cdef gabc | cd*ef gabc |")
    assert not bad.valid and bad.errors == ["cannot read '*ef gabc |'"]
    assert parse_tune("M:6/8\nK:G\ncdef gabc |").errors == ["unit length None"]
    assert "key 'Q'" in parse_tune("M:6/8\nL:1/8\nK:Q\ncdef gabc |").errors
    assert abc.MIN_NOTES == 8


@pytest.mark.slow
def test_pitches_agree_with_music21_on_real_tunes():
    # music21 reads ABC its own way in corner cases (a broken rhythm next to a tie or across a
    # space, how far an accidental reaches): we ask for near agreement, measured on 80 tunes.
    music21 = pytest.importorskip("music21")
    from course_lib import data

    similarity, same_length = [], 0
    tunes = [t for t in data.load_oneills_tunes().train[:80] if not re.search(r"\[[\^_=]*[A-Ga-g]", t.melody)]
    for t in tunes:  # tunes with chords left out: music21 sounds every note of a chord, we the first
        ours = parse_tune(t.abc)
        score = music21.converter.parse(t.abc, format="abc").flatten()
        theirs = [n.pitch.midi for n in score.notes if n.quarterLength > 0]  # grace notes have no length
        mine = [n.pitch for n in ours.notes if n.pitch is not None]
        similarity.append(difflib.SequenceMatcher(a=mine, b=theirs, autojunk=False).ratio())
        total = sum(n.duration for n in ours.notes)
        same_length += abs(total - Fr(score.highestTime).limit_denominator(96) / 4) < Fr(1, 4)
    assert len(tunes) == 80
    assert sum(similarity) / len(tunes) > 0.99 and min(similarity) > 0.95  # measured 0.996 and 0.959
    assert sum(s == 1.0 for s in similarity) >= 55  # 59 identical pitch sequences
    assert same_length >= 65  # 71 within a quarter note in total length
