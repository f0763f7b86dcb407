"""Scores of quantile forecasts on numeric and date questions, against scoringrules, properscoring
and closed forms (issue 16: the domain; questions, entry forms and charts build on it)."""

from __future__ import annotations

import math

import numpy as np
import properscoring
import pytest
import scoringrules
from scipy import integrate

from forecasts.entry import parse_distribution
from forecasts.errors import Invalid
from forecasts.scoring.numeric import (
    DENSITY_FLOOR,
    NumericRange,
    Quantiles,
    cdf_at,
    cdf_of,
    coverage,
    crps_cdf,
    crps_quantile,
    interval_score,
    log_density_score,
    pit_histogram,
    quantile_at,
)

BRENT = NumericRange(20.0, 120.0)  # USD a barrel, closed: the question says so
BRENT_OPEN = NumericRange(20.0, 120.0, lower_open=True, upper_open=True)


def random_forecasts(seed: int, n: int) -> list[tuple[Quantiles, float]]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        k = int(rng.integers(3, 8))
        levels = np.sort(rng.choice(np.arange(1, 100), size=k, replace=False)) / 100
        values = np.sort(rng.uniform(25, 115, size=k))
        if np.any(np.diff(values) <= 0):
            continue
        cases.append((Quantiles(tuple(levels), tuple(values)), float(rng.uniform(10, 130))))
    return cases


def test_quantile_crps_is_scoringrules_crps_quantile() -> None:
    for forecast, outcome in random_forecasts(1, 300):
        expected = scoringrules.crps_quantile(outcome, np.array(forecast.values), np.array(forecast.levels))
        assert crps_quantile(forecast, outcome) == pytest.approx(float(expected), abs=1e-12)


# properscoring integrates without knowing the kinks (it warns, and agrees to 1e-4);
# scipy's quad is told them and agrees to 1e-9.
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("scale", [BRENT, BRENT_OPEN], ids=["closed", "open"])
def test_crps_of_the_cdf_is_its_integral(scale: NumericRange) -> None:
    """Against properscoring's quadrature and scipy's, on the CDF we build."""
    for forecast, outcome in random_forecasts(2, 60):
        cdf = cdf_of(forecast, scale)
        low, high = min(cdf.x[0], outcome) - 1, max(cdf.x[-1], outcome) + 1
        by_properscoring = properscoring.crps_quadrature(
            np.array([outcome]), lambda x, cdf=cdf: cdf_at(cdf, x), xmin=low, xmax=high, tol=1e-2
        )[0]
        points = sorted({*cdf.x.tolist(), outcome})
        by_quad = integrate.quad(
            lambda x, cdf=cdf, y=outcome: (float(cdf_at(cdf, x)) - (x >= y)) ** 2,
            low,
            high,
            points=points,
            limit=200,
        )[0]
        assert crps_cdf(cdf, outcome) == pytest.approx(by_quad, abs=1e-9)
        assert crps_cdf(cdf, outcome) == pytest.approx(by_properscoring, abs=1e-4)  # no breakpoints there


@pytest.mark.parametrize("outcome", [20.0, 33.3, 70.0, 119.0, 120.0, 5.0, 150.0])
def test_quartiles_of_a_uniform_forecast_score_as_the_uniform_distribution(outcome: float) -> None:
    """Three quartiles evenly spread over a closed range are the uniform distribution exactly."""
    forecast = Quantiles((0.25, 0.5, 0.75), (45.0, 70.0, 95.0))
    cdf = cdf_of(forecast, BRENT)
    assert crps_cdf(cdf, outcome) == pytest.approx(
        float(scoringrules.crps_uniform(outcome, 20, 120)), abs=1e-12
    )
    assert float(cdf_at(cdf, outcome)) == pytest.approx(min(max((outcome - 20) / 100, 0), 1), abs=1e-15)
    inside = 20 <= outcome <= 120
    assert log_density_score(cdf, outcome) == pytest.approx(0.0 if inside else math.log(DENSITY_FLOOR))


