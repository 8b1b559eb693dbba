"""Melodies: read ABC notation, judge generated tunes, and render them as sound and as a piano roll.

    abc      parse_tune(text) -> ParsedTune (notes, bars, errors, .valid, .bar_accuracy())
    synth    synthesize(notes) -> waveform for IPython.display.Audio; piano_roll(notes) -> (P, T) grid
    checks   ngram_copy_rate, header statistics of a set of tunes against another

NumPy and the standard library only (course_lib.plot.pianoroll draws a roll with matplotlib).
"""

from course_lib.music.abc import (
    MIN_NOTES,
    Note,
    ParsedTune,
    key_signature,
    metre_length,
    parse_tune,
    split_tune,
)
from course_lib.music.checks import header_distribution, longest_copy, ngram_copy_rate, total_variation
from course_lib.music.synth import midi_to_hz, piano_roll, synthesize
