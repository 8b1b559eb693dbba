"""ABC music notation, the subset folk-tune collections use: read a tune into notes, and judge it.

An ABC tune is plain text: header fields, then the melody.

    M:6/8            metre: six eighth notes per bar ("C" is 4/4, "C|" is 2/2)
    L:1/8            unit note length: a bare letter lasts an eighth note
    K:G              key: G major, so every F is F sharp unless marked
    GAB c2d | e2d B2G | ...

Notes are letters (C D E F G A B from middle C up, c d e f g a b an octave higher; "," lowers and
"'" raises an octave), "^" sharp, "_" flat, "=" natural, then a length multiplier ("2", "/",
"3/2"); "z" is a rest ("Z", a bar's rest, is read as one unit). Bars are "|" (also "||", "|:",
":|", "|]", "[1" endings). Other marks are read and skipped: "quoted" chord names,
!decorations!, {grace notes}, slurs "( )", ties "-", ornaments "~ . H T u v", and tuplets "(3abc"
(three notes in the time of two). "A>B" dots the first note and halves the second ("<" the
reverse). Accidentals last until the bar line. Pure Python, no music21.

parse_tune(text) returns the header, the notes (MIDI pitch, start and duration in whole notes)
and the length of every bar; it records every character it cannot read as an error. Validity,
as the music notebook measures it: the header names a metre, a unit length and a key that this
module understands, the melody has no unreadable character, and it holds at least one complete
bar and MIN_NOTES notes.
"""

import re
from dataclasses import dataclass, field
from fractions import Fraction

MIN_NOTES = 8
# Semitones above C of each letter, and MIDI numbers: C = 60 is middle C.
_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARP_ORDER, _FLAT_ORDER = "FCGDAEB", "BEADGCF"
_MAJOR_SHARPS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7,
                 "F": -1, "Bb": -2, "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7}
# Sharps a mode has relative to the major key on the same tonic.
_MODE_SHIFT = {"": 0, "maj": 0, "ion": 0, "m": -3, "min": -3, "aeo": -3, "mix": -1, "dor": -2,
               "phr": -4, "lyd": 1, "loc": -5}
_KEY = re.compile(r"^([A-G])([#b]?)\s*([A-Za-z]*)")
_METRE = re.compile(r"^(\d+)/(\d+)$")
_TUPLET_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}  # (p: p notes in the time of q (ABC standard 2.1)

