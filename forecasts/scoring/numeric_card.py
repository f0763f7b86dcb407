"""The scorecard of numeric forecasts: CRPS, interval scores, log density, PIT and coverage, for
everyone together and for each forecaster.

Scores are means over the calibration samples (:mod:`forecasts.scoring.samples`): by default
each forecaster's last forecast on each question; with ``time``, every forecast weighted by how
long it stood, which makes each mean the time average of that score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from forecasts.scoring import numeric_rows
from forecasts.scoring.calibration import wilson_interval
from forecasts.scoring.numeric import (
    CENTRAL_INTERVALS,
    DENSITY_FLOOR,
    Coverage,
    PitHistogram,
    pit_histogram,
)
from forecasts.scoring.samples import SampleMode, sample_weights
from forecasts.scoring.table import derive_codes

Floats = NDArray[np.float64]

TAILS = (
    "linear between quantiles; beyond the outer ones, straight to a closed bound (lower, upper), "
    "or on with the neighbouring segment's slope where a bound is open (blank)"
)


@dataclass(frozen=True)
class NumericTable:
    """Resolved numeric forecasts, one row each; ``values`` is NaN where a row leaves a level out."""

    question: NDArray[np.str_]
    forecaster: NDArray[np.str_]
    made_at: Floats
    levels: Floats  # (k,): every level any row states, rising
    values: Floats  # (n, k)
    outcome: Floats
    lower: Floats  # closed bounds, NaN for an open tail
    upper: Floats
    opens_at: Floats
    closes_at: Floats
    resolved_at: Floats
    question_codes: NDArray[np.intp] = field(default=None, repr=False, compare=False)  # type: ignore[arg-type]  # derived below
    forecaster_codes: NDArray[np.intp] = field(default=None, repr=False, compare=False)  # type: ignore[arg-type]  # derived below

    def __post_init__(self) -> None:
        derive_codes(self)

    def __len__(self) -> int:
        return int(self.outcome.size)


@dataclass(frozen=True)
class RowScores:
    """Each row's scores (NaN log density where the row has no closed range)."""

    crps_quantile: Floats
    crps_cdf: Floats
    pit: Floats
    log_density: Floats
    interval_score: dict[str, Floats]  # by "50", "90"
    inside: dict[str, Floats]  # 1.0 where the outcome fell in that central interval


def _label(level: float) -> str:
    return f"{level * 100:g}"


def row_scores(table: NumericTable) -> RowScores:
    """Every row scored, one group of rows per set of stated levels."""
    n = len(table)
    names = ("crps_quantile", "crps_cdf", "pit", "log_density")
    columns = {name: np.full(n, np.nan) for name in names}
    intervals = {_label(c): np.full(n, np.nan) for c in CENTRAL_INTERVALS}
    inside = {_label(c): np.full(n, np.nan) for c in CENTRAL_INTERVALS}
    stated = ~np.isnan(table.values)
    patterns, group = np.unique(stated, axis=0, return_inverse=True)
    for g, pattern in enumerate(patterns):
        rows = np.flatnonzero(group.reshape(-1) == g)
        quantiles = numeric_rows.QuantileRows(
            table.levels[pattern], table.values[np.ix_(rows, pattern)], table.lower[rows], table.upper[rows]
        )
        y = table.outcome[rows]
        columns["crps_quantile"][rows] = numeric_rows.crps_quantile(quantiles, y)
        columns["crps_cdf"][rows] = numeric_rows.crps_cdf(quantiles, y)
        columns["pit"][rows] = numeric_rows.pit(quantiles, y)
        columns["log_density"][rows] = numeric_rows.log_density(quantiles, y)
        for level in CENTRAL_INTERVALS:
            score, hit = numeric_rows.interval_scores(quantiles, y, level)
            intervals[_label(level)][rows], inside[_label(level)][rows] = score, hit
    return RowScores(**columns, interval_score=intervals, inside=inside)


