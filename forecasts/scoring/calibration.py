"""Binned reliability: every probability lands in exactly one bin, with Wilson intervals.

Bin edges are integers in percent, and probabilities are compared on an
integer grid of millionths, so 0.15 and 0.35 never slip between float edges.
A bin is [lower, upper), the last one [lower, 100]. The default edges centre
the bins on round tens (5, 15, …, 95), where people's forecasts cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

DECILE_EDGES: tuple[int, ...] = (0, 5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 100)
GRID = 1_000_000  # millionths of a probability
CONFIDENCE = 0.95


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float  # probability, inclusive
    upper: float  # probability, exclusive except for the last bin
    count: int
    mean_forecast: float
    observed: float
    ci_low: float
    ci_high: float


def _check_edges(edges_percent: tuple[int, ...]) -> NDArray[np.int64]:
    edges = np.asarray(edges_percent, dtype=np.int64)
    if edges[0] != 0 or edges[-1] != 100 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"bin edges must rise strictly from 0 to 100 (percent), got {edges_percent}")
    return edges * (GRID // 100)


def bin_index(p: ArrayLike, edges_percent: tuple[int, ...] = DECILE_EDGES) -> NDArray[np.intp]:
    """The bin of each probability; every p in [0, 1] gets exactly one."""
    p_arr = np.asarray(p, dtype=np.float64)
    # One pass catches NaN as well: NaN fails both comparisons.
    if p_arr.size and not (p_arr.min() >= 0.0 and p_arr.max() <= 1.0):
        raise ValueError("probabilities must lie in [0, 1]")
    edges = _check_edges(edges_percent)
    # Edges sit on whole percents, so the whole percent below p decides the bin:
    # a 101-entry lookup table replaces a binary search per forecast.
    # rint(p·10⁶) is an exact whole number and dividing it by 10⁴ rounds correctly, so the
    # truncation below never moves a value across a whole percent.
    percent = (np.rint(p_arr * GRID) / (GRID // 100)).astype(np.intp)
    lookup = np.searchsorted(edges, np.arange(101) * (GRID // 100), side="right") - 1
    return np.take(np.minimum(lookup, len(edges) - 2), percent)


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = CONFIDENCE
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval for a binomial proportion (good at small n and near 0 or 1)."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    share = k / n
    denominator = 1.0 + z**2 / n
    centre = (share + z**2 / (2 * n)) / denominator
    half_width = z / denominator * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2))
    # At k = 0 and k = n the exact bounds are 0 and 1; don't let rounding say otherwise.
    low = np.where(np.isclose(k, 0.0), 0.0, np.clip(centre - half_width, 0.0, 1.0))
    high = np.where(np.isclose(k, n), 1.0, np.clip(centre + half_width, 0.0, 1.0))
    return low, high


def _weights(p: NDArray[np.float64], weights: ArrayLike | None) -> NDArray[np.float64]:
    if weights is None:
        return np.ones_like(p)
    w_arr = np.asarray(weights, dtype=np.float64)
    if w_arr.shape != p.shape or np.any(w_arr < 0) or not np.all(np.isfinite(w_arr)):
        raise ValueError("weights must be finite, non-negative and one per forecast")
    return w_arr


def reliability_bins(
    p: ArrayLike,
    y: ArrayLike,
    edges_percent: tuple[int, ...] = DECILE_EDGES,
    confidence: float = CONFIDENCE,
    weights: ArrayLike | None = None,
) -> list[ReliabilityBin]:
    """The non-empty bins: count, mean forecast (where the point is drawn), observed frequency, CI.

    With ``weights`` (time-weighted samples) the means are weighted, ``count`` is
    still the number of forecasts, and the Wilson interval uses Kish's effective
    sample size (Σw)²/Σw², so down-weighted forecasts don't fake certainty.
    """
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    n_bins = len(edges_percent) - 1
    if weights is None:
        # The common case: no weights, so no masking and no weighted passes.
        index = bin_index(p_arr, edges_percent)
        counts = np.bincount(index, minlength=n_bins)
        weight_sums = squared_weights = counts.astype(np.float64)
        forecast_sums = np.bincount(index, weights=p_arr, minlength=n_bins)
        hit_sums = np.bincount(index, weights=y_arr, minlength=n_bins)
    else:
        w_arr = _weights(p_arr, weights)
        keep = w_arr > 0
        p_arr, y_arr, w_arr = p_arr[keep], y_arr[keep], w_arr[keep]
        index = bin_index(p_arr, edges_percent)
        counts = np.bincount(index, minlength=n_bins)
        weight_sums = np.bincount(index, weights=w_arr, minlength=n_bins).astype(np.float64, copy=False)
        forecast_sums = np.bincount(index, weights=w_arr * p_arr, minlength=n_bins)
        hit_sums = np.bincount(index, weights=w_arr * y_arr, minlength=n_bins)
        squared_weights = np.bincount(index, weights=w_arr**2, minlength=n_bins).astype(
            np.float64, copy=False
        )
    occupied = np.flatnonzero(counts)
    observed = hit_sums[occupied] / weight_sums[occupied]
    effective_n = weight_sums[occupied] ** 2 / squared_weights[occupied]
    low, high = wilson_interval(observed * effective_n, effective_n, confidence)
    return [
        ReliabilityBin(
            lower=edges_percent[b] / 100,
            upper=edges_percent[b + 1] / 100,
            count=int(counts[b]),
            mean_forecast=float(forecast_sums[b] / weight_sums[b]),
            observed=float(observed[i]),
            ci_low=float(low[i]),
            ci_high=float(high[i]),
        )
        for i, b in enumerate(occupied)
    ]
