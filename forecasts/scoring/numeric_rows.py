"""The numeric scores of many forecasts at once: :mod:`forecasts.scoring.numeric` over arrays.

Every row is one forecast with the same stated levels (a file whose rows state different
subsets is scored a subset at a time). A row's closed bound is a number; NaN is an open tail,
which runs on with the slope of its neighbouring segment as in :func:`numeric.cdf_of`. The
scalar functions there are the reference: tests check these against them row by row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from forecasts.scoring.numeric import DENSITY_FLOOR

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class QuantileRows:
    levels: Floats  # (k,): rising, inside (0, 1)
    values: Floats  # (n, k): rising along each row
    lower: Floats  # (n,): the closed lower bound, or NaN for an open tail
    upper: Floats  # (n,)

    def __len__(self) -> int:
        return int(self.values.shape[0])


def knots(rows: QuantileRows) -> tuple[Floats, Floats]:
    """Each row's CDF as knots ``x`` (n, k + 2) and ``F`` there: 0 first, 1 last."""
    levels, values = rows.levels, rows.values
    first_slope = (levels[1] - levels[0]) / (values[:, 1] - values[:, 0])
    last_slope = (levels[-1] - levels[-2]) / (values[:, -1] - values[:, -2])
    start = np.where(np.isnan(rows.lower), values[:, 0] - levels[0] / first_slope, rows.lower)
    end = np.where(np.isnan(rows.upper), values[:, -1] + (1 - levels[-1]) / last_slope, rows.upper)
    x = np.column_stack([start, values, end])
    f = np.broadcast_to(np.r_[0.0, levels, 1.0], x.shape)
    return x, f


def _piece(x: Floats, y: Floats) -> NDArray[np.intp]:
    """The segment [x_i, x_i+1) holding y in each row (the first or last where y is outside)."""
    below: NDArray[np.intp] = np.sum(x <= y[:, None], axis=1) - 1
    return np.clip(below, 0, x.shape[1] - 2)


def _take(values: Floats, index: NDArray[np.intp]) -> Floats:
    return np.take_along_axis(values, index[:, None], axis=1)[:, 0]


def pit(rows: QuantileRows, outcome: Floats) -> Floats:
    """F(outcome) of each row."""
    x, f = knots(rows)
    i = _piece(x, outcome)
    a, b, fa, fb = _take(x, i), _take(x, i + 1), _take(f, i), _take(f, i + 1)
    return np.clip(fa + (fb - fa) * (outcome - a) / (b - a), 0.0, 1.0)


def quantiles_at(rows: QuantileRows, level: float) -> Floats:
    """The value where each row's CDF reaches ``level``."""
    x, f = knots(rows)
    i = np.clip(np.sum(f <= level, axis=1) - 1, 0, x.shape[1] - 2)
    a, b, fa, fb = _take(x, i), _take(x, i + 1), _take(f, i), _take(f, i + 1)
    return a + (level - fa) * (b - a) / (fb - fa)


def crps_quantile(rows: QuantileRows, outcome: Floats) -> Floats:
    """Twice the mean pinball loss over each row's quantiles (``scoringrules.crps_quantile``)."""
    y = outcome[:, None]
    pinball = ((y < rows.values).astype(np.float64) - rows.levels) * (rows.values - y)
    return np.asarray(2 * pinball.mean(axis=1), dtype=np.float64)


def _square_integral(width: Floats, d0: Floats, d1: Floats) -> Floats:
    """∫ of (a linear function from d0 to d1)² over ``width``."""
    return width * (d0 * d0 + d0 * d1 + d1 * d1) / 3


def crps_cdf(rows: QuantileRows, outcome: Floats) -> Floats:
    """∫ (F(x) − 1{x ≥ y})² dx of each row, exactly: every segment split at y where y falls in it."""
    x, f = knots(rows)
    y = outcome[:, None]
    a, b, fa, fb = x[:, :-1], x[:, 1:], f[:, :-1], f[:, 1:]
    cut = np.clip(y, a, b)
    f_cut = fa + (fb - fa) * (cut - a) / (b - a)
    left = _square_integral(cut - a, fa, f_cut)  # below y: the step is 0
    right = _square_integral(b - cut, f_cut - 1, fb - 1)  # at or above y: the step is 1
    outside = np.maximum(x[:, 0] - outcome, 0.0) + np.maximum(outcome - x[:, -1], 0.0)
    return np.asarray(outside + np.sum(left + right, axis=1), dtype=np.float64)


def interval_scores(rows: QuantileRows, outcome: Floats, coverage: float) -> tuple[Floats, Floats]:
    """Each row's central interval at ``coverage`` (its bounds read off the CDF), as the score and
    whether the outcome fell inside (bounds included, 1.0 or 0.0)."""
    tail = (1 - coverage) / 2
    low, high = quantiles_at(rows, tail), quantiles_at(rows, 1 - tail)
    missed = np.maximum(low - outcome, 0.0) + np.maximum(outcome - high, 0.0)
    inside = ((low <= outcome) & (outcome <= high)).astype(np.float64)
    return (high - low) + 2 / (1 - coverage) * missed, inside


def log_density(rows: QuantileRows, outcome: Floats) -> Floats:
    """ln of each row's density at the outcome relative to uniform over its range, floored at
    :data:`DENSITY_FLOOR`; NaN where a bound is open (no range to be uniform over)."""
    x, f = knots(rows)
    i = _piece(x, outcome)
    density = (_take(f, i + 1) - _take(f, i)) / (_take(x, i + 1) - _take(x, i))
    density = np.where((outcome < x[:, 0]) | (outcome > x[:, -1]), 0.0, density)
    relative = np.maximum(density * (rows.upper - rows.lower), DENSITY_FLOOR)
    return np.log(relative)
