"""Real time series: Seattle weather, from the Vega project's data sets.

The package `vega_datasets` ships a few data sets as files for offline use; we read two CSV files
with the standard library's `csv` module:
- seattle-weather.csv: daily observations 2012-01-01 .. 2015-12-31 (1,461 days): precipitation (mm),
  maximum and minimum temperature (°C), wind (m/s) and a weather label.
- seattle-temps.csv: hourly temperature (°F) through 2010 (8,759 hours, in local time: the hour the
  clocks skip when daylight saving starts is absent).
"""

import csv
import io
from dataclasses import dataclass

import numpy as np

from course_lib.data._package import read_text
from course_lib.data._splits import check_fractions
from course_lib.series.split import split_sizes


@dataclass(frozen=True)
class TimeSeries:
    """A regularly sampled series, possibly multivariate."""

    name: str
    times: np.ndarray  # (T,) datetime64
    values: np.ndarray  # (T, F) float64
    columns: list[str]  # F column names
    units: list[str]  # F units

    def __len__(self) -> int:
        return len(self.times)

    def column(self, name: str) -> np.ndarray:
        """One column as a (T,) array."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; expected one of {self.columns}")
        return self.values[:, self.columns.index(name)]

    def split(self, val_fraction: float = 0.15, test_fraction: float = 0.15):
        """Chronological (train, val, test) TimeSeries: the past trains, the future evaluates.

        Sizes follow course_lib.series.split_sizes (validation and test parts rounded up), so this
        split and the series tools' splits of the same values agree.
        """
        check_fractions(val_fraction, test_fraction)
        sizes = split_sizes(len(self), val_fraction, test_fraction)
        cuts = [0, sizes.train, sizes.train + sizes.val, len(self)]
        return tuple(self._slice(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True))

    def _slice(self, start: int, stop: int) -> "TimeSeries":
        times, values = self.times[start:stop], self.values[start:stop]
        return TimeSeries(self.name, times, values, self.columns, self.units)


def load_seattle_weather() -> TimeSeries:
    """Daily Seattle weather 2012–2015: columns temp_max, temp_min (°C), precipitation (mm), wind (m/s).

    Returns:
        TimeSeries with T = 1461 days and F = 4 columns.
    """
    rows = _read_csv("seattle-weather.csv", "load_seattle_weather")
    columns = ["temp_max", "temp_min", "precipitation", "wind"]
    times = np.array([r["date"].replace("/", "-") for r in rows], dtype="datetime64[D]")
    values = np.array([[float(r[c]) for c in columns] for r in rows])  # (T, 4)
    return TimeSeries("seattle_weather", times, values, columns, ["°C", "°C", "mm", "m/s"])


def load_seattle_hourly_temperature() -> TimeSeries:
    """Hourly Seattle temperature through 2010, in °F, one column "temp".

    Returns:
        TimeSeries with T = 8759 hours and F = 1 column.
    """
    rows = _read_csv("seattle-temps.csv", "load_seattle_hourly_temperature")
    times = np.array([r["date"].replace("/", "-").replace(" ", "T") for r in rows], dtype="datetime64[h]")
    values = np.array([[float(r["temp"])] for r in rows])  # (T, 1)
    return TimeSeries("seattle_hourly_temperature", times, values, ["temp"], ["°F"])


def _read_csv(filename: str, loader: str) -> list[dict[str, str]]:
    text = read_text("vega_datasets", "vega_datasets", loader, "_data", filename)
    return list(csv.DictReader(io.StringIO(text)))
