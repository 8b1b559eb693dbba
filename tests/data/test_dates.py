"""Synthetic dates → ISO pairs (course_lib.data.dates): reproducible, correct, split by date."""

import datetime
import re

import pytest

from course_lib.data.dates import FORMATS, LANGUAGES, date_names, format_date, load_dates


def test_pairs_are_reproducible_and_sized():
    a, b = load_dates(50, 10, 20, seed=3), load_dates(50, 10, 20, seed=3)
    assert (len(a.train), len(a.val), len(a.test)) == (50, 10, 20)
    assert a.train.sources == b.train.sources and a.test.targets == b.test.targets
    assert load_dates(50, 10, 20, seed=4).train.sources != a.train.sources
    assert a.phonemes == sorted("0123456789-")


def test_every_target_is_the_iso_date_of_its_source():
    ds = load_dates(300, 10, 10)
    for source, target in zip(ds.train.sources, ds.train.targets, strict=True):
        date = datetime.date.fromisoformat("".join(target))
        assert str(date.year) in source and re.search(rf"\b{date.day}\b", source), (source, target)
        assert datetime.date(1950, 1, 1) <= date <= datetime.date(2049, 12, 31)


def test_no_test_date_is_trained_on():
    ds = load_dates(5000, 500, 500)
    assert not set(ds.train.targets) & (set(ds.test.targets) | set(ds.val.targets))


@pytest.mark.parametrize("language", LANGUAGES)
def test_names_and_formats(language):
    months, weekdays = date_names(language)
    assert len(months) == 12 and len(weekdays) == 7 and len(set(months)) == 12
    date = datetime.date(2024, 3, 7)  # a Thursday
    for form in range(len(FORMATS[language])):
        text = format_date(date, language, form)
        assert text == text.lower() and "2024" in text and "7" in text


def test_known_examples():
    date = datetime.date(1994, 3, 3)
    assert format_date(date, "en", 1) == "thursday, march 3, 1994"
    assert format_date(date, "fr", 1) == "jeudi 3 mars 1994"
    assert format_date(date, "de", 1) == "donnerstag, 3. märz 1994"
    assert format_date(date, "es", 0) == "3 de marzo de 1994"


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_train must be a positive integer, got 0"):
        load_dates(0)
    with pytest.raises(ValueError, match="languages must be a non-empty subset"):
        load_dates(languages=("xx",))
    with pytest.raises(ValueError, match="language must be one of"):
        date_names("xx")
