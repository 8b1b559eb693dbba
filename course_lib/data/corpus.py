"""A character-level corpus of real English prose: the Python reference manual, frozen.

CPython includes the text of its own reference documentation in the standard-library module
`pydoc_data.topics` (what `help("for")` prints): about 80 topics and 465,000 characters of technical
English with code examples. That module changes with every Python release (465,048 characters in
3.11, 510,664 in 3.13), so the course ships one fixed snapshot of it, taken from Python 3.11.7, as
`python_docs.txt.gz` beside this module: every Python the course supports reads the same text, and
its SHA-256 is checked on every load. The text is the Python Software Foundation's documentation,
distributed under the PSF License Agreement (as part of every CPython).
"""

import gzip
import hashlib
import importlib.resources
from dataclasses import dataclass

from course_lib.data._splits import check_fractions

SNAPSHOT = "python_docs.txt.gz"
SNAPSHOT_SHA256 = "2a95af4ac93f5b719944030ce3769070ddf827d847cba42192afa8da989e5dc4"  # of the UTF-8 text
SNAPSHOT_CHARS = 465_048


@dataclass(frozen=True)
class TextCorpus:
    """A corpus split into contiguous train / validation / test parts (strings)."""

    name: str  # short identifier
    source: str  # where the text comes from
    train: str  # first (1 - val_fraction - test_fraction) of the text
    val: str  # the part after train
    test: str  # the last part

    @property
    def text(self) -> str:
        """The whole corpus: train + val + test."""
        return self.train + self.val + self.test


def load_python_docs(val_fraction: float = 0.05, test_fraction: float = 0.05) -> TextCorpus:
    """The Python reference documentation of CPython 3.11's `pydoc_data.topics`, from the course's snapshot.

    The snapshot holds the topics joined in sorted order of their names, separated by a blank line.
    It is cut into contiguous parts by character position (contiguous so that held-out text is text
    the model has never seen, not interleaved sentences). The same text on every Python version.

    Returns:
        TextCorpus with 465,048 characters in all; train 90% by default.
    Raises:
        ValueError: if the snapshot file is damaged (its SHA-256 differs from SNAPSHOT_SHA256).
    """
    check_fractions(val_fraction, test_fraction)
    text = _read_snapshot()
    n_train = int(len(text) * (1.0 - val_fraction - test_fraction))
    n_val = int(len(text) * val_fraction)
    return TextCorpus(
        name="python_docs",
        source="CPython 3.11.7's reference documentation (pydoc_data.topics), frozen in " + SNAPSHOT,
        train=text[:n_train],
        val=text[n_train : n_train + n_val],
        test=text[n_train + n_val :],
    )


def _read_snapshot() -> str:
    """The frozen text, checked against its SHA-256."""
    raw = gzip.decompress(importlib.resources.files("course_lib.data").joinpath(SNAPSHOT).read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SNAPSHOT_SHA256:
        raise ValueError(
            f"course_lib/data/{SNAPSHOT} is damaged: expected SHA-256 {SNAPSHOT_SHA256}, got {digest}. "
            "Restore it with `git checkout -- course_lib/data/python_docs.txt.gz`."
        )
    return raw.decode("utf-8")
