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


@dataclass(frozen=True)
class ChoiceScores:
    n_questions: int
    n_samples: int  # one-vs-rest calibration samples: options × questions
    brier: float  # 0–2 scale, mean over questions
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
    return ChoiceScores(
        n_questions=len({row.question for row in last}),
        n_samples=int(p.size),
        brier=float(brier.mean()),
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


def choice_question_scores(rows: list[ChoiceForecast]) -> list[ChoiceQuestionScore]:
    last = _last_per_pair(rows)
    brier, log, rps = _scored(last)
    return [
        ChoiceQuestionScore(
            r.question,
            r.forecaster,
            r.probabilities,
            r.outcome,
            float(b),
            float(g),
            None if np.isnan(s) else float(s),
        )
        for r, b, g, s in zip(last, brier, log, rps, strict=True)
    ]
