"""Everything we say about a set of resolved binary forecasts, from one flat table.

This is the one orchestrator: it picks the calibration samples, then calls the
pure rules, binning and decompositions. The CLI's ``score`` command and the
dashboard both read a :class:`Scorecard`. A forecaster's question-level
summary is the mean over questions, never over forecasts.
"""

from __future__ import annotations

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
from forecasts.scoring.rules import LOG_CLAMP, brier_01, log_loss
from forecasts.scoring.samples import SampleMode, pair_order, sample_weights
from forecasts.scoring.segments import pair_time_scores
from forecasts.scoring.updating import Ordered, Updating, updating_by_forecaster

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class ForecastTable:
    """Resolved binary forecasts, one row each. Times are seconds since the epoch (UTC).

    Window columns may be nan where unknown; time-averaged scores need
    ``opens_at`` and ``closes_at`` for every question.

    ``question_codes`` and ``forecaster_codes`` are integers, equal exactly where
    the labels are: grouping by them is ten times faster than by strings. A
    reader that has database ids passes them; otherwise they are derived.
    """

    question: NDArray[np.str_]
    forecaster: NDArray[np.str_]
    made_at: Floats
    probability: Floats
    outcome: Floats
    opens_at: Floats
    closes_at: Floats
    resolved_at: Floats
    question_codes: NDArray[np.intp] = field(default=None, repr=False, compare=False)  # type: ignore[arg-type]  # derived below
    forecaster_codes: NDArray[np.intp] = field(default=None, repr=False, compare=False)  # type: ignore[arg-type]  # derived below

    def __post_init__(self) -> None:
        # A question without a close date is scored over its life, from opening to resolution.
        no_close = np.isnan(self.closes_at)
        if np.any(no_close):
            object.__setattr__(self, "closes_at", np.where(no_close, self.resolved_at, self.closes_at))
        for labels, codes in (("question", "question_codes"), ("forecaster", "forecaster_codes")):
            if getattr(self, codes) is None:
                inverse = np.unique(getattr(self, labels), return_inverse=True)[1].reshape(-1)
                object.__setattr__(self, codes, inverse)  # the frozen-dataclass idiom for derived fields

    def __len__(self) -> int:
        return int(self.probability.size)

    def subset(self, mask: NDArray[np.bool_]) -> ForecastTable:
        return ForecastTable(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})

    @property
    def windowed(self) -> NDArray[np.bool_]:
        """Rows whose question has a window to average over (opens, then closes or resolves later)."""
        with np.errstate(invalid="ignore"):
            return np.isfinite(self.opens_at) & np.isfinite(self.closes_at) & (self.closes_at > self.opens_at)

    @property
    def has_windows(self) -> bool:
        return len(self) > 0 and bool(np.all(self.windowed))


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


def _timelines(table: ForecastTable) -> dict[str, TimelineSummary]:
    """Per forecaster, the mean over questions of each time-averaged score (nan values skipped)."""
    pairs = pair_time_scores(
        table.question_codes,
        table.forecaster_codes,
        table.made_at,
        table.probability,
        table.outcome,
        table.opens_at,
        table.closes_at,
        table.resolved_at,
    )
    keys = ("brier_exact", "coverage", "brier_daily", "relative_brier_daily", "baseline", "peer")
    summaries = {}
    codes, first_rows = np.unique(table.forecaster_codes, return_index=True)
    for code, row in zip(codes.tolist(), first_rows.tolist(), strict=True):
        name = str(table.forecaster[row])
        mine = pairs.forecaster == code
        means = {}
        for key in keys:
            values = getattr(pairs, key)[mine]
            finite = values[np.isfinite(values)]
            means[key] = float(finite.mean()) if finite.size else float("nan")
        compared = int(np.isfinite(pairs.peer[mine]).sum())
        summaries[name] = TimelineSummary(n_questions=int(mine.sum()), n_compared=compared, **means)
    return summaries


def _weights(table: ForecastTable, samples: SampleMode, ordered: Ordered) -> Floats:
    """Each forecast's weight as a calibration sample. A pair's weights depend on that pair alone,
    so the whole table's weights hold for every forecaster's rows too: computed once."""
    ends = np.fmin(table.closes_at, table.resolved_at)
    return sample_weights(
        table.question_codes,
        table.forecaster_codes,
        table.made_at,
        samples,
        table.opens_at,
        np.where(np.isnan(ends), table.closes_at, ends),
        ordered=ordered,
    )


