"""Edit distance and error rates: known values, a brute-force reference and metric properties."""

import functools
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.text.edit_distance import edit_distance, error_rate

tokens = st.lists(st.sampled_from(["AH", "B", "K", "T"]), max_size=7)


def recursive_distance(a, b):
    """The definition itself, by memoised recursion over suffixes (independent of the DP table)."""

    @functools.cache
    def d(i, j):
        if i == len(a):
            return len(b) - j
        if j == len(b):
            return len(a) - i
        return min(d(i + 1, j) + 1, d(i, j + 1) + 1, d(i + 1, j + 1) + (a[i] != b[j]))

    return d(0, 0)


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("kitten", "sitting", 3),  # 2 substitutions, 1 insertion
        ("flaw", "lawn", 2),  # 1 deletion, 1 insertion
        ("", "abc", 3),
        ("abc", "", 3),
        ("", "", 0),
        ("abc", "abc", 0),
        (("S", "IY", "K"), ("S", "IH", "K"), 1),
        (["K", "AE", "T"], ["K", "AE", "T", "S"], 1),
    ],
    ids=["kitten", "flaw", "insert-all", "delete-all", "empty", "equal", "phoneme-sub", "phoneme-ins"],
)
def test_known_distances(reference, hypothesis, expected):
    assert edit_distance(reference, hypothesis) == expected


@settings(deadline=None, max_examples=200)
@given(tokens, tokens)
def test_equals_the_recursive_definition(a, b):
    assert edit_distance(a, b) == recursive_distance(tuple(a), tuple(b))


@settings(deadline=None, max_examples=200)
@given(tokens, tokens, tokens)
def test_is_a_metric_with_length_bounds(a, b, c):
    d = edit_distance(a, b)
    assert d == edit_distance(b, a)
    assert (d == 0) == (a == b)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert edit_distance(a, c) <= d + edit_distance(b, c)


def test_does_not_modify_its_inputs():
    a, b = ["K", "AE", "T"], ["B", "AE", "T"]
    edit_distance(a, b)
    assert a == ["K", "AE", "T"] and b == ["B", "AE", "T"]


def test_error_rate_is_total_edits_over_total_reference_length():
    references = [("K", "AE", "T"), ("D", "AO", "G", "Z")]
    hypotheses = [("K", "AE", "T"), ("D", "AA", "G")]  # 0 edits, then 2 edits
    assert error_rate(references, hypotheses) == pytest.approx(2 / 7)
    assert error_rate(references, references) == 0.0


def test_error_rate_can_exceed_one():
    assert error_rate([("A",)], [("B", "C", "D")]) == 3.0


@pytest.mark.parametrize(
    ("references", "hypotheses", "message"),
    [
        ([("A",)], [], "as many hypotheses"),
        ([()], [("A",)], "no tokens"),
        ([], [], "no tokens"),
    ],
    ids=["length-mismatch", "empty-reference", "no-pairs"],
)
def test_error_rate_rejects_bad_input(references, hypotheses, message):
    with pytest.raises(ValueError, match=message):
        error_rate(references, hypotheses)


def test_all_pairs_of_short_strings_match_the_definition():
    words = ["".join(p) for n in range(4) for p in itertools.product("ab", repeat=n)]
    for a, b in itertools.product(words, repeat=2):
        assert edit_distance(a, b) == recursive_distance(a, b), (a, b)
