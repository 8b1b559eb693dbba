"""Plain-text progress bars for long loops (tqdm's text bar, written to stderr).

A text bar shows in JupyterLab while "Run All" works through a cell, in a terminal, and in a saved
notebook reopened later (a widget bar reopens as "Error displaying widget"). The notebook tests never
compare stderr, so a bar's timings cannot fail them. Only tqdm is imported: NumPy-only code may use it.
"""

import sys
from collections.abc import Iterable

from tqdm.std import tqdm

BAR = 20  # characters of the bar itself: a notebook's output area has no terminal size to fit
FORMAT = ("{desc}: {percentage:3.0f}%|{bar:" + str(BAR) + "}| {n_fmt}/{total_fmt} "
          "[{elapsed}<{remaining}{postfix}]")
MIN_INTERVAL = 0.5  # seconds between redraws


def progress_bar(iterable: Iterable | None = None, desc: str = "", total: int | None = None, *,
                 leave: bool = True, disable: bool = False, initial: int = 0) -> tqdm:
    """A text progress bar over `iterable` (or updated by hand when None), drawn on stderr.

    Example:  for step in progress_bar(range(2000), "updates"): ...
    """
    return tqdm(iterable, desc=desc, total=total, leave=leave, disable=disable, initial=initial,
                file=sys.stderr, bar_format=FORMAT, mininterval=MIN_INTERVAL, ascii=False)
