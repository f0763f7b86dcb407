"""Numeric scores of many rows at once (``numeric_rows``) agree with the scalar reference
(``numeric``) row by row, and with scoringrules, on closed and open ranges alike."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scoringrules

from forecasts.scoring import numeric_rows
from forecasts.scoring.numeric import (
    NumericRange,
    Quantiles,
    cdf_at,
    cdf_of,
    crps_cdf,
    crps_quantile,
    interval_score,
    log_density_score,
    quantile_at,
)

LEVELS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
SIDES = {"closed": (0.0, 100.0), "open below": (math.nan, 100.0), "open above": (0.0, math.nan)}
SIDES["open"] = (math.nan, math.nan)


def random_rows(
    seed: int, n: int, lower: float, upper: float
) -> tuple[numeric_rows.QuantileRows, np.ndarray]:
    """Rising quantiles inside (5, 95), outcomes over the whole range and past open sides."""
    rng = np.random.default_rng(seed)
    values = np.sort(rng.uniform(5, 95, size=(n, LEVELS.size)), axis=1)
    values[:, 1:] += np.arange(1, LEVELS.size) * 1e-6  # strictly rising, even for near ties
    outcome = rng.uniform(-20 if math.isnan(lower) else lower, 120 if math.isnan(upper) else upper, n)
    outcome[:5] = values[:5, 2]  # exactly on a knot
    outcome[5] = 0.0 if not math.isnan(lower) else outcome[5]  # exactly on a closed bound
    rows = numeric_rows.QuantileRows(LEVELS, values, np.full(n, lower), np.full(n, upper))
    return rows, outcome


def scalar_cdf(rows: numeric_rows.QuantileRows, i: int):  # type: ignore[no-untyped-def]
    lower, upper = rows.lower[i], rows.upper[i]
    scale = NumericRange(
        -1e9 if math.isnan(lower) else lower,
        1e9 if math.isnan(upper) else upper,
        lower_open=math.isnan(lower),
        upper_open=math.isnan(upper),
    )
    return cdf_of(Quantiles(tuple(rows.levels), tuple(rows.values[i])), scale)


@pytest.mark.parametrize(("lower", "upper"), SIDES.values(), ids=SIDES.keys())
def test_every_row_scores_as_the_scalar_functions_do(lower: float, upper: float) -> None:
    rows, outcome = random_rows(16, 300, lower, upper)
    pit = numeric_rows.pit(rows, outcome)
    crps = numeric_rows.crps_cdf(rows, outcome)
    pinball = numeric_rows.crps_quantile(rows, outcome)
    interval_90, inside_90 = numeric_rows.interval_scores(rows, outcome, 0.9)
    density = numeric_rows.log_density(rows, outcome)
    for i in range(len(rows)):
        cdf = scalar_cdf(rows, i)
        y = float(outcome[i])
        assert pit[i] == pytest.approx(float(cdf_at(cdf, y)), abs=1e-12)
        assert crps[i] == pytest.approx(crps_cdf(cdf, y), rel=1e-11, abs=1e-11)
        assert pinball[i] == pytest.approx(crps_quantile(Quantiles(tuple(LEVELS), tuple(rows.values[i])), y))
        low, high = quantile_at(cdf, [0.05, 0.95])
        assert interval_90[i] == pytest.approx(interval_score(float(low), float(high), y, 0.9), abs=1e-10)
        assert inside_90[i] == float(low <= y <= high)
        if math.isnan(lower) or math.isnan(upper):
            assert math.isnan(density[i])  # no range to be uniform over
        else:
            assert density[i] == pytest.approx(log_density_score(cdf, y), abs=1e-12)


def test_quantile_crps_is_scoringrules_for_every_row() -> None:
    rows, outcome = random_rows(17, 500, math.nan, math.nan)
    expected = scoringrules.crps_quantile(outcome, rows.values, rows.levels)
    np.testing.assert_allclose(numeric_rows.crps_quantile(rows, outcome), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("coverage", [0.5, 0.9])
def test_interval_scores_are_scoringrules_on_the_stated_bounds(coverage: float) -> None:
    """With the interval's levels among the stated ones its bounds are the stated quantiles."""
    rows, outcome = random_rows(18, 500, 0.0, 100.0)
    low, high = (
        (rows.values[:, 1], rows.values[:, 3]) if coverage == 0.5 else (rows.values[:, 0], rows.values[:, 4])
    )
    score, inside = numeric_rows.interval_scores(rows, outcome, coverage)
    expected = scoringrules.interval_score(outcome, low, high, 1 - coverage)
    np.testing.assert_allclose(score, expected, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(inside, ((low <= outcome) & (outcome <= high)).astype(float))


def test_an_outcome_past_an_open_tail_pays_its_distance_in_crps() -> None:
    """Beyond the support F is 0 (or 1): CRPS grows one for one with the distance."""
    many, _ = random_rows(19, 10, math.nan, math.nan)
    rows = numeric_rows.QuantileRows(LEVELS, many.values[:1], many.lower[:1], many.upper[:1])
    x, _ = numeric_rows.knots(rows)
    near, far = np.array([x[0, 0] - 1.0]), np.array([x[0, 0] - 11.0])
    gap = numeric_rows.crps_cdf(rows, far) - numeric_rows.crps_cdf(rows, near)
    assert gap[0] == pytest.approx(10.0, abs=1e-12)
    assert numeric_rows.pit(rows, far)[0] == 0.0
