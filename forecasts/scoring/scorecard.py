"""Everything we say about a set of resolved binary forecasts, from one flat table.

This is the one orchestrator: it picks the calibration samples, then calls the
pure rules, binning and decompositions. The CLI's ``score`` command and the
dashboard both read a :class:`Scorecard`. A forecaster's question-level
summary is the mean over questions, never over forecasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from forecasts.scoring.calibration import DECILE_EDGES, ReliabilityBin, reliability_bins
from forecasts.scoring.decomposition import (
    CorpDecomposition,
    MurphyDecomposition,
    corp_brier,
    corp_log,
    murphy,
)
from forecasts.scoring.multiple_choice import ChoiceScores
from forecasts.scoring.pieces import Pieces, pair_pieces, updating_of
from forecasts.scoring.rules import LOG_CLAMP, brier_01, log_loss
from forecasts.scoring.samples import SampleMode, pair_order, sample_weights
from forecasts.scoring.table import ForecastTable
from forecasts.scoring.updating import Updating

__all__ = ["ForecastTable", "Pieces", "Scorecard", "assemble_scorecard", "score_forecasts"]

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class TimelineSummary:
    """Question-level scores, each the mean over this forecaster's questions."""

    n_questions: int
    brier_exact: float  # 0–1 scale: time average while a forecast stood (exact timestamps)
    coverage: float  # share of each question's scheduled lifetime with a forecast standing
    brier_daily: float  # 0–1 scale: GJ Open style, mean over the full days with a forecast
    relative_brier_daily: float  # 0–1 scale: daily Brier minus the day's median, zero when inactive
    baseline: float  # Metaculus baseline score (gain; zero before the first forecast)
    peer: float  # Metaculus peer score (gain; sums to zero across forecasters)
    n_compared: int = 0  # questions on which someone else forecast too: what peer and relative need


@dataclass(frozen=True)
class Scorecard:
    n_forecasts: int
    n_questions: int
    n_forecasters: int
    samples: SampleMode
    n_samples: int
    brier: float  # 0–1 scale, weighted mean over the calibration samples
    log: float  # natural log, forecasts clamped to log_clamp
    log_clamp: tuple[float, float]
    calibration: list[ReliabilityBin]
    corp: CorpDecomposition
    corp_log: CorpDecomposition
    murphy: MurphyDecomposition
    timeline: TimelineSummary | None = None
    updating: Updating | None = None  # how they update (forecasting.scoring.updating)
    multiple_choice: ChoiceScores | None = None  # their multiple-choice questions, scored apart
    by_forecaster: dict[str, Scorecard] = field(default_factory=dict)


def _mean_of_finite(values: Floats) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _timeline(mine: Pieces) -> TimelineSummary | None:
    """The mean over this forecaster's windowed questions of each time-averaged score (nan skipped)."""
    timed = mine.subset(mine.windowed)
    if len(timed) == 0:
        return None
    return TimelineSummary(
        n_questions=len(timed),
        brier_exact=_mean_of_finite(timed.time_brier_exact),
        coverage=_mean_of_finite(timed.time_coverage),
        brier_daily=_mean_of_finite(timed.brier_daily),
        relative_brier_daily=_mean_of_finite(timed.relative_brier_daily),
        baseline=_mean_of_finite(timed.baseline),
        peer=_mean_of_finite(timed.peer),
        n_compared=int(np.isfinite(timed.peer).sum()),
    )


@dataclass(frozen=True)
class Samples:
    """The calibration samples: a probability, what happened, a weight, and whose it was."""

    probability: Floats
    outcome: Floats
    weight: Floats
    forecaster: NDArray[np.int64]

    def subset(self, rows: NDArray[np.bool_] | NDArray[np.intp] | slice) -> Samples:
        return Samples(self.probability[rows], self.outcome[rows], self.weight[rows], self.forecaster[rows])


def last_samples(pieces: Pieces) -> Samples:
    """Each pair's last forecast, weight 1."""
    return Samples(pieces.last_probability, pieces.outcome, np.ones(len(pieces)), pieces.forecaster)


def _weighted_samples(table: ForecastTable, samples: SampleMode) -> Samples:
    """``time`` and ``every``: every forecast, weighted (rows of weight 0 left out)."""
    ordered = pair_order(table.question_codes, table.forecaster_codes, table.made_at)
    ends = np.fmin(table.closes_at, table.resolved_at)
    weights = sample_weights(
        table.question_codes,
        table.forecaster_codes,
        table.made_at,
        samples,
        table.opens_at,
        np.where(np.isnan(ends), table.closes_at, ends),
        ordered=ordered,
    )
    chosen = weights > 0
    return Samples(
        table.probability[chosen],
        table.outcome[chosen],
        weights[chosen],
        table.forecaster_codes[chosen].astype(np.int64),
    )


def _card(
    pieces: Pieces,
    samples: Samples,
    mode: SampleMode,
    edges_percent: tuple[int, ...],
    log_clamp: tuple[float, float],
) -> Scorecard:
    p, y, w = samples.probability, samples.outcome, samples.weight
    return Scorecard(
        n_forecasts=int(pieces.n_forecasts.sum()),
        n_questions=int(np.unique(pieces.question).size),
        n_forecasters=int(np.unique(pieces.forecaster).size),
        samples=mode,
        n_samples=int(p.size),
        brier=float(np.average(brier_01(p, y), weights=w)),
        log=float(np.average(log_loss(p, y, log_clamp), weights=w)),
        log_clamp=log_clamp,
        calibration=reliability_bins(p, y, edges_percent, weights=w),
        corp=corp_brier(p, y, weights=w),
        corp_log=corp_log(p, y, log_clamp, weights=w),
        murphy=murphy(p, y, edges_percent, weights=w),
    )


