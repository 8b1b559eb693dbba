"""Copy rates and header statistics for judging generated tunes."""

import pytest

from course_lib.music import header_distribution, longest_copy, ngram_copy_rate, total_variation


def test_ngram_copy_rate():
    assert ngram_copy_rate(["abcd"], ["xxabcdxx"], n=3) == 1.0
    assert ngram_copy_rate(["abcz"], ["abcd"], n=3) == 0.5  # "abc" found, "bcz" not
    assert ngram_copy_rate(["ab"], ["ab"], n=3) == 0.0  # no 3-grams at all
    assert ngram_copy_rate(["abab", "zz"], ["ab"], n=2) == pytest.approx(2 / 4)  # ab ba ab zz
    with pytest.raises(ValueError):
        ngram_copy_rate(["a"], ["a"], n=0)


def test_longest_copy():
    assert longest_copy("xxGABcdzz", "..GABcd..GA") == "GABcd"
    assert longest_copy("zzz", "abc") == ""
    assert longest_copy("abcabc", "abcabc") == "abcabc"


def test_header_distribution_and_total_variation():
    tunes = ["M:6/8\nL:1/8\nK:G\nabc|", "M: 6/8\nL:1/8\nK:AMix\nabc|", "M:C|\nL:1/8\nK:Amix\nabc|",
             "L:1/8\nK:F#m\nabc|"]
    metres = header_distribution(tunes, "M")
    assert metres == {"6/8": 0.5, "C|": 0.25, None: 0.25}
    assert header_distribution(tunes, "K") == {"Amix": 0.5, "G": 0.25, "F#m": 0.25}
    assert total_variation(metres, metres) == 0.0
    assert total_variation({"a": 1.0}, {"b": 1.0}) == 1.0
    assert total_variation({"a": 0.5, "b": 0.5}, {"a": 1.0}) == pytest.approx(0.5)
