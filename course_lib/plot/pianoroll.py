"""A melody as a piano roll: time across, pitch up, one bar per note."""

from collections.abc import Sequence

from matplotlib.axes import Axes

from course_lib.plot._axes import new_axes

NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def note_name(pitch: int) -> str:
    """MIDI number -> name with octave: 60 -> "C4", 69 -> "A4"."""
    return f"{NAMES[pitch % 12]}{pitch // 12 - 1}"


def plot_piano_roll(notes: Sequence, *, ax: Axes | None = None, title: str | None = None,
                    max_time: float | None = None, bar_length: float | None = None) -> Axes:
    """Draw notes (.pitch MIDI or None, .start and .duration in whole notes) as horizontal bars.

    max_time: show only notes starting before it (whole notes). bar_length: draw a faint line at
    every bar (whole notes). Returns the Axes.
    """
    ax = new_axes(ax, figsize=(6, 2.2))
    shown = [n for n in notes if n.pitch is not None and (max_time is None or n.start < max_time)]
    for n in shown:
        ax.broken_barh([(float(n.start), float(n.duration) * 0.95)], (n.pitch - 0.4, 0.8), color="C0")
    if shown:
        low, high = min(n.pitch for n in shown), max(n.pitch for n in shown)
        ticks = [p for p in range(low, high + 1) if p % 12 in (0, 7)]  # every C and G
        ax.set_yticks(ticks, [note_name(p) for p in ticks])
        end = max(float(n.start + n.duration) for n in shown)
        if bar_length:
            for k in range(1, int(end / bar_length) + 1):
                ax.axvline(k * bar_length, color="0.85", linewidth=0.8, zorder=0)
        ax.set_xlim(0, end)
        ax.set_ylim(low - 1, high + 1)
    ax.set_xlabel("time (whole notes)")
    ax.set_ylabel("pitch")
    if title:
        ax.set_title(title)
    return ax
