"""A character-level corpus of real English prose that ships with Python itself.

CPython includes the text of its own reference documentation in the standard-library module
`pydoc_data.topics` (what `help("for")` prints): about 80 topics and 460,000 characters of
technical English with code examples. No package to install, no download.
"""

from dataclasses import dataclass

from course_lib.data._splits import check_fractions


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
    """The Python reference documentation shipped in CPython's `pydoc_data.topics`.

    Topics are joined in sorted order of their names, separated by a blank line, and then cut into
    contiguous parts by character position (contiguous so that held-out text is text the model has
    never seen, not interleaved sentences). Deterministic: the same Python version gives the same text.

    Returns:
        TextCorpus with about 465,000 characters in all (Python 3.11); train about 90%.
    """
    check_fractions(val_fraction, test_fraction)
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[name].strip() for name in sorted(topics)) + "\n"
    n_train = int(len(text) * (1.0 - val_fraction - test_fraction))
    n_val = int(len(text) * val_fraction)
    return TextCorpus(
        name="python_docs",
        source="pydoc_data.topics (CPython's reference documentation)",
        train=text[:n_train],
        val=text[n_train : n_train + n_val],
        test=text[n_train + n_val :],
    )
