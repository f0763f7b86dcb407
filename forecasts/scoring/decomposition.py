"""Brier and log score decompositions, optionally weighted (for time-weighted samples).

- Murphy (1973) with Stephenson, Coelho & Jolliffe's (2008) two extra terms:
  BS = REL − RES + UNC + WBV − WBC, exact for any binning.
- CORP (Dimitriadis, Gneiting & Jordan 2021): recalibrate with isotonic (PAV)
  regression, tied forecasts pooled first, then S̄ = MCB − DSC + UNC with
  MCB ≥ 0 and DSC ≥ 0, for the Brier and the log score alike; plus the
  resampled consistency band that shows how far a calibrated forecaster's
  curve would wander by chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import isotonic_regression

from forecasts.scoring.calibration import DECILE_EDGES, _weights, bin_index
from forecasts.scoring.rules import LOG_CLAMP, brier_01, log_loss

Floats = NDArray[np.float64]


def _arrays(p: ArrayLike, y: ArrayLike, weights: ArrayLike | None) -> tuple[Floats, Floats, Floats]:
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    if p_arr.shape != y_arr.shape or p_arr.size == 0:
        raise ValueError("need one outcome per forecast, and at least one forecast")
    w_arr = _weights(p_arr, weights)
    keep = w_arr > 0
    return p_arr[keep], y_arr[keep], w_arr[keep]


@dataclass(frozen=True)
class MurphyDecomposition:
    rel: float  # reliability: squared gap between mean forecast and frequency, per bin
    res: float  # resolution: how far bin frequencies stray from the base rate
    unc: float  # uncertainty: ȳ(1 − ȳ)
    wbv: float  # within-bin variance of the forecasts
    wbc: float  # within-bin covariance of forecasts and outcomes (counted twice)
    brier: float  # mean Brier on the 0–1 scale = rel − res + unc + wbv − wbc


def murphy(
    p: ArrayLike,
    y: ArrayLike,
    edges_percent: tuple[int, ...] | None = DECILE_EDGES,
    weights: ArrayLike | None = None,
) -> MurphyDecomposition:
    """Murphy's decomposition over fixed bins; ``edges_percent=None`` bins by distinct value."""
    p_arr, y_arr, w_arr = _arrays(p, y, weights)
    total = w_arr.sum()
    if edges_percent is None:
        _, index = np.unique(p_arr, return_inverse=True)
    else:
        index = bin_index(p_arr, edges_percent)
    bin_weight = np.bincount(index, weights=w_arr)
    occupied = bin_weight > 0
    mean_forecast = np.zeros_like(bin_weight)
    observed = np.zeros_like(bin_weight)
    mean_forecast[occupied] = np.bincount(index, weights=w_arr * p_arr)[occupied] / bin_weight[occupied]
    observed[occupied] = np.bincount(index, weights=w_arr * y_arr)[occupied] / bin_weight[occupied]
    base_rate = float(np.sum(w_arr * y_arr) / total)
    forecast_spread = p_arr - mean_forecast[index]
    return MurphyDecomposition(
        rel=float(np.sum(bin_weight * (mean_forecast - observed) ** 2) / total),
        res=float(np.sum(bin_weight * (observed - base_rate) ** 2) / total),
        unc=base_rate * (1 - base_rate),
        wbv=float(np.sum(w_arr * forecast_spread**2) / total),
        wbc=float(2 * np.sum(w_arr * forecast_spread * (y_arr - observed[index])) / total),
        brier=float(np.sum(w_arr * brier_01(p_arr, y_arr)) / total),
    )


@dataclass(frozen=True)
class BiasCorrectedMurphy:
    """Ferro & Fricker (2012): REL is biased up and UNC down in finite samples; these are
    corrected (unclamped: REL′ may be negative). REL′ − RES′ + UNC′ = REL − RES + UNC."""

    rel: float
    res: float
    unc: float


def ferro_fricker(
    p: ArrayLike, y: ArrayLike, edges_percent: tuple[int, ...] | None = DECILE_EDGES
) -> BiasCorrectedMurphy:
    p_arr, y_arr, _ = _arrays(p, y, None)
    n = p_arr.size
    plain = murphy(p_arr, y_arr, edges_percent)
    if edges_percent is None:
        _, index = np.unique(p_arr, return_inverse=True)
    else:
        index = bin_index(p_arr, edges_percent)
    counts = np.bincount(index)
    hits = np.bincount(index, weights=y_arr)
    usable = counts >= 2
    observed = hits[usable] / counts[usable]
    c_s = float(np.sum(counts[usable] * observed * (1 - observed) / (counts[usable] - 1)) / n)
    c_t = plain.unc / (n - 1) if n > 1 else 0.0
    return BiasCorrectedMurphy(rel=plain.rel - c_s, res=plain.res - c_s + c_t, unc=plain.unc + c_t)


