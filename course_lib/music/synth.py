"""Hear and see a melody: a small additive synthesiser and a piano roll, NumPy only.

Each note becomes a sum of its first harmonics, f, 2f, 3f, 4f with f = 440 · 2^((p - 69)/12) for
MIDI pitch p, under an envelope that rises in 5 ms, decays like a plucked string and falls to
zero in the last 15 ms of the note (no clicks). Harmonics at or above half the sample rate are
left out, so a low rate (8 kHz: telephone quality, small files) does not alias.
"""

from fractions import Fraction

import numpy as np

HARMONICS = (1.0, 0.5, 0.25, 0.12)  # amplitude of f, 2f, 3f, 4f


def midi_to_hz(pitch) -> np.ndarray:
    """Frequency in Hz of MIDI pitch numbers (69 is A4 = 440 Hz; 60 is middle C, 261.6 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(pitch, dtype=np.float64) - 69.0) / 12.0)


def synthesize(notes, sample_rate: int = 8000, seconds_per_whole: float = 1.6,
               max_seconds: float | None = None) -> np.ndarray:
    """A melody's waveform: float32 samples in [-1, 1] at `sample_rate`.

    Args:
        notes: objects with .pitch (MIDI number, None for a rest), .start and .duration (whole
            notes), such as course_lib.music.abc.Note. seconds_per_whole: tempo (1.6 s: a
            quarter note lasts 0.4 s). max_seconds: stop there (None: the whole melody).
    Returns:
        (S,) float32, S = sample_rate × length in seconds; all zeros if nothing sounds.
    """
    notes = list(notes)
    end = max((float(n.start + n.duration) for n in notes), default=0.0) * seconds_per_whole
    if max_seconds is not None:
        end = min(end, max_seconds)
    out = np.zeros(int(round(end * sample_rate)), dtype=np.float64)  # (S,)
    for n in notes:
        start = int(round(float(n.start) * seconds_per_whole * sample_rate))
        length = min(int(round(float(n.duration) * seconds_per_whole * sample_rate)), len(out) - start)
        if n.pitch is None or length <= 0:
            continue
        out[start : start + length] += _tone(float(midi_to_hz(n.pitch)), length, sample_rate)
    peak = np.abs(out).max() if len(out) else 0.0
    return (out / peak if peak > 0 else out).astype(np.float32)


def _tone(freq: float, length: int, sample_rate: int) -> np.ndarray:
    t = np.arange(length) / sample_rate  # (length,) seconds
    wave = sum(a * np.sin(2 * np.pi * k * freq * t) for k, a in enumerate(HARMONICS, start=1)
               if k * freq < sample_rate / 2)
    attack = np.minimum(1.0, t / 0.005)
    release = np.minimum(1.0, (length - 1 - np.arange(length)) / (0.015 * sample_rate))
    return wave * attack * np.clip(release, 0.0, 1.0) * np.exp(-3.0 * t)


def piano_roll(notes, step=Fraction(1, 16)) -> tuple[np.ndarray, np.ndarray]:
    """A (P, T) boolean grid: row i is pitch pitches[i], column t the time step [t·step, (t+1)·step).

    Args:
        notes: as for synthesize (rests are skipped). step: grid resolution in whole notes.
    Returns:
        pitches: (P,) int, every MIDI number from the lowest to the highest note played.
        roll: (P, T) bool, True where the pitch sounds; T covers the last note's end.
    """
    sounding = [n for n in notes if n.pitch is not None]
    if not sounding:
        return np.zeros(0, dtype=int), np.zeros((0, 0), dtype=bool)
    low, high = min(n.pitch for n in sounding), max(n.pitch for n in sounding)
    T = int(np.ceil(max(n.start + n.duration for n in sounding) / step))
    roll = np.zeros((high - low + 1, T), dtype=bool)  # (P, T)
    for n in sounding:
        a, b = int(n.start / step), int(np.ceil((n.start + n.duration) / step))
        roll[n.pitch - low, a:b] = True
    return np.arange(low, high + 1), roll
