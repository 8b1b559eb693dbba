"""Surname → language: a many-to-one text classification set from Faker's per-locale name lists.

Faker (a test-data generator) ships, for each locale, lists of real surnames common in that
country. Ten locales with distinct languages in Latin script give ten classes. A surname that is
listed for more than one language (such as "Adam", which is French and German) is ambiguous and
is left out, so every example has exactly one correct label.
"""

import importlib
from dataclasses import dataclass

import numpy as np

from course_lib.data._package import package_files
from course_lib.data._splits import check_fractions, split_of

# Locale → language label, in class-index order.
SURNAME_LOCALES = {
    "en_US": "English",
    "de_DE": "German",
    "fr_FR": "French",
    "it_IT": "Italian",
    "es_ES": "Spanish",
    "nl_NL": "Dutch",
    "sv_SE": "Swedish",
    "fi_FI": "Finnish",
    "hr_HR": "Croatian",
    "sk_SK": "Slovak",
}


@dataclass(frozen=True)
class LabelledTexts:
    """Texts and integer labels of one split."""

    texts: list[str]  # length M
    labels: np.ndarray  # (M,) int64, indices into the data set's `classes`

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class TextClassificationData:
    """A labelled text data set with fixed train / validation / test splits."""

    name: str  # short identifier
    classes: list[str]  # C class names; labels index this list
    train: LabelledTexts
    val: LabelledTexts
    test: LabelledTexts


def load_surnames(val_fraction: float = 0.1, test_fraction: float = 0.1) -> TextClassificationData:
    """Surnames labelled with their language (10 classes), from the package `faker`.

    Each unambiguous surname is assigned to a split by a hash of the name (see `_splits`), so the
    splits are the same on every machine and run. Within a split, examples are sorted by
    (label, surname).

    Returns:
        TextClassificationData with about 7,900 surnames; classes in the order of SURNAME_LOCALES.
    """
    check_fractions(val_fraction, test_fraction)
    by_language = _surnames_by_language()
    counts: dict[str, int] = {}
    for names in by_language.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    classes = list(SURNAME_LOCALES.values())
    rows = {"train": [], "val": [], "test": []}
    for label, language in enumerate(classes):
        for name in sorted(by_language[language]):
            if counts[name] == 1:
                rows[split_of(name, val_fraction, test_fraction)].append((name, label))
    parts = {
        split: LabelledTexts([n for n, _ in r], np.array([y for _, y in r], dtype=np.int64))
        for split, r in rows.items()
    }
    return TextClassificationData("surnames", classes, parts["train"], parts["val"], parts["test"])


def _surnames_by_language() -> dict[str, set[str]]:
    """language → set of surnames listed for its locale (every `last_names*` list of the provider)."""
    package_files("faker", "faker", "load_surnames")
    out = {}
    for locale, language in SURNAME_LOCALES.items():
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        names = set()
        for attr in dir(provider):
            if attr.startswith("last_names"):
                names.update(n.strip() for n in getattr(provider, attr))
        out[language] = {n for n in names if n}
    return out