def pav_recalibrate(p: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None) -> Floats:
    """Isotonic (PAV) recalibration of ``p`` against ``y``; equal forecasts get one value.

    Tied forecasts are pooled into one weighted block before PAV runs, which is
    what makes the result unique (R reliabilitydiag does the same).
    """
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    w_arr = np.ones_like(p_arr) if weights is None else np.asarray(weights, dtype=np.float64)
    _, inverse = np.unique(p_arr, return_inverse=True)
    block_weight = np.bincount(inverse, weights=w_arr)
    block_mean = np.bincount(inverse, weights=w_arr * y_arr) / block_weight
    fitted = isotonic_regression(block_mean, weights=block_weight, increasing=True).x
    result: Floats = fitted[inverse]
    return result


@dataclass(frozen=True)
class CorpDecomposition:
    mcb: float  # miscalibration: score lost to calibration errors (≥ 0)
    dsc: float  # discrimination: score gained over the base rate (≥ 0)
    unc: float  # uncertainty: the base rate's own score
    score: float  # mean score = mcb − dsc + unc


def _corp(
    score: Floats, recalibrated_score: Floats, reference_score: Floats, weights: Floats
) -> CorpDecomposition:
    total = weights.sum()
    mean_score = float(np.sum(weights * score) / total)
    recalibrated = float(np.sum(weights * recalibrated_score) / total)
    reference = float(np.sum(weights * reference_score) / total)
    return CorpDecomposition(
        mcb=mean_score - recalibrated, dsc=reference - recalibrated, unc=reference, score=mean_score
    )


def corp_brier(p: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None) -> CorpDecomposition:
    """CORP decomposition of the mean Brier score (0–1 scale)."""
    p_arr, y_arr, w_arr = _arrays(p, y, weights)
    recalibrated = pav_recalibrate(p_arr, y_arr, w_arr)
    base_rate = np.full_like(p_arr, np.sum(w_arr * y_arr) / w_arr.sum())
    return _corp(brier_01(p_arr, y_arr), brier_01(recalibrated, y_arr), brier_01(base_rate, y_arr), w_arr)


def _unclamped_log(p: Floats, y: Floats) -> Floats:
    # Recalibrated values may be exactly 0 or 1 where they are right, costing nothing.
    with np.errstate(divide="ignore"):
        return -np.log(np.where(y == 1.0, p, 1.0 - p))


def corp_log(
    p: ArrayLike,
    y: ArrayLike,
    bounds: tuple[float, float] | None = LOG_CLAMP,
    weights: ArrayLike | None = None,
) -> CorpDecomposition:
    """CORP decomposition of the mean log score (natural log).

    The forecasts are clamped to ``bounds`` (as everywhere in our log scores);
    the PAV recalibration and the base rate are scored unclamped, so the
    identity score = MCB − DSC + UNC holds exactly. ``bounds=None`` skips the clamp.
    """
    p_arr, y_arr, w_arr = _arrays(p, y, weights)
    scored = p_arr if bounds is None else np.clip(p_arr, *bounds)
    recalibrated = pav_recalibrate(scored, y_arr, w_arr)
    base_rate = np.full_like(p_arr, np.sum(w_arr * y_arr) / w_arr.sum())
    own = _unclamped_log(scored, y_arr) if bounds is None else log_loss(scored, y_arr, bounds)
    return _corp(own, _unclamped_log(recalibrated, y_arr), _unclamped_log(base_rate, y_arr), w_arr)


@dataclass(frozen=True)
class ReliabilityCurve:
    """The CORP reliability diagram: one point per distinct forecast, with its consistency band."""

    forecast: Floats  # distinct forecast values, ascending
    recalibrated: Floats  # PAV-recalibrated probability at each
    band_low: Floats  # where a calibrated forecaster's curve stays, at the band's level
    band_high: Floats
    level: float


def corp_reliability_curve(
    p: ArrayLike,
    y: ArrayLike,
    *,
    level: float = 0.9,
    n_resamples: int = 100,
    seed: int = 0,
) -> ReliabilityCurve:
    """PAV curve plus a resampled *consistency* band (reliabilitydiag's default method).

    Each resample draws forecasts with replacement, draws outcomes as if the
    forecasts were calibrated (y* ~ Bernoulli(p*)), refits PAV and reads the
    curve off at our distinct forecasts. The band holds the central ``level``
    share of those curves: a point outside it is miscalibration beyond chance.
    """
    p_arr, y_arr, _ = _arrays(p, y, None)
    forecast, first = np.unique(p_arr, return_index=True)
    recalibrated = pav_recalibrate(p_arr, y_arr)[first]
    rng = np.random.default_rng(seed)
    curves = np.empty((n_resamples, forecast.size))
    for i in range(n_resamples):
        p_star = rng.choice(p_arr, size=p_arr.size, replace=True)
        y_star = (rng.random(p_arr.size) < p_star).astype(np.float64)
        distinct, inverse = np.unique(p_star, return_inverse=True)
        block_weight = np.bincount(inverse).astype(np.float64)
        block_mean = np.bincount(inverse, weights=y_star) / block_weight
        curve = isotonic_regression(block_mean, weights=block_weight).x
        curves[i] = np.interp(forecast, distinct, curve)
    tail = (1 - level) / 2
    low, high = np.quantile(curves, [tail, 1 - tail], axis=0)
    return ReliabilityCurve(forecast, recalibrated, low, high, level)
