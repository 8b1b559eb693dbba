"""The synthesiser and the piano roll: frequencies, lengths, no aliasing, silence for rests."""

from fractions import Fraction as Fr

import numpy as np
import pytest

from course_lib.music import Note, midi_to_hz, piano_roll, synthesize


def test_midi_to_hz():
    np.testing.assert_allclose(midi_to_hz([69, 81, 60]), [440.0, 880.0, 261.6256], rtol=1e-6)


def test_one_note_has_its_pitch_and_length():
    sr = 8000
    wave = synthesize([Note(69, Fr(0), Fr(1, 4))], sample_rate=sr, seconds_per_whole=2.0)  # 0.5 s of A4
    assert wave.dtype == np.float32 and wave.shape == (4000,)
    assert np.abs(wave).max() == pytest.approx(1.0)
    spectrum = np.abs(np.fft.rfft(wave))
    assert np.fft.rfftfreq(len(wave), 1 / sr)[spectrum.argmax()] == pytest.approx(440.0, abs=2.0)
    assert abs(wave[0]) < 0.05 and abs(wave[-1]) < 0.05  # ramps at both ends: no clicks


def test_rests_are_silent_and_time_adds_up():
    notes = [Note(60, Fr(0), Fr(1, 8)), Note(None, Fr(1, 8), Fr(1, 8)), Note(64, Fr(1, 4), Fr(1, 8))]
    sr, spw = 1000, 1.6
    wave = synthesize(notes, sample_rate=sr, seconds_per_whole=spw)
    assert len(wave) == round(3 / 8 * spw * sr)
    rest = wave[round(1 / 8 * spw * sr) : round(2 / 8 * spw * sr)]
    assert np.all(rest == 0)
    assert len(synthesize(notes, sample_rate=sr, seconds_per_whole=spw, max_seconds=0.3)) == 300
    assert synthesize([], sample_rate=sr).shape == (0,)


def test_no_harmonic_at_or_above_nyquist():
    sr = 4000
    wave = synthesize([Note(93, Fr(0), Fr(1, 2))], sample_rate=sr)  # A6 = 1760 Hz: only f is below 2 kHz
    spectrum = np.abs(np.fft.rfft(wave))
    freqs = np.fft.rfftfreq(len(wave), 1 / sr)
    assert freqs[spectrum.argmax()] == pytest.approx(1760, abs=3)
    assert spectrum[np.abs(freqs - 240) < 20].max() < 0.01 * spectrum.max()  # 2f would alias to 240 Hz


def test_piano_roll():
    notes = [Note(62, Fr(0), Fr(1, 8)), Note(None, Fr(1, 8), Fr(1, 16)), Note(60, Fr(3, 16), Fr(1, 16))]
    pitches, roll = piano_roll(notes, step=Fr(1, 16))
    assert pitches.tolist() == [60, 61, 62]
    assert roll.shape == (3, 4) and roll.dtype == bool
    assert roll.astype(int).tolist() == [[0, 0, 0, 1], [0, 0, 0, 0], [1, 1, 0, 0]]
    empty_pitches, empty = piano_roll([Note(None, Fr(0), Fr(1))])
    assert empty_pitches.shape == (0,) and empty.shape == (0, 0)


def test_plot_piano_roll_draws_one_bar_per_note():
    import matplotlib

    matplotlib.use("Agg")
    from course_lib.plot.pianoroll import note_name, plot_piano_roll

    notes = [Note(60 + k, Fr(k, 8), Fr(1, 8)) for k in range(8)] + [Note(None, Fr(1), Fr(1, 8))]
    ax = plot_piano_roll(notes, title="scale", bar_length=0.5, max_time=0.75)
    assert len(ax.collections) == 6  # notes starting before 3/4; the rest draws nothing
    assert ax.get_title() == "scale" and note_name(60) == "C4" and note_name(69) == "A4"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["C4"]
