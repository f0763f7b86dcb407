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
class UpdateSums:
    """Per (question, forecaster) pair: what every measure above is a mean or a ratio of."""

    forecaster: Codes
    count: NDArray[np.int64]  # forecasts in the stream
    movement: Floats  # m_q
    uncertainty: Floats  # r_q
    n_steps: NDArray[np.int64]  # updates
    n_changed: NDArray[np.int64]  # updates that changed the value
    abs_change: Floats  # Σ |change| over the updates
    gain: Floats  # Σ Brier gained over the updates
    n_hits: NDArray[np.int64]  # changed updates that gained

    def subset(self, rows: NDArray[np.bool_]) -> UpdateSums:
        return UpdateSums(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})


Ordered = tuple[NDArray[np.intp], NDArray[np.int64]]  # rows by (question, forecaster, time), pair codes


def steps_of(pair: NDArray[np.int64], p: Floats, y: Floats) -> tuple[NDArray[np.bool_], Floats, Floats]:
    """For rows sorted by pair and time: which rows are updates (they follow a row of their own
    pair), the value each updated, and the Brier score it won (0 where not an update)."""
    is_step = np.r_[False, pair[1:] == pair[:-1]]
    previous = np.r_[np.nan, p[:-1]]
    return is_step, previous, np.where(is_step, (previous - y) ** 2 - (p - y) ** 2, 0.0)


def pair_update_sums(pair: NDArray[np.int64], p: Floats, y: Floats, who: Codes) -> UpdateSums:
    """The sums of every pair, from rows sorted by pair and time (``pair`` each row's pair code)."""
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    ends = np.r_[starts[1:], pair.size] - 1
    is_step, previous, gain = steps_of(pair, p, y)
    step_change = np.where(is_step, p - previous, 0.0)
    changed = is_step & (step_change != 0)
    first = p[starts]
    return UpdateSums(
        forecaster=who[starts],
        count=(ends - starts + 1).astype(np.int64),
        movement=np.add.reduceat(step_change**2, starts) + (y[ends] - p[ends]) ** 2,
        uncertainty=first * (1 - first),
        n_steps=(ends - starts).astype(np.int64),
        n_changed=np.add.reduceat(changed.astype(np.int64), starts),
        abs_change=np.add.reduceat(np.abs(step_change), starts),
        gain=np.add.reduceat(gain, starts),
        n_hits=np.add.reduceat((changed & (gain > 0)).astype(np.int64), starts),
    )


def _ratio(numerator: float, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def summarize(sums: UpdateSums) -> Updating:
    """The measures over these pairs (one forecaster's, or everyone's pooled)."""
    excess = sums.movement - sums.uncertainty
    n = excess.size
    n_steps, n_changed = int(sums.n_steps.sum()), int(sums.n_changed.sum())
    total_r = float(sums.uncertainty.sum())
    return Updating(
        n_questions=n,
        n_updates=n_steps,
        frequency=float(sums.count.mean()),
        magnitude=_ratio(float(sums.abs_change.sum()), n_changed),
        confirmation=_ratio(float(n_steps - n_changed), n_steps),
        excess_movement=float(excess.mean()),
        excess_movement_se=float(excess.std(ddof=1) / np.sqrt(n)) if n >= 2 else None,
        normalized_excess_movement=float(sums.movement.sum()) / total_r - 1 if total_r > 0 else None,
        update_gain=_ratio(float(sums.gain.sum()), n_steps),
        update_hit_rate=_ratio(float(sums.n_hits.sum()), n_changed),
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
    order, pair = ordered if ordered is not None else pair_order(question, forecaster, made_at)
    sums = pair_update_sums(pair, probability[order], outcome[order], forecaster[order])
    by_forecaster = {
        int(code): summarize(sums.subset(sums.forecaster == code)) for code in np.unique(forecaster)
    }
    return summarize(sums), by_forecaster


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