# One token of a melody line; the group name says what it is. Order matters: longer first.
_TOKEN = re.compile(r"""
    (?P<space>[\s\\`y]+)
  | (?P<comment>%.*)
  | (?P<field>\[[A-Za-z]:[^\]\n]*\])
  | (?P<ending>\[\d+(?:[,-]\d+)*)
  | (?P<bar>:*\[?\|+\]?:*\d*(?:[,-]\d+)*|::)
  | (?P<chordname>"[^"\n]*")
  | (?P<decoration>![^!\n]*!|\+[^+\n]*\+)
  | (?P<grace>\{[^}\n]*\})
  | (?P<tuplet>\((?P<p>[2-9])(?::\d*)?(?::\d*)?)
  | (?P<chord>\[(?P<inner>(?:[\^_=]*[A-Ga-g][,']*[\d/]*-?)+)\](?P<chordlen>\d*/*\d*))
  | (?P<note>(?P<acc>\^\^|\^|__|_|=)?(?P<letter>[A-Ga-g])(?P<oct>[,']*)(?P<len>\d*/*\d*))
  | (?P<rest>[zxZ](?P<restlen>\d*/*\d*))
  | (?P<broken>[<>]{1,3})
  | (?P<ornament>[()~.HLMOPSTuv-])
""", re.VERBOSE)
_INNER_NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)(\d*/*\d*)")


@dataclass(frozen=True)
class Note:
    pitch: int | None  # MIDI number, None for a rest
    start: Fraction  # in whole notes from the start of the melody
    duration: Fraction  # in whole notes


@dataclass
class ParsedTune:
    metre: str | None  # as written, e.g. "6/8"; None when missing
    unit: str | None  # "1/8"
    key: str | None  # "G", "Ador"
    notes: list = field(default_factory=list)  # Note, in time order
    bars: list = field(default_factory=list)  # duration of each complete bar, whole notes
    errors: list = field(default_factory=list)  # what could not be read

    @property
    def bar_length(self) -> Fraction | None:
        """Length of a full bar in whole notes, from the metre (None if the metre is unreadable)."""
        return metre_length(self.metre) if self.metre is not None else None

    @property
    def valid(self) -> bool:
        """Header readable, no unreadable character, >= 1 complete bar and >= MIN_NOTES notes."""
        heard = [n for n in self.notes if n.pitch is not None]
        return not self.errors and len(self.bars) >= 1 and len(heard) >= MIN_NOTES

    def bar_accuracy(self) -> float:
        """Fraction of complete bars, except the first and last, whose length equals the metre's."""
        inner = self.bars[1:-1]
        if not inner or self.bar_length is None:
            return 0.0
        return sum(b == self.bar_length for b in inner) / len(inner)


def metre_length(metre: str) -> Fraction | None:
    """Bar length in whole notes: "6/8" -> 3/4, "C" -> 1, "C|" -> 1; None if unreadable."""
    metre = metre.strip()
    if metre in ("C", "C|"):
        return Fraction(1)
    m = _METRE.match(metre)
    if not m or int(m.group(2)) == 0:
        return None
    return Fraction(int(m.group(1)), int(m.group(2)))


def key_signature(key: str) -> dict | None:
    """Letter -> +1 (sharp) or -1 (flat) for the key "G", "Em", "Dmix", "Bb", ...; None if unreadable."""
    m = _KEY.match(key.strip())
    if not m:
        return None
    tonic, mode = m.group(1) + m.group(2), m.group(3).lower()[:3]
    if mode not in _MODE_SHIFT and mode[:1] != "m":
        return None
    shift = _MODE_SHIFT.get(mode, -3 if mode[:1] == "m" else None)
    major = _MAJOR_SHARPS.get(tonic)
    if major is None:
        return None
    sharps = major + shift
    if sharps > 7 or sharps < -7:
        return None
    letters = _SHARP_ORDER[:sharps] if sharps > 0 else _FLAT_ORDER[:-sharps]
    return {letter: (1 if sharps > 0 else -1) for letter in letters}


def length_multiplier(text: str) -> Fraction:
    """ABC length suffix -> multiple of the unit: "" 1, "2" 2, "/" 1/2, "//" 1/4, "3/2" 3/2, "/4" 1/4."""
    m = re.fullmatch(r"(\d*)(/*)(\d*)", text)
    if not m:
        raise ValueError(f"not a length: {text!r}")
    num = int(m.group(1)) if m.group(1) else 1
    slashes, den = len(m.group(2)), m.group(3)
    if not slashes:
        return Fraction(num)
    return Fraction(num, int(den) if den else 2**slashes)


def split_tune(text: str) -> tuple[dict, str]:
    """Header fields {letter: value} (first of each; up to and including K:) and the melody text."""
    header, lines = {}, text.strip("\n").split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^([A-Za-z]):\s*(.*)$", line)
        if not m:
            return header, "\n".join(lines[i:])
        header.setdefault(m.group(1), m.group(2).strip())
        if m.group(1) == "K":
            return header, "\n".join(lines[i + 1 :])
    return header, ""


def parse_tune(text: str) -> ParsedTune:
    """Read an ABC tune (header and melody) into notes and bars; see the module docstring."""
    header, body = split_tune(text)
    tune = ParsedTune(header.get("M"), header.get("L"), header.get("K"))
    if tune.metre is None or tune.bar_length is None:
        tune.errors.append(f"metre {tune.metre!r}")
    unit = _unit(tune.unit)
    if unit is None:
        tune.errors.append(f"unit length {tune.unit!r}")
        unit = Fraction(1, 8)
    signature = key_signature(tune.key) if tune.key is not None else None
    if signature is None:
        tune.errors.append(f"key {tune.key!r}")
        signature = {}
    _read_melody(tune, body, unit, signature)
    return tune


def _unit(text):
    if text is None:
        return None
    m = _METRE.match(text.strip())
    return Fraction(int(m.group(1)), int(m.group(2))) if m and int(m.group(2)) else None


def _pitch(acc, letter, octave_marks, signature, bar_accidentals):
    """MIDI number of a note; an explicit accidental holds for that note name until the bar line."""
    name = letter.upper()
    octave = (1 if letter.islower() else 0) + octave_marks.count("'") - octave_marks.count(",")
    slot = (name, octave)
    if acc:
        bar_accidentals[slot] = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}[acc]
    alter = bar_accidentals.get(slot, signature.get(name, 0))
    return 60 + 12 * octave + _STEPS[name] + alter


def _read_melody(tune, body, unit, signature):
    """Fill tune.notes, tune.bars and tune.errors from the melody text."""
    time, bar_start, bar_acc = Fraction(0), Fraction(0), {}
    tuplet_left, tuplet_scale, broken = 0, Fraction(1), None  # broken: pending factor for the next note
    for line in body.split("\n"):
        if re.match(r"^[A-Za-z]:", line):
            continue  # a field line inside the melody (title of a part, tempo): not notes
        pos = 0
        while pos < len(line):
            m = _TOKEN.match(line, pos)
            if not m or m.end() == pos:
                tune.errors.append(f"cannot read {line[pos:pos + 10]!r}")
                break
            pos, kind = m.end(), m.lastgroup
            if kind in ("note", "rest", "chord"):
                if kind == "chord":
                    inner = _INNER_NOTE.findall(m.group("inner"))
                    first = inner[0]
                    length = length_multiplier(first[3]) * length_multiplier(m.group("chordlen"))
                    pitch = _pitch(first[0], first[1], first[2], signature, bar_acc)
                elif kind == "note":
                    length = length_multiplier(m.group("len"))
                    pitch = _pitch(m.group("acc"), m.group("letter"), m.group("oct"), signature, bar_acc)
                else:
                    length, pitch = length_multiplier(m.group("restlen")), None
                duration = unit * length
                if tuplet_left:
                    duration, tuplet_left = duration * tuplet_scale, tuplet_left - 1
                if broken is not None:
                    duration, broken = duration * broken, None
                tune.notes.append(Note(pitch, time, duration))
                time += duration
            elif kind == "broken" and tune.notes:
                k = len(m.group("broken"))
                long_, short = 2 - Fraction(1, 2**k), Fraction(1, 2**k)
                first, second = (long_, short) if m.group("broken")[0] == ">" else (short, long_)
                last = tune.notes[-1]
                tune.notes[-1] = Note(last.pitch, last.start, last.duration * first)
                time = last.start + last.duration * first
                broken = second
            elif kind == "tuplet":
                p = int(m.group("p"))
                tuplet_left, tuplet_scale = p, Fraction(_TUPLET_Q.get(p, 2), p)
            elif kind == "bar":
                if time > bar_start:
                    tune.bars.append(time - bar_start)  # the first may be a pickup, the last short
                bar_start, bar_acc = time, {}


def tune_pitches(tune: ParsedTune) -> list[int]:
    """MIDI pitches of the sounding notes, in order (rests left out)."""
    return [n.pitch for n in tune.notes if n.pitch is not None]
