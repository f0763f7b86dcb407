"""Multiple-choice questions scored and calibrated.

Each forecaster's *last* forecast on each resolved question is scored, as for
yes/no questions, and a forecaster's number is the mean over their questions:

- ``brier``: the multi-category Brier Σ_k (p_k − o_k)², on the **0–2 scale** (sklearn's
  multiclass ``brier_score_loss`` without halving; a sure miss costs 2);
- ``log``: −ln of the probability given to the option that happened, clamped like the binary log;
- ``rps``: the ranked probability score over cumulative distributions, divided by K − 1 so it
  lies in [0, 1] — for questions whose options are ordered only (``ordered``), else absent.

Calibration is one-vs-rest: each option of each last forecast is one binary sample
("P(this option)", did it happen), so a three-option forecast gives three samples.
Questions may have different numbers of options: rows are scored in groups of equal K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from forecasts.scoring.calibration import DECILE_EDGES, ReliabilityBin, reliability_bins
from forecasts.scoring.rules import LOG_CLAMP, multi_brier_02, multi_log_loss, ranked_probability_score

Floats = NDArray[np.float64]
Codes = NDArray[np.intp]


@dataclass(frozen=True)
class ChoiceForecast:
    """One forecast on a resolved multiple-choice question."""

    question: int
    forecaster: int
    made_at: float
    probabilities: tuple[float, ...]
    outcome: int  # the index of the option that happened
    ordered: bool  # the options are in order (counts, ranges): RPS applies
    opens_at: float = float("nan")  # the question's window, seconds since the epoch: for the
    ends_at: float = float("nan")  # time average (end: its close or its resolution, the earlier)


@dataclass(frozen=True)
class ChoiceScores:
    n_questions: int
    n_samples: int  # one-vs-rest calibration samples: options × questions
    brier: float  # 0–2 scale, mean over questions
    brier_exact: float | None  # 0–2 scale, time average while a forecast stood; None without windows
    log: float
    rps: float | None  # 0–1 scale, over the ordered questions only; None if there are none
    n_ordered: int
    calibration: list[ReliabilityBin]


def _last_per_pair(rows: list[ChoiceForecast]) -> list[ChoiceForecast]:
    latest: dict[tuple[int, int], ChoiceForecast] = {}
    for row in sorted(rows, key=lambda r: r.made_at):
        latest[(row.question, row.forecaster)] = row
    return list(latest.values())


def _scored(rows: list[ChoiceForecast]) -> tuple[Floats, Floats, Floats]:
    """Per row: Brier (0–2), log, and RPS/(K − 1) (nan where not ordered), grouped by K."""
    brier, log, rps = (np.full(len(rows), np.nan) for _ in range(3))
    by_size: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        by_size.setdefault(len(row.probabilities), []).append(i)
    for size, members in by_size.items():
        matrix = np.array([rows[i].probabilities for i in members], dtype=np.float64)
        outcome = np.array([rows[i].outcome for i in members], dtype=np.intp)
        index = np.array(members)
        brier[index] = multi_brier_02(matrix, outcome)
        log[index] = multi_log_loss(matrix, outcome, LOG_CLAMP)
        ordered = np.array([rows[i].ordered for i in members])
        ranked = ranked_probability_score(matrix, outcome) / (size - 1)
        rps[index] = np.where(ordered, ranked, np.nan)
    return brier, log, rps


def time_averaged_brier(rows: list[ChoiceForecast]) -> dict[tuple[int, int], float]:
    """Per (question, forecaster): the 0–2 Brier of the standing forecast, averaged over the time from
    their first forecast to the question's end, as ``brier_exact`` is for yes/no (nan without a window)."""
    ordered = sorted(rows, key=lambda r: (r.question, r.forecaster, r.made_at))
    brier = _scored(ordered)[0]
    pair = np.array([(r.question, r.forecaster) for r in ordered], dtype=np.int64).reshape(-1, 2)
    starts = np.flatnonzero(np.r_[True, np.any(pair[1:] != pair[:-1], axis=1)])
    times = np.array([r.made_at for r in ordered])
    opens = np.array([r.opens_at for r in ordered])
    ends = np.array([r.ends_at for r in ordered])
    last_of_pair = np.zeros(len(ordered), dtype=bool)
    last_of_pair[np.r_[starts[1:], len(ordered)] - 1] = True
    next_times = np.where(last_of_pair, ends, np.r_[times[1:], np.inf])
    with np.errstate(invalid="ignore"):
        durations = np.clip(np.fmin(next_times, ends), opens, ends) - np.clip(times, opens, ends)
        integral = np.add.reduceat(np.nan_to_num(brier * durations), starts)
        covered = np.add.reduceat(np.nan_to_num(durations), starts)
    averaged = np.where(covered > 0, integral / np.where(covered > 0, covered, 1), np.nan)
    return {(int(pair[s, 0]), int(pair[s, 1])): float(v) for s, v in zip(starts, averaged, strict=True)}


