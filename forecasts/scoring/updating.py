"""How a forecaster updates: how often, how far, how often they merely restate, whether their moves
are the size a Bayesian's would be, and whether they moved toward what happened.

Each forecaster's forecasts on one resolved binary question form a stream
p_0, p_1, …, p_n (in time order); an *update* is a step p_(i−1) → p_i, i ≥ 1.

- ``frequency``: the mean over questions of the forecasts made on it;
- ``magnitude``: the mean |p_i − p_(i−1)| over the updates that changed the value;
- ``confirmation``: the share of updates that restate the previous value exactly
  (Atanasov et al., "Small Steps to Accuracy");
- excess movement (Augenblick & Rabin 2021): with the outcome y appended to the stream,
  m_q = Σ (π_t − π_(t−1))² (the last step to y included), r_q = p_0 (1 − p_0), X_q = m_q − r_q.
  A Bayesian's E[X] is 0; X > 0 over-reacts, X < 0 under-reacts. ``excess_movement`` is the
  mean X_q, ``excess_movement_se`` its standard error (sample sd, ddof 1, over √n), and
  ``normalized_excess_movement`` Σ m_q / Σ r_q − 1;
- ``update_gain``: the mean over updates of (p_(i−1) − y)² − (p_i − y)², the Brier score each
  update won (positive: it moved toward what happened); ``update_hit_rate``: the share of the
  updates that changed the value with a positive gain.

Everything is computed for all (question, forecaster) pairs at once: rows sorted by pair and
time, sums by ``reduceat`` and ``bincount``, no Python loop over questions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from forecasts.scoring.samples import pair_order

Floats = NDArray[np.float64]
Codes = NDArray[np.intp]


@dataclass(frozen=True)
class Updating:
    """None where a number is not defined: no update to measure, one question for a standard error."""

    n_questions: int
    n_updates: int  # steps p_(i−1) → p_i over all questions
    frequency: float
    magnitude: float | None
    confirmation: float | None
    excess_movement: float
    excess_movement_se: float | None
    normalized_excess_movement: float | None
    update_gain: float | None
    update_hit_rate: float | None


@dataclass(frozen=True)
class _Pairs:
    """Per (question, forecaster) pair: its forecaster, forecast count, movement m and r."""

    forecaster: Codes
    count: Floats
    movement: Floats
    uncertainty: Floats


@dataclass(frozen=True)
class _Steps:
    """Per update (i ≥ 1): its forecaster, the change, and the Brier score it gained."""

    forecaster: Codes
    change: Floats
    gain: Floats


Ordered = tuple[NDArray[np.intp], NDArray[np.int64]]  # rows by (question, forecaster, time), pair codes


def _sorted(
    question: Codes, forecaster: Codes, made_at: Floats, ordered: Ordered | None
) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.intp]]:
    order, pair = ordered if ordered is not None else pair_order(question, forecaster, made_at)
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    return order, pair, starts


def _streams(
    question: Codes,
    forecaster: Codes,
    made_at: Floats,
    probability: Floats,
    outcome: Floats,
    ordered: Ordered | None,
) -> tuple[_Pairs, _Steps]:
    order, pair, starts = _sorted(question, forecaster, made_at, ordered)
    p, y, who = probability[order], outcome[order], forecaster[order]
    ends = np.r_[starts[1:], p.size] - 1
    is_step = np.r_[False, pair[1:] == pair[:-1]]  # a row that follows one of its own pair
    change = np.diff(p, prepend=np.nan)
    squared = np.where(is_step, change, 0.0) ** 2
    movement = np.add.reduceat(squared, starts) + (y[ends] - p[ends]) ** 2
    first = p[starts]
    pairs = _Pairs(who[starts], (ends - starts + 1).astype(np.float64), movement, first * (1 - first))
    previous = np.r_[np.nan, p[:-1]]
    gain = (previous - y) ** 2 - (p - y) ** 2
    steps = _Steps(who[is_step], change[is_step], gain[is_step])
    return pairs, steps


def _mean(values: Floats) -> float | None:
    return float(values.mean()) if values.size else None


def _summary(pairs: _Pairs, steps: _Steps) -> Updating:
    excess = pairs.movement - pairs.uncertainty
    n = excess.size
    changed = steps.change != 0
    total_r = float(pairs.uncertainty.sum())
    return Updating(
        n_questions=n,
        n_updates=int(steps.change.size),
        frequency=float(pairs.count.mean()),
        magnitude=_mean(np.abs(steps.change[changed])),
        confirmation=_mean((~changed).astype(np.float64)),
        excess_movement=float(excess.mean()),
        excess_movement_se=float(excess.std(ddof=1) / np.sqrt(n)) if n >= 2 else None,
        normalized_excess_movement=float(pairs.movement.sum()) / total_r - 1 if total_r > 0 else None,
        update_gain=_mean(steps.gain),
        update_hit_rate=_mean((steps.gain[changed] > 0).astype(np.float64)),
    )


def _pick(pairs: _Pairs, steps: _Steps, code: int) -> tuple[_Pairs, _Steps]:
    mine, moved = pairs.forecaster == code, steps.forecaster == code
    return (
        _Pairs(pairs.forecaster[mine], pairs.count[mine], pairs.movement[mine], pairs.uncertainty[mine]),
        _Steps(steps.forecaster[moved], steps.change[moved], steps.gain[moved]),
    )


def updating_by_forecaster(
    question: Codes,
    forecaster: Codes,
    made_at: Floats,
    probability: Floats,
    outcome: Floats,
    ordered: Ordered | None = None,
) -> tuple[Updating, dict[int, Updating]]:
    """Everyone's streams pooled, and each forecaster's (keyed by forecaster code). ``ordered`` is
    :func:`~forecasts.scoring.samples.pair_order` of the rows when the caller has it already."""
    if probability.size == 0:
        raise ValueError("no resolved forecasts to measure updating on")
    pairs, steps = _streams(question, forecaster, made_at, probability, outcome, ordered)
    overall = _summary(pairs, steps)
    return overall, {int(code): _summary(*_pick(pairs, steps, int(code))) for code in np.unique(forecaster)}


def updating(probability_streams: list[list[float]], outcomes: list[float]) -> Updating:
    """One forecaster's streams given as lists (one per question, in time order): for tests and
    for reading the definitions against a worked example."""
    question = np.repeat(np.arange(len(probability_streams)), [len(s) for s in probability_streams])
    flat = np.array([p for stream in probability_streams for p in stream], dtype=np.float64)
    made_at = np.array([float(i) for stream in probability_streams for i in range(len(stream))])
    y = np.repeat(np.asarray(outcomes, dtype=np.float64), [len(s) for s in probability_streams])
    forecaster = np.zeros(flat.size, dtype=np.intp)
    overall, _ = updating_by_forecaster(question.astype(np.intp), forecaster, made_at, flat, y)
    return overall