@pytest.mark.parametrize(
    ("lower", "upper", "outcome", "level"),
    [(48, 62, 55, 0.9), (48, 62, 40, 0.9), (48, 62, 70, 0.9), (52, 58, 59, 0.5), (52, 58, 52, 0.5)],
)
def test_interval_score_is_scoringrules(lower: float, upper: float, outcome: float, level: float) -> None:
    expected = float(scoringrules.interval_score(outcome, lower, upper, 1 - level))
    assert interval_score(lower, upper, outcome, level) == pytest.approx(expected, abs=1e-12)


def test_the_cdf_passes_through_every_stated_quantile_and_back() -> None:
    for forecast, _ in random_forecasts(3, 100):
        for scale in (BRENT, BRENT_OPEN, NumericRange(20.0, 120.0, log_scale=True)):
            cdf = cdf_of(forecast, scale)
            np.testing.assert_allclose(cdf_at(cdf, forecast.values), forecast.levels, atol=1e-12)
            np.testing.assert_allclose(quantile_at(cdf, forecast.levels), forecast.values, rtol=1e-12)
            assert np.all(np.diff(cdf.f) > 0)
            assert np.all(np.diff(cdf.x) > 0)


def test_tails_reach_a_closed_bound_and_run_past_an_open_one() -> None:
    forecast = Quantiles((0.1, 0.5, 0.9), (30.0, 50.0, 70.0))
    closed, opened = cdf_of(forecast, BRENT), cdf_of(forecast, BRENT_OPEN)
    assert (closed.x[0], closed.x[-1]) == (20.0, 120.0)
    # Open: the neighbouring slope (0.4 over 20) carries 0.1 in 5 below 30 and above 70.
    assert (opened.x[0], opened.x[-1]) == pytest.approx((25.0, 75.0))
    lopsided = cdf_of(Quantiles((0.1, 0.5, 0.95), (30.0, 50.0, 60.0)), BRENT_OPEN)
    assert (lopsided.x[0], lopsided.x[-1]) == pytest.approx((30 - 0.1 / 0.02, 60 + 0.05 / 0.045))
    wide = Quantiles((0.4, 0.5, 0.6), (30.0, 50.0, 70.0))  # slope 0.005: 0.4 takes 80 below 30
    assert float(cdf_at(cdf_of(wide, BRENT_OPEN), 20.0)) == pytest.approx(0.35)  # 35 % below the range


def test_a_log_scale_is_linear_in_the_log() -> None:
    scale = NumericRange(1.0, 10_000.0, log_scale=True)
    cdf = cdf_of(Quantiles((0.05, 0.5, 0.95), (10.0, 100.0, 1000.0)), scale)
    assert float(cdf_at(cdf, math.sqrt(10 * 100))) == pytest.approx(0.275)
    by_quad = integrate.quad(
        lambda u: (float(cdf_at(cdf, math.exp(u))) - (u >= math.log(300))) ** 2,
        0,
        math.log(10_000),
        limit=200,
        points=[*cdf.x.tolist(), math.log(300)],
    )[0]
    assert crps_cdf(cdf, 300.0) == pytest.approx(by_quad, abs=1e-9)  # in log units


def _binomial_quantile(n: int, p: float, q: float) -> int:
    total = 0.0
    for k in range(n + 1):
        total += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if total >= q - 1e-12:
            return k
    return n


def test_pit_histogram_counts_tenths_with_the_binomial_band() -> None:
    pit = [0.0, 0.05, 0.1, 0.15, 0.999, 1.0, 0.5]
    histogram = pit_histogram(pit)
    assert histogram.counts == (2, 2, 0, 0, 0, 1, 0, 0, 0, 2)
    big = pit_histogram(np.linspace(0, 1, 200, endpoint=False))
    assert big.counts == (20,) * 10
    assert (big.band_low, big.band_high) == (
        _binomial_quantile(200, 0.1, 0.025),
        _binomial_quantile(200, 0.1, 0.975),
    )