def one_vs_rest(rows: list[ChoiceForecast]) -> tuple[Floats, Floats]:
    """Every option of every forecast as a binary sample: (P(option), 1 if it happened)."""
    p = np.array([value for row in rows for value in row.probabilities], dtype=np.float64)
    y = np.array([float(k == row.outcome) for row in rows for k in range(len(row.probabilities))])
    return p, y


def choice_scores(rows: list[ChoiceForecast], edges_percent: tuple[int, ...] = DECILE_EDGES) -> ChoiceScores:
    """The scores of these forecasts' last forecast per (question, forecaster)."""
    if not rows:
        raise ValueError("no resolved multiple-choice forecasts to score")
    last = _last_per_pair(rows)
    brier, log, rps = _scored(last)
    ordered = ~np.isnan(rps)
    p, y = one_vs_rest(last)
    exact = np.array(list(time_averaged_brier(rows).values()), dtype=np.float64)
    exact = exact[np.isfinite(exact)]
    return ChoiceScores(
        n_questions=len({row.question for row in last}),
        n_samples=int(p.size),
        brier=float(brier.mean()),
        brier_exact=float(exact.mean()) if exact.size else None,
        log=float(log.mean()),
        rps=float(rps[ordered].mean()) if ordered.any() else None,
        n_ordered=int(ordered.sum()),
        calibration=reliability_bins(p, y, edges_percent),
    )


def choice_scores_by_forecaster(rows: list[ChoiceForecast]) -> tuple[ChoiceScores, dict[int, ChoiceScores]]:
    """Everyone together, and each forecaster (by code)."""
    overall = choice_scores(rows)
    codes = sorted({row.forecaster for row in rows})
    return overall, {code: choice_scores([r for r in rows if r.forecaster == code]) for code in codes}


@dataclass(frozen=True)
class ChoiceQuestionScore:
    """One forecaster's last forecast on one question, scored: a row of "scores by question"."""

    question: int
    forecaster: int
    probabilities: tuple[float, ...]
    outcome: int
    brier: float  # 0–2 scale
    log: float
    rps: float | None  # 0–1 scale; None unless the options are ordered
    brier_exact: float | None = None  # 0–2 scale, time-averaged; None without a window


def choice_question_scores(rows: list[ChoiceForecast]) -> list[ChoiceQuestionScore]:
    last = _last_per_pair(rows)
    brier, log, rps = _scored(last)
    exact = time_averaged_brier(rows)
    scores = []
    for r, b, g, s in zip(last, brier, log, rps, strict=True):
        averaged = exact.get((r.question, r.forecaster), float("nan"))
        scores.append(
            ChoiceQuestionScore(
                r.question, r.forecaster, r.probabilities, r.outcome, float(b), float(g),
                None if np.isnan(s) else float(s), None if np.isnan(averaged) else averaged,
            )
        )  # fmt: skip
    return scores