def _rows_of(sorted_codes: NDArray[np.int64], code: int) -> slice:
    start, end = np.searchsorted(sorted_codes, [code, code + 1])
    return slice(int(start), int(end))


def assemble_scorecard(
    pieces: Pieces,
    names: Mapping[int, str],
    *,
    samples: Samples | None = None,
    mode: SampleMode = "last",
    edges_percent: tuple[int, ...] = DECILE_EDGES,
    log_clamp: tuple[float, float] = LOG_CLAMP,
) -> Scorecard:
    """The scorecard from pairs' pieces: everyone together, and one per forecaster (``names`` by
    forecaster code). ``samples`` default to each pair's last forecast."""
    if len(pieces) == 0:
        raise ValueError("no resolved forecasts to score")
    samples = samples if samples is not None else last_samples(pieces)
    overall = _card(pieces, samples, mode, edges_percent, log_clamp)
    by_forecaster = {}
    # Sorted by forecaster once, so each forecaster's rows are a slice (a view, not a copy).
    pieces = pieces.subset(np.argsort(pieces.forecaster, kind="stable"))
    samples = samples.subset(np.argsort(samples.forecaster, kind="stable"))
    for code in np.unique(pieces.forecaster).tolist():
        mine = pieces.subset(_rows_of(pieces.forecaster, code))
        card = _card(mine, samples.subset(_rows_of(samples.forecaster, code)), mode, edges_percent, log_clamp)
        extra = {"timeline": _timeline(mine), "updating": updating_of(mine)}
        by_forecaster[names[code]] = Scorecard(**{**card.__dict__, **extra})
    return Scorecard(**{**overall.__dict__, "updating": updating_of(pieces), "by_forecaster": by_forecaster})


def forecaster_names(table: ForecastTable) -> dict[int, str]:
    codes, first_rows = np.unique(table.forecaster_codes, return_index=True)
    return {int(code): str(table.forecaster[row]) for code, row in zip(codes, first_rows, strict=True)}


def score_forecasts(
    table: ForecastTable,
    *,
    samples: SampleMode = "last",
    edges_percent: tuple[int, ...] = DECILE_EDGES,
    log_clamp: tuple[float, float] = LOG_CLAMP,
) -> Scorecard:
    """The scorecard for everyone together, and one per forecaster."""
    if len(table) == 0:
        raise ValueError("no resolved forecasts to score")
    if samples == "time" and not table.has_windows:
        raise ValueError("time-weighted samples need opens_at and closes_at for every question")
    pieces = pair_pieces(table)
    chosen = None if samples == "last" else _weighted_samples(table, samples)
    return assemble_scorecard(
        pieces,
        forecaster_names(table),
        samples=chosen,
        mode=samples,
        edges_percent=edges_percent,
        log_clamp=log_clamp,
    )


@dataclass(frozen=True)
class QuestionScore:
    question: str
    forecaster: str
    n_forecasts: int
    last_probability: float
    outcome: float
    brier_last: float  # 0–1 scale, the final forecast
    brier_exact: float  # 0–1 scale, time average while a forecast stood (nan without a window)
    coverage: float
    resolved_at: float  # seconds since the epoch (nan if unknown)


def per_question_scores(table: ForecastTable) -> list[QuestionScore]:
    """One row per forecaster and question: the numbers behind "scores by question"."""
    if len(table) == 0:
        return []
    pieces = pair_pieces(table)
    questions = dict(zip(table.question_codes.tolist(), table.question.tolist(), strict=True))
    names = forecaster_names(table)
    return [
        QuestionScore(
            question=str(questions[q]),
            forecaster=names[f],
            n_forecasts=int(n),
            last_probability=float(p),
            outcome=float(y),
            brier_last=float((p - y) ** 2),
            brier_exact=float(exact),
            coverage=float(share),
            resolved_at=float(when),
        )
        for q, f, n, p, y, exact, share, when in zip(
            pieces.question.tolist(),
            pieces.forecaster.tolist(),
            pieces.n_forecasts,
            pieces.last_probability,
            pieces.outcome,
            pieces.brier_exact,
            pieces.coverage,
            pieces.resolved_at,
            strict=True,
        )
    ]


def with_choices(card: Scorecard, overall: ChoiceScores | None, mine: dict[str, ChoiceScores]) -> Scorecard:
    """The scorecard with the multiple-choice scores added, overall and per forecaster."""
    by_forecaster = {
        name: replace(c, multiple_choice=mine.get(name)) for name, c in card.by_forecaster.items()
    }
    return replace(card, multiple_choice=overall, by_forecaster=by_forecaster)


def _choice_scores(data: dict[str, Any]) -> ChoiceScores:
    return ChoiceScores(**{**data, "calibration": [ReliabilityBin(**b) for b in data["calibration"]]})


def scorecard_from_dict(data: dict[str, Any]) -> Scorecard:
    """The inverse of ``dataclasses.asdict`` for a scorecard (as stored in a score snapshot)."""
    timeline = data.get("timeline")
    updates = data.get("updating")
    choices = data.get("multiple_choice")
    return Scorecard(
        **{
            **data,
            "log_clamp": tuple(data["log_clamp"]),
            "calibration": [ReliabilityBin(**b) for b in data["calibration"]],
            "corp": CorpDecomposition(**data["corp"]),
            "corp_log": CorpDecomposition(**data["corp_log"]),
            "murphy": MurphyDecomposition(**data["murphy"]),
            "timeline": TimelineSummary(**timeline) if timeline else None,
            "updating": Updating(**updates) if updates else None,
            "multiple_choice": _choice_scores(choices) if choices else None,
            "by_forecaster": {name: scorecard_from_dict(c) for name, c in data["by_forecaster"].items()},
        }
    )
