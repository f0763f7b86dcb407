"""Numeric and date questions: a forecast is a few quantiles; its CDF, its scores, its calibration.

A forecast is stored as quantiles: levels strictly increasing inside (0, 1), values strictly
increasing (a date is its seconds since 1970). Between two quantiles the CDF is linear in the
value (on a log-scale question, linear in the log of the value): the piecewise-linear
interpolation, monotone, and exactly the stated level at each stated value. Beyond the outer
quantiles the tails are linear too:

- towards a **closed** bound, straight to 0 (or 1) at the bound: nothing falls outside it;
- towards an **open** bound, with the slope of the neighbouring segment until the CDF reaches
  0 (or 1), wherever that is, so some probability may lie below (above) the range.

So the density is piecewise constant, and every score has a closed form over its segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forecasts.errors import Invalid
from forecasts.scoring.calibration import wilson_interval

Floats = NDArray[np.float64]

DEFAULT_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
CENTRAL_INTERVALS = (0.5, 0.9)  # the coverage we report: 25–75 % and 5–95 %
# The log score's density (relative to a uniform density over the range) is floored here, so
# one outcome outside every forecast costs ln(0.01) ≈ -4.6, not minus infinity.
DENSITY_FLOOR = 0.01
PIT_BINS = 10


@dataclass(frozen=True)
class NumericRange:
    """What a numeric or date question may resolve to."""

    lower: float
    upper: float
    lower_open: bool = False  # an open bound: the outcome may be below it ("below the range")
    upper_open: bool = False
    log_scale: bool = False

    def __post_init__(self) -> None:
        if not (np.isfinite(self.lower) and np.isfinite(self.upper) and self.lower < self.upper):
            raise Invalid(
                "range", f"the range {self.lower} to {self.upper} must run from a lower to a higher number"
            )
        if self.log_scale and self.lower <= 0:
            raise Invalid("range", f"a log scale needs a range above 0, not from {self.lower}")

    def scaled(self, values: ArrayLike) -> Floats:
        """Values on the axis the CDF is linear on."""
        as_floats = np.asarray(values, dtype=np.float64)
        return np.log(as_floats) if self.log_scale else as_floats


@dataclass(frozen=True)
class Quantiles:
    """A forecast: F(values[i]) = levels[i]."""

    levels: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        levels, values = np.asarray(self.levels, dtype=float), np.asarray(self.values, dtype=float)
        if levels.size != values.size or levels.size < 3:
            raise Invalid(
                "quantiles", f"give at least 3 quantiles, each a level and a value (got {levels.size})"
            )
        if not (np.all((levels > 0) & (levels < 1)) and np.all(np.diff(levels) > 0)):
            raise Invalid("quantiles", f"levels {list(self.levels)} must rise strictly, each between 0 and 1")
        if not (np.all(np.isfinite(values)) and np.all(np.diff(values) > 0)):
            raise Invalid("quantiles", f"values {list(self.values)} must rise strictly with their levels")


@dataclass(frozen=True)
class Cdf:
    """The piecewise-linear CDF on the scaled axis: knots ``x`` (rising) and ``F(x)`` there, 0 at the
    first knot and 1 at the last."""

    x: Floats
    f: Floats
    scale: NumericRange


def cdf_of(forecast: Quantiles, scale: NumericRange) -> Cdf:
    """The quantiles with their tails (see the module's docstring)."""
    x, f = scale.scaled(forecast.values), np.asarray(forecast.levels, dtype=np.float64)
    low, high = scale.scaled([scale.lower, scale.upper])
    closed_low, closed_high = not scale.lower_open, not scale.upper_open
    if (closed_low and x[0] <= low) or (closed_high and x[-1] >= high):
        raise Invalid(
            "quantiles",
            f"values {list(forecast.values)} must lie inside the closed range {scale.lower} to {scale.upper}",
        )
    first_slope, last_slope = (f[1] - f[0]) / (x[1] - x[0]), (f[-1] - f[-2]) / (x[-1] - x[-2])
    start = low if closed_low else x[0] - f[0] / first_slope
    end = high if closed_high else x[-1] + (1 - f[-1]) / last_slope
    return Cdf(np.r_[start, x, end], np.r_[0.0, f, 1.0], scale)


def cdf_at(cdf: Cdf, outcome: ArrayLike) -> Floats:
    """F(outcome): the PIT value of an outcome (in the question's units)."""
    return np.interp(cdf.scale.scaled(outcome), cdf.x, cdf.f, left=0.0, right=1.0)


def quantile_at(cdf: Cdf, level: ArrayLike) -> Floats:
    """The value where F reaches ``level`` (in the question's units)."""
    scaled = np.interp(np.asarray(level, dtype=np.float64), cdf.f, cdf.x)
    return np.exp(scaled) if cdf.scale.log_scale else scaled


def crps_quantile(forecast: Quantiles, outcome: float) -> float:
    """Twice the mean pinball loss over the stated quantiles (``scoringrules.crps_quantile``)."""
    levels, values = np.asarray(forecast.levels), np.asarray(forecast.values)
    pinball = (np.asarray(outcome < values, dtype=np.float64) - levels) * (values - outcome)
    return float(2 * pinball.mean())


def crps_cdf(cdf: Cdf, outcome: float) -> float:
    """∫ (F(x) − 1{x ≥ y})² dx over the scaled axis, exactly (F is linear between knots)."""
    y = float(cdf.scale.scaled(outcome))
    x, f = cdf.x, cdf.f
    if y < x[0]:
        outside = x[0] - y  # F = 0 where the step is already 1
    elif y > x[-1]:
        outside = y - x[-1]
    else:
        outside = 0.0
    knots = np.union1d(x, [min(max(y, x[0]), x[-1])])
    values = np.interp(knots, x, f)
    a, b, fa, fb = knots[:-1], knots[1:], values[:-1], values[1:]
    step = np.asarray(a >= y, dtype=np.float64)  # each piece lies wholly on one side of y
    da, db = fa - step, fb - step
    return float(outside + np.sum((b - a) * (da * da + da * db + db * db) / 3))


def interval_score(lower: float, upper: float, outcome: float, coverage: float) -> float:
    """Gneiting and Raftery's score of a central interval at ``coverage`` (α = 1 − coverage)."""
    alpha = 1 - coverage
    below, above = max(lower - outcome, 0.0), max(outcome - upper, 0.0)
    return float((upper - lower) + 2 / alpha * (below + above))


def log_density_score(cdf: Cdf, outcome: float) -> float:
    """ln of the density at the outcome relative to a uniform density over the range (on the
    scaled axis), floored at :data:`DENSITY_FLOOR`. 0 is no better than uniform; higher is better."""
    y = float(cdf.scale.scaled(outcome))
    low, high = cdf.scale.scaled([cdf.scale.lower, cdf.scale.upper])
    # Pieces are [a, b): the top end of the support belongs to the last one.
    piece = min(int(np.searchsorted(cdf.x, y, side="right")) - 1, cdf.x.size - 2) if y <= cdf.x[-1] else -1
    if piece < 0 or piece >= cdf.x.size - 1:
        density = 0.0
    else:
        density = (cdf.f[piece + 1] - cdf.f[piece]) / (cdf.x[piece + 1] - cdf.x[piece])
    return float(np.log(max(density * (high - low), DENSITY_FLOOR)))


@dataclass(frozen=True)
class PitHistogram:
    counts: tuple[float, ...]  # the weight of the outcomes whose F(outcome) fell in each tenth
    band_low: int  # a bin's count under a uniform PIT lies in [band_low, band_high] 95 % of the time
    band_high: int


def pit_histogram(pit: ArrayLike, weights: ArrayLike | None = None, bins: int = PIT_BINS) -> PitHistogram:
    """Counts of F(outcome) in ``bins`` equal bins (weighted: each sample's weight); the band is
    for as many samples as the weights add up to."""
    values = np.asarray(pit, dtype=np.float64)
    weight = np.ones_like(values) if weights is None else np.asarray(weights, dtype=np.float64)
    index = np.minimum((values * bins).astype(np.intp), bins - 1)
    counts = np.bincount(index, weights=weight, minlength=bins)
    low, high = _binomial_band(round(float(weight.sum())), 1 / bins)
    whole = bool(np.all(counts == np.round(counts)))
    return PitHistogram(tuple(int(c) if whole else float(c) for c in counts), low, high)


def _binomial_band(n: int, p: float, confidence: float = 0.95) -> tuple[int, int]:
    """The central ``confidence`` range of a Binomial(n, p) count (exact, from its CDF)."""
    if n == 0:
        return 0, 0
    from scipy.stats import binom  # only when calibration is drawn

    tail = (1 - confidence) / 2
    return int(binom.ppf(tail, n, p)), int(binom.ppf(1 - tail, n, p))


@dataclass(frozen=True)
class Coverage:
    level: float  # 0.5 or 0.9: the central interval's nominal coverage
    inside: float  # a count, or with time-weighted samples a weight
    n: float
    low: float  # Wilson interval of the share inside
    high: float

    @property
    def share(self) -> float:
        return self.inside / self.n if self.n else float("nan")


def coverage(cdfs: list[Cdf], outcomes: ArrayLike, level: float) -> Coverage:
    """How many outcomes fell inside each forecast's central ``level`` interval (bounds included)."""
    values = np.asarray(outcomes, dtype=np.float64)
    tail = (1 - level) / 2
    inside = 0
    for cdf, outcome in zip(cdfs, values.tolist(), strict=True):
        lower, upper = quantile_at(cdf, [tail, 1 - tail])
        inside += int(lower <= outcome <= upper)
    n = values.size
    if n == 0:
        return Coverage(level, 0, 0, float("nan"), float("nan"))
    low, high = wilson_interval(inside, n)
    return Coverage(level, inside, n, float(low), float(high))