@dataclass(frozen=True)
class NumericScores:
    n_forecasts: int
    n_questions: int
    n_samples: int
    crps_quantile: float  # twice the mean pinball loss, as scoringrules.crps_quantile
    crps_cdf: float  # of the interpolated CDF, exactly
    interval_score: dict[str, float]  # Gneiting–Raftery, of the 50 % and 90 % central intervals
    log_density: float  # relative to uniform over the range; NaN when no sample has one
    n_log_density: int  # the samples with a closed range on both sides
    interval_coverage: dict[str, Coverage]
    pit: PitHistogram


@dataclass(frozen=True)
class NumericCard:
    n_forecasts: int
    n_questions: int
    n_forecasters: int
    samples: SampleMode
    n_samples: int
    overall: NumericScores
    by_forecaster: dict[str, NumericScores]
    density_floor: float = DENSITY_FLOOR
    tails: str = TAILS


def _mean(values: Floats, weights: Floats) -> float:
    total = float(weights.sum())
    return float(np.dot(values, weights) / total) if total > 0 else float("nan")


def _coverage(inside: Floats, weights: Floats, level: float) -> Coverage:
    hits, n = float(np.dot(inside, weights)), float(weights.sum())
    if n == 0:
        return Coverage(level, 0, 0, float("nan"), float("nan"))
    low, high = wilson_interval(hits, n)
    whole = hits == round(hits) and n == round(n)
    return Coverage(level, int(hits) if whole else hits, int(n) if whole else n, float(low), float(high))


def _summary(
    table: NumericTable, scores: RowScores, rows: NDArray[np.bool_], weights: Floats
) -> NumericScores:
    chosen = rows & (weights > 0)
    w = weights[chosen]
    has_range = chosen & np.isfinite(scores.log_density)
    return NumericScores(
        n_forecasts=int(rows.sum()),
        n_questions=int(np.unique(table.question_codes[rows]).size),
        n_samples=int(chosen.sum()),
        crps_quantile=_mean(scores.crps_quantile[chosen], w),
        crps_cdf=_mean(scores.crps_cdf[chosen], w),
        interval_score={k: _mean(v[chosen], w) for k, v in scores.interval_score.items()},
        log_density=_mean(scores.log_density[has_range], weights[has_range]),
        n_log_density=int(has_range.sum()),
        interval_coverage={
            _label(c): _coverage(scores.inside[_label(c)][chosen], w, c) for c in CENTRAL_INTERVALS
        },
        pit=pit_histogram(scores.pit[chosen], weights=w),
    )


def _weights(table: NumericTable, samples: SampleMode) -> Floats:
    closes = np.where(np.isnan(table.closes_at), table.resolved_at, table.closes_at)
    ends = np.fmin(closes, table.resolved_at)
    if samples == "time":
        with np.errstate(invalid="ignore"):
            windowed = np.isfinite(table.opens_at) & np.isfinite(closes) & (closes > table.opens_at)
        if not windowed.all():
            raise ValueError("time-weighted samples need opens_at and closes_at for every question")
    return sample_weights(
        table.question_codes,
        table.forecaster_codes,
        table.made_at,
        samples,
        table.opens_at,
        np.where(np.isnan(ends), closes, ends),
    )


def score_numeric(
    table: NumericTable, samples: SampleMode = "last", scores: RowScores | None = None
) -> NumericCard:
    """The card for everyone together, and one per forecaster (in name order); ``scores`` are the
    table's :func:`row_scores` when the caller has them already (they do not depend on ``samples``)."""
    if len(table) == 0:
        raise ValueError("no resolved numeric forecasts to score")
    weights = _weights(table, samples)
    scores = scores if scores is not None else row_scores(table)
    everyone = np.ones(len(table), dtype=bool)
    by_forecaster = {
        str(name): _summary(table, scores, table.forecaster == name, weights)
        for name in np.unique(table.forecaster)
    }
    overall = _summary(table, scores, everyone, weights)
    return NumericCard(
        n_forecasts=len(table),
        n_questions=overall.n_questions,
        n_forecasters=len(by_forecaster),
        samples=samples,
        n_samples=overall.n_samples,
        overall=overall,
        by_forecaster=by_forecaster,
    )
