"""The lecture's lag table, with the slide's numbers and the slide's second row corrected."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.series import lag_names, lag_table

SLIDE_SERIES = [548, 643, 920, 1406, 2075, 2877, 5509, 6087, 8141, 9802]
NA = np.nan


def test_slide_numbers_give_the_corrected_table():
    table, names = lag_table(SLIDE_SERIES, n_lags=3)
    assert names == ["t-3", "t-2", "t-1", "t"]
    assert table.shape == (10, 4) and table.dtype == np.float64
    expected_first_rows = [
        [NA, NA, NA, 548],
        [NA, NA, 548, 643],  # the slide shows NA NA NA 643: a slide error
        [NA, 548, 643, 920],
        [548, 643, 920, 1406],
        [643, 920, 1406, 2075],
    ]
    np.testing.assert_array_equal(table[:5], expected_first_rows)
    np.testing.assert_array_equal(table[-1], [5509, 6087, 8141, 9802])
    np.testing.assert_array_equal(table[:, -1], SLIDE_SERIES)


@settings(deadline=None, max_examples=50)
@given(series=st.lists(st.integers(-100, 100), max_size=12), n_lags=st.integers(0, 5))
def test_every_cell_is_the_lagged_value_or_nan(series, n_lags):
    table, names = lag_table(series, n_lags)
    assert table.shape == (len(series), n_lags + 1) and len(names) == n_lags + 1
    for t in range(len(series)):
        for column in range(n_lags + 1):
            source = t - (n_lags - column)
            if source < 0:
                assert np.isnan(table[t, column])
            else:
                assert table[t, column] == series[source]


def test_drop_incomplete_keeps_only_full_rows():
    table, _ = lag_table(SLIDE_SERIES, 3, drop_incomplete=True)
    assert table.shape == (7, 4) and not np.isnan(table).any()
    np.testing.assert_array_equal(table[0], [548, 643, 920, 1406])
    assert lag_table([1, 2], 3, drop_incomplete=True)[0].shape == (0, 4)


def test_names_and_bad_input():
    assert lag_names(0) == ["t"] and lag_names(2) == ["t-2", "t-1", "t"]
    with pytest.raises(ValueError, match=r"shape \(T,\)"):
        lag_table(np.ones((3, 2)))
    with pytest.raises(ValueError, match="n_lags"):
        lag_table(SLIDE_SERIES, -1)
    with pytest.raises(ValueError, match="numeric"):
        lag_table(["a", "b"])
