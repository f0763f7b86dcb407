"""Brier and log score decompositions.

- Murphy (1973) with Stephenson, Coelho & Jolliffe's (2008) two extra terms:
  BS = REL − RES + UNC + WBV − WBC, exact for any binning.
- CORP (Dimitriadis, Gneiting & Jordan 2021): recalibrate with isotonic (PAV)
  regression, tied forecasts pooled first, then S̄ = MCB − DSC + UNC with
  MCB ≥ 0 and DSC ≥ 0, for the Brier and the log score alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forecasts.scoring.calibration import DECILE_EDGES, bin_index
from forecasts.scoring.rules import LOG_CLAMP, brier_01, log_loss

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class MurphyDecomposition:
    rel: float  # reliability: squared gap between mean forecast and frequency, per bin
    res: float  # resolution: how far bin frequencies stray from the base rate
    unc: float  # uncertainty: ȳ(1 − ȳ)
    wbv: float  # within-bin variance of the forecasts
    wbc: float  # within-bin covariance of forecasts and outcomes (counted twice)
    brier: float  # mean Brier on the 0–1 scale = rel − res + unc + wbv − wbc


def murphy(
    p: ArrayLike, y: ArrayLike, edges_percent: tuple[int, ...] | None = DECILE_EDGES
) -> MurphyDecomposition:
    """Murphy's decomposition over fixed bins; ``edges_percent=None`` bins by distinct value."""
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    n = p_arr.size
    if edges_percent is None:
        _, index = np.unique(p_arr, return_inverse=True)
    else:
        index = bin_index(p_arr, edges_percent)
    counts = np.bincount(index)
    occupied = counts > 0
    mean_forecast = np.zeros_like(counts, dtype=np.float64)
    observed = np.zeros_like(counts, dtype=np.float64)
    mean_forecast[occupied] = np.bincount(index, weights=p_arr)[occupied] / counts[occupied]
    observed[occupied] = np.bincount(index, weights=y_arr)[occupied] / counts[occupied]
    base_rate = y_arr.mean()
    forecast_spread = p_arr - mean_forecast[index]
    return MurphyDecomposition(
        rel=float(np.sum(counts * (mean_forecast - observed) ** 2) / n),
        res=float(np.sum(counts * (observed - base_rate) ** 2) / n),
        unc=float(base_rate * (1 - base_rate)),
        wbv=float(np.sum(forecast_spread**2) / n),
        wbc=float(2 * np.sum(forecast_spread * (y_arr - observed[index])) / n),
        brier=float(brier_01(p_arr, y_arr).mean()),
    )


def pav_recalibrate(p: ArrayLike, y: ArrayLike) -> Floats:
    """Isotonic (PAV) recalibration of ``p`` against ``y``; equal forecasts get one value.

    Tied forecasts are pooled into one weighted block before PAV runs, which is
    what makes the result unique (R reliabilitydiag does the same).
    """
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    _, inverse = np.unique(p_arr, return_inverse=True)
    weights = np.bincount(inverse).astype(np.float64)
    means = np.bincount(inverse, weights=y_arr) / weights
    # Pool adjacent violators over the tie blocks (a stack of merged blocks).
    block_mean: list[float] = []
    block_weight: list[float] = []
    block_size: list[int] = []
    for mean, weight in zip(means.tolist(), weights.tolist(), strict=True):
        size = 1
        while block_mean and block_mean[-1] >= mean:
            total = block_weight[-1] + weight
            mean = (block_mean[-1] * block_weight[-1] + mean * weight) / total
            weight = total
            size += block_size[-1]
            block_mean.pop()
            block_weight.pop()
            block_size.pop()
        block_mean.append(mean)
        block_weight.append(weight)
        block_size.append(size)
    fitted_distinct = np.repeat(np.asarray(block_mean), block_size)
    return fitted_distinct[inverse]


@dataclass(frozen=True)
class CorpDecomposition:
    mcb: float  # miscalibration: score lost to calibration errors (≥ 0)
    dsc: float  # discrimination: score gained over the base rate (≥ 0)
    unc: float  # uncertainty: the base rate's own score
    score: float  # mean score = mcb − dsc + unc


def _corp(score: Floats, recalibrated_score: Floats, reference_score: Floats) -> CorpDecomposition:
    mean_score = float(score.mean())
    recalibrated = float(recalibrated_score.mean())
    reference = float(reference_score.mean())
    return CorpDecomposition(
        mcb=mean_score - recalibrated, dsc=reference - recalibrated, unc=reference, score=mean_score
    )


def corp_brier(p: ArrayLike, y: ArrayLike) -> CorpDecomposition:
    """CORP decomposition of the mean Brier score (0–1 scale)."""
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    recalibrated = pav_recalibrate(p_arr, y_arr)
    base_rate = np.full_like(p_arr, y_arr.mean())
    return _corp(brier_01(p_arr, y_arr), brier_01(recalibrated, y_arr), brier_01(base_rate, y_arr))


def _unclamped_log(p: Floats, y: Floats) -> Floats:
    # The recalibrated values may be exactly 0 or 1 where they are right, costing nothing.
    with np.errstate(divide="ignore"):
        loss = -np.log(np.where(y == 1.0, p, 1.0 - p))
    return loss


def corp_log(p: ArrayLike, y: ArrayLike, bounds: tuple[float, float] | None = LOG_CLAMP) -> CorpDecomposition:
    """CORP decomposition of the mean log score (natural log).

    The forecasts are clamped to ``bounds`` (as everywhere in our log scores);
    the PAV recalibration and the base rate are scored unclamped, so the
    identity score = MCB − DSC + UNC holds exactly. ``bounds=None`` skips the clamp.
    """
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    scored = p_arr if bounds is None else np.clip(p_arr, *bounds)
    recalibrated = pav_recalibrate(scored, y_arr)
    base_rate = np.full_like(p_arr, y_arr.mean())
    own = _unclamped_log(scored, y_arr) if bounds is None else log_loss(scored, y_arr, bounds)
    return _corp(own, _unclamped_log(recalibrated, y_arr), _unclamped_log(base_rate, y_arr))
