"""Human-readable dates in seven languages → ISO dates: a synthetic translation task with reordering.

    "jeudi 3 mars 1994", "Thursday, March 3, 1994", "3. März 1994"  →  "1994-03-03"

The classic first attention exercise: the output must reorder the input (year first, day last) and
look up month names in seven vocabularies. Month and weekday names come from Faker's per-locale
date providers (French, German, Spanish, Italian, Dutch, Portuguese; English is written out here),
the formats below follow each language's usual long forms, and everything is lower case. The data
are generated, not collected: a model that learns them has learned these templates, nothing more.

Dates are drawn uniformly from 1950-01-01 to 2049-12-31, and each date belongs to one split by a
hash of the date, so no test date occurs in training under any format.
"""

import datetime
import importlib

import numpy as np

from course_lib.data._splits import SPLITS, split_of
from course_lib.data.pronunciations import PairData, PairSplit

FIRST, LAST = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)

ENGLISH = (
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"),
    ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"),
)
LOCALES = {"fr": "fr_FR", "de": "de_DE", "es": "es", "it": "it_IT", "nl": "nl_NL", "pt": "pt_PT"}

# {d} day, {m} month name, {b} its first three letters, {w} weekday name, {y} four-digit year.
FORMATS = {
    "en": ("{m} {d}, {y}", "{w}, {m} {d}, {y}", "{d} {m} {y}", "{b} {d}, {y}"),
    "fr": ("{d} {m} {y}", "{w} {d} {m} {y}", "le {d} {m} {y}"),
    "de": ("{d}. {m} {y}", "{w}, {d}. {m} {y}", "{d}. {b} {y}"),
    "es": ("{d} de {m} de {y}", "{w}, {d} de {m} de {y}"),
    "it": ("{d} {m} {y}", "{w} {d} {m} {y}"),
    "nl": ("{d} {m} {y}", "{w} {d} {m} {y}"),
    "pt": ("{d} de {m} de {y}", "{w}, {d} de {m} de {y}"),
}
LANGUAGES = tuple(FORMATS)


def date_names(language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(12 month names, 7 weekday names from Sunday), lower case; from Faker except for English."""
    if language == "en":
        return ENGLISH
    if language not in LOCALES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    try:
        provider = importlib.import_module(f"faker.providers.date_time.{LOCALES[language]}").Provider
    except ImportError as err:
        raise ImportError("load_dates() takes month and weekday names from the package 'faker': "
                          "`pip install faker`") from err
    months = tuple(provider.MONTH_NAMES[f"{m:02d}"].lower() for m in range(1, 13))
    weekdays = tuple(provider.DAY_NAMES[str(w)].lower() for w in range(7))
    return months, weekdays


def format_date(date: datetime.date, language: str, form: int) -> str:
    """`date` in `language`'s `form`-th format: (2024-03-07, "de", 1) → "donnerstag, 7. märz 2024"."""
    months, weekdays = date_names(language)
    month = months[date.month - 1]
    weekday = weekdays[date.isoweekday() % 7]  # Sunday = 0, as Faker's DAY_NAMES
    return FORMATS[language][form].format(d=date.day, m=month, b=month[:3], w=weekday, y=date.year)


def load_dates(n_train: int = 20_000, n_val: int = 1_000, n_test: int = 2_000, seed: int = 0,
               languages: tuple[str, ...] = LANGUAGES) -> PairData:
    """Random (human-readable date, ISO date) pairs; targets are tuples of characters.

    Each example draws a date of its split, a language and one of that language's formats, uniformly.
    The same arguments give the same pairs on every machine (NumPy's PCG64 seeded by `seed`).

    Returns:
        PairData named "dates"; its `phonemes` field holds the target alphabet (digits and "-").
    """
    for name, n in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    unknown = [lang for lang in languages if lang not in FORMATS]
    if unknown or not languages:
        raise ValueError(f"languages must be a non-empty subset of {LANGUAGES}, got {languages!r}")
    rng = np.random.default_rng(seed)
    days = [FIRST + datetime.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    pools = {s: [d for d in days if split_of(d.isoformat(), 0.05, 0.10, salt="dates") == s] for s in SPLITS}
    parts = {}
    for split, n in zip(SPLITS, (n_train, n_val, n_test), strict=True):
        pool, sources, targets = pools[split], [], []
        for _ in range(n):
            date = pool[rng.integers(len(pool))]
            language = languages[rng.integers(len(languages))]
            sources.append(format_date(date, language, int(rng.integers(len(FORMATS[language])))))
            targets.append(tuple(date.isoformat()))
        parts[split] = PairSplit(sources, targets)
    return PairData("dates", sorted("0123456789-"), parts["train"], parts["val"], parts["test"])