def test_a_weighted_pit_histogram_sums_weights_and_sizes_its_band_by_their_total() -> None:
    weighted = pit_histogram([0.05, 0.05, 0.95], weights=[0.25, 0.75, 1.0])
    assert weighted.counts == (1, 0, 0, 0, 0, 0, 0, 0, 0, 1)  # whole weights print as counts
    two = pit_histogram([0.1, 0.2])
    assert (weighted.band_low, weighted.band_high) == (two.band_low, two.band_high)
    fractional = pit_histogram([0.05, 0.95], weights=[0.5, 1.0])
    assert fractional.counts[0] == 0.5
    assert fractional.counts[-1] == 1.0


def test_coverage_counts_outcomes_inside_the_central_intervals() -> None:
    cdfs = [cdf_of(Quantiles((0.05, 0.25, 0.5, 0.75, 0.95), (40.0, 50.0, 55.0, 60.0, 70.0)), BRENT)] * 4
    outcomes = [55.0, 50.0, 65.0, 80.0]
    half, ninety = coverage(cdfs, outcomes, 0.5), coverage(cdfs, outcomes, 0.9)
    assert (half.inside, ninety.inside, half.n) == (2, 3, 4)
    assert half.low < 0.5 < half.high
    assert ninety.share == 0.75


@pytest.mark.parametrize(
    ("text", "levels", "values"),
    [
        ("55 (48–62)", (0.05, 0.5, 0.95), (48.0, 55.0, 62.0)),
        ("55 (48-62)", (0.05, 0.5, 0.95), (48.0, 55.0, 62.0)),
        ("55.5 (48.25 to 62)", (0.05, 0.5, 0.95), (48.25, 55.5, 62.0)),
        ("−2.1 (−3.5–−0.4)", (0.05, 0.5, 0.95), (-3.5, -2.1, -0.4)),
        ("12,000 (9,500–15,000)", (0.05, 0.5, 0.95), (9500.0, 12000.0, 15000.0)),
        ("5%: 48, 50%: 55, 95%: 62", (0.05, 0.5, 0.95), (48.0, 55.0, 62.0)),
        ("q05=48 q25=52 q50=55 q75=58 q95=62", (0.05, 0.25, 0.5, 0.75, 0.95), (48.0, 52.0, 55.0, 58.0, 62.0)),
    ],
)
def test_distributions_as_people_type_them(
    text: str, levels: tuple[float, ...], values: tuple[float, ...]
) -> None:
    assert parse_distribution(text) == (levels, values)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("55", "not a quantile"),
        ("70 (48–62)", "median must lie inside its interval"),
        ("5%: 48, 95%: 62", "not 3 or more"),
        ("about 55", "not a quantile"),
    ],
)
def test_what_is_not_a_distribution_says_what_is(text: str, says: str) -> None:
    with pytest.raises(Invalid, match=says) as refused:
        parse_distribution(text)
    assert "55 (48–62)" in refused.value.message


@pytest.mark.parametrize(
    ("levels", "values", "says"),
    [
        ((0.05, 0.5), (48.0, 55.0), "at least 3"),
        ((0.5, 0.05, 0.95), (48.0, 55.0, 62.0), "must rise strictly"),
        ((0.05, 0.5, 1.0), (48.0, 55.0, 62.0), "between 0 and 1"),
        ((0.05, 0.5, 0.95), (48.0, 48.0, 62.0), "must rise strictly with their levels"),
    ],
)
def test_quantiles_that_do_not_rise_are_refused(
    levels: tuple[float, ...], values: tuple[float, ...], says: str
) -> None:
    with pytest.raises(Invalid, match=says):
        Quantiles(levels, values)


def test_values_outside_a_closed_range_are_refused() -> None:
    with pytest.raises(Invalid, match=r"inside the closed range 20\.0 to 120\.0"):
        cdf_of(Quantiles((0.05, 0.5, 0.95), (10.0, 55.0, 62.0)), BRENT)
    assert cdf_of(Quantiles((0.05, 0.5, 0.95), (10.0, 55.0, 62.0)), BRENT_OPEN).x[0] < 10