def _card(
    table: ForecastTable,
    weights: Floats,
    rows: NDArray[np.bool_] | None,
    samples: SampleMode,
    edges_percent: tuple[int, ...],
    log_clamp: tuple[float, float],
) -> Scorecard:
    """The scores of ``rows`` (a mask; None: every row) of the table."""
    chosen = weights > 0 if rows is None else (weights > 0) & rows
    p, y, w = table.probability[chosen], table.outcome[chosen], weights[chosen]
    questions = table.question_codes if rows is None else table.question_codes[rows]
    forecasters = table.forecaster_codes if rows is None else table.forecaster_codes[rows]
    return Scorecard(
        n_forecasts=int(questions.size),
        n_questions=int(np.unique(questions).size),
        n_forecasters=int(np.unique(forecasters).size),
        samples=samples,
        n_samples=int(chosen.sum()),
        brier=float(np.average(brier_01(p, y), weights=w)),
        log=float(np.average(log_loss(p, y, log_clamp), weights=w)),
        log_clamp=log_clamp,
        calibration=reliability_bins(p, y, edges_percent, weights=w),
        corp=corp_brier(p, y, weights=w),
        corp_log=corp_log(p, y, log_clamp, weights=w),
        murphy=murphy(p, y, edges_percent, weights=w),
    )


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
    windowed = table.windowed  # questions without a window are left out of the time averages only
    timed = table if np.all(windowed) else table.subset(windowed)  # no copy in the usual case
    timelines = _timelines(timed) if np.any(windowed) else {}
    # One sort by (question, forecaster, time) serves the samples and the updating measures.
    ordered = pair_order(table.question_codes, table.forecaster_codes, table.made_at)
    pooled, updates = updating_by_forecaster(
        table.question_codes, table.forecaster_codes, table.made_at, table.probability, table.outcome, ordered
    )
    weights = _weights(table, samples, ordered)
    overall = _card(table, weights, None, samples, edges_percent, log_clamp)
    by_forecaster = {}
    codes, first_rows = np.unique(table.forecaster_codes, return_index=True)
    for code, row in zip(codes.tolist(), first_rows.tolist(), strict=True):
        name = str(table.forecaster[row])
        card = _card(table, weights, table.forecaster_codes == code, samples, edges_percent, log_clamp)
        extra = {"timeline": timelines.get(name), "updating": updates[int(code)]}
        by_forecaster[name] = Scorecard(**{**card.__dict__, **extra})
    return Scorecard(**{**overall.__dict__, "updating": pooled, "by_forecaster": by_forecaster})


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
    """One row per forecaster and question: the numbers behind "scores by question".

    Vectorised over all forecaster–question pairs at once (rows sorted by pair
    and time, sums with ``reduceat``), so a million forecasts take well under a second.
    """
    if len(table) == 0:
        return []
    question_codes = np.unique(table.question_codes, return_inverse=True)[1].reshape(-1)
    forecaster_codes = np.unique(table.forecaster_codes, return_inverse=True)[1].reshape(-1)
    order = np.lexsort((table.made_at, forecaster_codes, question_codes))
    pair = question_codes[order] * (forecaster_codes.max() + 1) + forecaster_codes[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    lasts = np.r_[starts[1:], pair.size] - 1
    times = table.made_at[order]
    p, y = table.probability[order], table.outcome[order]
    brier = brier_01(p, y)
    opens, closes = table.opens_at[order], table.closes_at[order]
    ends = np.fmin(closes, table.resolved_at[order])  # fmin: a missing resolution leaves the close
    last_in_pair = np.zeros(pair.size, dtype=bool)
    last_in_pair[lasts] = True
    next_times = np.where(last_in_pair, ends, np.r_[times[1:], np.inf])
    with np.errstate(invalid="ignore"):
        durations = np.clip(np.fmin(next_times, ends), opens, ends) - np.clip(times, opens, ends)
        integral = np.add.reduceat(np.nan_to_num(brier * durations), starts)
        covered = ends[starts] - np.clip(times[starts], opens[starts], ends[starts])
        exact = np.where(covered > 0, integral / np.where(covered > 0, covered, 1), np.nan)
        coverage = covered / (closes[starts] - opens[starts])
    counts = lasts - starts + 1
    resolved = table.resolved_at[order][lasts]
    return [
        QuestionScore(
            question=str(table.question[order[last]]),
            forecaster=str(table.forecaster[order[last]]),
            n_forecasts=int(count),
            last_probability=float(p[last]),
            outcome=float(y[last]),
            brier_last=float(brier[last]),
            brier_exact=float(value),
            coverage=float(share),
            resolved_at=float(when),
        )
        for last, count, value, share, when in zip(lasts, counts, exact, coverage, resolved, strict=True)
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
