"""A platform's numeric forecast given as CDF points, read as our quantiles.

Metaculus publishes a continuous aggregate as the CDF at each point of the question's
"continuous range" (201 points, its ends the range's bounds): ``F(points[i]) = cdf[i]``,
with ``cdf[0]`` the mass below the range and ``1 - cdf[-1]`` the mass above it where a
bound is open. A quantile is read off by linear interpolation between the two points
around its level, as Metaculus reads its own percentiles (its exports' "5th Percentile"
… "95th Percentile" columns match this to rounding: tests/test_cdf_points.py). A level
below ``cdf[0]`` or above ``cdf[-1]`` lies outside the range and cannot be placed: it is
left out, and the forecast keeps the levels it can state (at least three).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forecasts.errors import Invalid
from forecasts.scoring.numeric import Quantiles

CROWD_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


def _checked(points: Sequence[float], cdf: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, f = np.asarray(points, dtype=np.float64), np.asarray(cdf, dtype=np.float64)
    except (TypeError, ValueError):
        raise Invalid("cdf", "the CDF and its points must be lists of numbers") from None
    if x.ndim != 1 or x.shape != f.shape or x.size < 2:
        raise Invalid("cdf", f"{f.size} CDF values for {x.size} points; they must pair up, two or more")
    if not (np.all(np.isfinite(x)) and np.all(np.diff(x) > 0)):
        raise Invalid("cdf", "the points must be finite and rise strictly")
    if not (np.all((f >= 0) & (f <= 1)) and np.all(np.diff(f) >= 0)):
        raise Invalid("cdf", "the CDF values must lie in 0–1 and never fall")
    return x, f


def quantiles_from_cdf_points(
    points: Sequence[float], cdf: Sequence[float], levels: Sequence[float] = CROWD_LEVELS
) -> Quantiles:
    """The forecast's quantiles at ``levels`` (those inside the range's mass)."""
    x, f = _checked(points, cdf)
    wanted = np.asarray(levels, dtype=np.float64)
    placed = wanted[(wanted >= f[0]) & (wanted <= f[-1])]
    if placed.size < 3:
        raise Invalid(
            "cdf",
            f"only {placed.size} of the levels {list(levels)} fall inside the range "
            f"(its mass runs from {f[0]:.3f} to {f[-1]:.3f}); at least 3 are needed",
        )
    right = np.clip(np.searchsorted(f, placed, side="left"), 1, x.size - 1)  # first point with F >= level
    left = right - 1
    rise = f[right] - f[left]
    share = np.divide(placed - f[left], rise, out=np.ones_like(placed), where=rise > 0)
    values = x[left] + share * (x[right] - x[left])
    return Quantiles(tuple(placed.tolist()), tuple(values.tolist()))
