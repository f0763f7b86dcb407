"""Metaculus CDF points → our quantiles, checked against Metaculus's own percentiles in its exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from forecasts.cdf_points import CROWD_LEVELS, quantiles_from_cdf_points
from forecasts.errors import Invalid

EXPORTS = Path(__file__).parent / "data" / "sources" / "metaculus_export"
PERCENTILES = ("5th Percentile", "25th Percentile", "Median", "75th Percentile", "95th Percentile")


def export_rows(question: str) -> tuple[list[float], list[dict[str, str]]]:
    with (EXPORTS / f"{question}_question_data.csv").open(encoding="utf-8") as handle:
        (details,) = list(csv.DictReader(handle))
    with (EXPORTS / f"{question}_forecast_data.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return json.loads(details["Continuous Range"]), rows


@pytest.mark.parametrize("question", ["usd_ars", "sp500"])
def test_quantiles_match_the_percentiles_metaculus_publishes(question: str) -> None:
    points, rows = export_rows(question)
    assert len(points) == 201
    assert len(rows) >= 7
    for row in rows:
        forecast = quantiles_from_cdf_points(points, json.loads(row["Continuous CDF"]))
        assert forecast.levels == CROWD_LEVELS
        published = [float(row[name]) for name in PERCENTILES]
        assert forecast.values == pytest.approx(published, rel=1e-9), row["Start Time"]


def test_a_normal_cdf_on_a_fine_grid_gives_its_quantiles() -> None:
    points = np.linspace(20, 120, 2001)
    forecast = quantiles_from_cdf_points(points, stats.norm.cdf(points, 55, 4))
    expected = stats.norm.ppf(CROWD_LEVELS, 55, 4)
    assert forecast.values == pytest.approx(expected, abs=1e-3)


def test_levels_outside_the_range_are_left_out() -> None:
    """A third of the mass below an open lower bound: the 5 % and 25 % quantiles lie below the range."""
    points = np.linspace(0, 10, 11)
    cdf = np.linspace(0.3, 1.0, 11)
    forecast = quantiles_from_cdf_points(points, cdf)
    assert forecast.levels == (0.5, 0.75, 0.95)
    assert forecast.values[0] == pytest.approx((0.5 - 0.3) / 0.07)


@pytest.mark.parametrize(
    ("points", "cdf", "message"),
    [
        ([0, 1, 2], [0.1, 0.5], "2 CDF values for 3 points"),
        ([0, 2, 1], [0.1, 0.5, 0.9], "rise strictly"),
        ([0, 1, 2], [0.1, 0.6, 0.5], "never fall"),
        ([0, 1, 2], [0.1, 0.5, 1.2], "in 0–1"),
        ([0, 1, 2], [0.4, 0.5, 0.6], "only 1 of the levels"),
        ([0, "x", 2], [0.1, 0.5, 0.9], "lists of numbers"),
    ],
)
def test_a_malformed_cdf_is_refused_with_what_is_wrong(points: list, cdf: list, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        quantiles_from_cdf_points(points, cdf)
