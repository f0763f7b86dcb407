"""What each forecaster–question pair contributes to the scorecard, so scores can be re-summed.

A resolved question's pairs depend on that question's forecasts alone (peer and
median-relative scores compare forecasters *on the same question*), so a new
forecast or resolution changes only its own question's pieces. The scorecard
(:mod:`forecasts.scoring.scorecard`) is always assembled from pieces: for a
file, from the pieces of every question at once; for the database, from pieces
kept per question and recomputed only where something changed. One assembly,
so kept and fresh scores cannot drift apart.

Per pair (rows sorted by question, then forecaster):

- the last forecast, the outcome and when it resolved (the "last" calibration sample);
- ``brier_exact`` and ``coverage`` of the per-question table (nan without a window);
- the time-averaged scores of :func:`forecasts.scoring.segments.pair_time_scores`
  (``time_*``; nan where the question has no window);
- the sums the updating measures are ratios of (:mod:`forecasts.scoring.updating`);
- how many of its forecasts fall in each 5-point probability bin (sharpness).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from forecasts.scoring.rules import brier_01
from forecasts.scoring.samples import pair_order
from forecasts.scoring.segments import SCORE_KEYS, pair_time_scores
from forecasts.scoring.table import ForecastTable
from forecasts.scoring.updating import UpdateSums, Updating, pair_update_sums, steps_of, summarize

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
SHARPNESS_BINS = 20  # 5-point bins; 100 % joins the top one


@dataclass(frozen=True)
class Pieces:
    question: Ints  # the question's code (its database id when read from the database)
    forecaster: Ints
    n_forecasts: Ints
    last_probability: Floats
    outcome: Floats
    resolved_at: Floats  # seconds since the epoch (nan if unknown)
    brier_exact: Floats  # 0–1 scale, time average while a forecast stood (nan without a window)
    coverage: Floats
    windowed: NDArray[np.bool_]  # the question has a window: the time_* scores are defined
    time_brier_exact: Floats
    time_coverage: Floats
    brier_daily: Floats
    relative_brier_daily: Floats
    baseline: Floats
    peer: Floats
    movement: Floats  # Σ squared steps, the last one to the outcome (Augenblick & Rabin's m)
    uncertainty: Floats  # p0 (1 − p0)
    n_steps: Ints  # updates p_(i−1) → p_i
    n_changed: Ints  # updates that changed the value
    abs_change: Floats  # Σ |change| over those
    gain: Floats  # Σ Brier gained over all updates
    n_hits: Ints  # changed updates that gained
    sharpness: Ints  # (pairs × SHARPNESS_BINS) forecasts per 5-point bin

    def __len__(self) -> int:
        return int(self.question.size)

    def subset(self, rows: NDArray[np.bool_] | NDArray[np.intp] | slice) -> Pieces:
        return Pieces(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


PIECE_FIELDS = tuple(f.name for f in fields(Pieces))
_INTEGER_FIELDS = ("question", "forecaster", "n_forecasts", "n_steps", "n_changed", "n_hits")


def empty_pieces() -> Pieces:
    return from_records(b"")


def concatenate(parts: list[Pieces]) -> Pieces:
    """Several sets of pieces as one, sorted by (question, forecaster)."""
    joined = Pieces(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in PIECE_FIELDS})
    return joined.subset(np.lexsort((joined.forecaster, joined.question)))


def sharpness_bins(probability: Floats) -> Ints:
    # The nudge keeps 0.15 in [15 %, 20 %) despite float division.
    return np.minimum((probability * SHARPNESS_BINS + 1e-9).astype(np.int64), SHARPNESS_BINS - 1)


@dataclass(frozen=True)
class _Sorted:
    """The table's rows in pair order, with each pair's first and last row."""

    order: NDArray[np.intp]
    pair: Ints
    starts: NDArray[np.intp]
    ends: NDArray[np.intp]


def _sorted(question: Ints, forecaster: Ints, made_at: Floats) -> _Sorted:
    order, pair = pair_order(question, forecaster, made_at)
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    return _Sorted(order, pair, starts, np.r_[starts[1:], pair.size] - 1)


def _exact(
    rows: _Sorted, t: Floats, brier: Floats, opens: Floats, closes: Floats, resolved: Floats
) -> tuple[Floats, Floats]:
    """Per pair: Brier averaged over the time a forecast stood, and the share of the window covered."""
    starts, ends_of_pair = rows.starts, rows.ends
    ends = np.fmin(closes, resolved)  # fmin: a missing resolution leaves the close
    last_in_pair = np.zeros(t.size, dtype=bool)
    last_in_pair[ends_of_pair] = True
    next_times = np.where(last_in_pair, ends, np.r_[t[1:], np.inf])
    with np.errstate(invalid="ignore"):
        durations = np.clip(np.fmin(next_times, ends), opens, ends) - np.clip(t, opens, ends)
        integral = np.add.reduceat(np.nan_to_num(brier * durations), starts)
        covered = ends[starts] - np.clip(t[starts], opens[starts], ends[starts])
        exact = np.where(covered > 0, integral / np.where(covered > 0, covered, 1), np.nan)
        coverage = covered / (closes[starts] - opens[starts])
    return exact, coverage


def _time_scores(table: ForecastTable, windowed: NDArray[np.bool_]) -> dict[str, Floats]:
    """The time-averaged scores of the pairs whose question has a window (nan for the others)."""
    scores = {_TIME_NAMES.get(key, key): np.full(windowed.size, np.nan) for key in SCORE_KEYS}
    rows = table.windowed
    if not np.any(rows):
        return scores
    timed = table if np.all(rows) else table.subset(rows)  # no copy in the usual case
    pairs = pair_time_scores(
        timed.question_codes,
        timed.forecaster_codes,
        timed.made_at,
        timed.probability,
        timed.outcome,
        timed.opens_at,
        timed.closes_at,
        timed.resolved_at,
    )
    for key in SCORE_KEYS:  # both sorted by (question, forecaster): the windowed pairs, in order
        scores[_TIME_NAMES.get(key, key)][windowed] = getattr(pairs, key)
    return scores


_TIME_NAMES = {"brier_exact": "time_brier_exact", "coverage": "time_coverage"}


def pair_pieces(table: ForecastTable) -> Pieces:
    """Every pair's pieces, computed for all pairs at once (rows sorted once, sums by ``reduceat``)."""
    rows = _sorted(table.question_codes, table.forecaster_codes, table.made_at)
    order, starts, ends = rows.order, rows.starts, rows.ends
    windowed = table.windowed[order][starts]
    timed = _time_scores(table, windowed)  # first: its working memory is free before ours is taken
    p, y = table.probability[order], table.outcome[order]
    resolved = table.resolved_at[order]
    if np.any(windowed):
        t, opens, closes = table.made_at[order], table.opens_at[order], table.closes_at[order]
        exact, coverage = _exact(rows, t, brier_01(p, y), opens, closes, resolved)
        del t, opens, closes
    else:  # no question has a window: nothing to average over time
        exact, coverage = np.full(starts.size, np.nan), np.full(starts.size, np.nan)
    pair_of_row = np.repeat(np.arange(starts.size), ends - starts + 1)
    sharpness = np.bincount(
        pair_of_row * SHARPNESS_BINS + sharpness_bins(p), minlength=starts.size * SHARPNESS_BINS
    ).reshape(starts.size, SHARPNESS_BINS)
    del pair_of_row
    sums = pair_update_sums(rows.pair, p, y, table.forecaster_codes[order])
    return Pieces(
        question=table.question_codes[order][starts].astype(np.int64),
        forecaster=table.forecaster_codes[order][starts].astype(np.int64),
        n_forecasts=(ends - starts + 1).astype(np.int64),
        last_probability=p[ends],
        outcome=y[ends],
        resolved_at=resolved[ends],
        brier_exact=exact,
        coverage=coverage,
        windowed=windowed,
        time_brier_exact=timed["time_brier_exact"],
        time_coverage=timed["time_coverage"],
        brier_daily=timed["brier_daily"],
        relative_brier_daily=timed["relative_brier_daily"],
        baseline=timed["baseline"],
        peer=timed["peer"],
        movement=sums.movement,
        uncertainty=sums.uncertainty,
        n_steps=sums.n_steps,
        n_changed=sums.n_changed,
        abs_change=sums.abs_change,
        gain=sums.gain,
        n_hits=sums.n_hits,
        sharpness=sharpness.astype(np.int64, copy=False),
    )


def updating_of(pieces: Pieces) -> Updating:
    """How these pairs update (one forecaster's, or everyone's pooled)."""
    return summarize(
        UpdateSums(
            forecaster=pieces.forecaster,
            count=pieces.n_forecasts,
            movement=pieces.movement,
            uncertainty=pieces.uncertainty,
            n_steps=pieces.n_steps,
            n_changed=pieces.n_changed,
            abs_change=pieces.abs_change,
            gain=pieces.gain,
            n_hits=pieces.n_hits,
        )
    )


# --- kept as bytes ------------------------------------------------------------------------------

RECORD = np.dtype(
    [
        (name, "<i8" if name in _INTEGER_FIELDS else "?" if name == "windowed" else "<f8")
        for name in PIECE_FIELDS
        if name != "sharpness"
    ]
    + [("sharpness", "<i4", (SHARPNESS_BINS,))]
)


def _pack(columns: Pieces | Steps, names: tuple[str, ...], layout: np.dtype[np.void]) -> NDArray[np.void]:
    records = np.empty(len(columns), dtype=layout)
    for name in names:
        records[name] = getattr(columns, name)
    return records


def _unpack(data: bytes, names: tuple[str, ...], layout: np.dtype[np.void]) -> dict[str, NDArray[Any]]:
    if len(data) % layout.itemsize:
        raise ValueError("kept score pieces of another layout: rescore")
    records = np.frombuffer(data, dtype=layout)
    return {name: np.ascontiguousarray(records[name]) for name in names}


def to_records(pieces: Pieces) -> NDArray[np.void]:
    """The pieces as packed little-endian records, one per pair (bytes with ``.tobytes()``)."""
    return _pack(pieces, PIECE_FIELDS, RECORD)


def from_records(data: bytes) -> Pieces:
    """The inverse of ``to_records(...).tobytes()`` (several questions' bytes may be joined)."""
    columns = _unpack(data, PIECE_FIELDS, RECORD)
    columns["sharpness"] = columns["sharpness"].astype(np.int64)
    return Pieces(**columns)


# --- the updates worth showing -----------------------------------------------------------------

NOTABLE = 5  # the updates that helped most and hurt most, per question and in all


@dataclass(frozen=True)
class Steps:
    """Updates that changed a forecaster's previous value: p_(i−1) → p_i, and the Brier score won."""

    question: Ints
    forecaster: Ints
    made_at: Floats
    previous: Floats
    probability: Floats
    outcome: Floats
    gain: Floats  # (previous − y)² − (new − y)²: positive moved toward what happened

    def __len__(self) -> int:
        return int(self.question.size)

    def subset(self, rows: NDArray[np.bool_] | NDArray[np.intp]) -> Steps:
        return Steps(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


STEP_FIELDS = tuple(f.name for f in fields(Steps))
STEP_RECORD = np.dtype(
    [(name, "<i8" if name in ("question", "forecaster") else "<f8") for name in STEP_FIELDS]
)


def _extremes(steps: Steps, groups: Ints, n: int) -> NDArray[np.intp]:
    """Within each group, the rows of the n smallest and the n largest gains."""
    order = np.lexsort((steps.gain, groups))  # by group, then gain ascending
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, order.size])
    rank = np.arange(order.size) - np.repeat(starts, sizes)
    from_end = np.repeat(sizes, sizes) - 1 - rank
    return np.sort(order[(rank < n) | (from_end < n)])


def all_steps(table: ForecastTable) -> Steps:
    """Every update that changed its forecaster's previous value, in (question, forecaster, time) order."""
    if len(table) == 0:
        return steps_from_records(b"")
    rows = _sorted(table.question_codes, table.forecaster_codes, table.made_at)
    order = rows.order
    p, y = table.probability[order], table.outcome[order]
    is_step, previous, gain = steps_of(rows.pair, p, y)
    moved = np.flatnonzero(is_step & (previous != p))
    return Steps(
        question=table.question_codes[order][moved].astype(np.int64),
        forecaster=table.forecaster_codes[order][moved].astype(np.int64),
        made_at=table.made_at[order][moved],
        previous=previous[moved],
        probability=p[moved],
        outcome=y[moved],
        gain=gain[moved],
    )


def notable_steps(table: ForecastTable, n: int = NOTABLE) -> Steps:
    """Each question's n updates that gained most and n that lost most (one list can serve both when
    a question has fewer than 2n), in question order: enough to find the n best and worst of all."""
    steps = all_steps(table)
    return steps.subset(_extremes(steps, steps.question, n))


def best_and_worst(steps: Steps, n: int = NOTABLE) -> tuple[Steps, Steps]:
    """The n updates that gained most (largest first) and the n that lost most (worst first)."""
    best = np.lexsort((steps.made_at, -steps.gain))[:n]
    worst = np.lexsort((steps.made_at, steps.gain))[:n]
    return steps.subset(best), steps.subset(worst)


def steps_to_records(steps: Steps) -> NDArray[np.void]:
    return _pack(steps, STEP_FIELDS, STEP_RECORD)


def steps_from_records(data: bytes) -> Steps:
    return Steps(**_unpack(data, STEP_FIELDS, STEP_RECORD))


def concatenate_steps(parts: list[Steps]) -> Steps:
    joined = Steps(**{name: np.concatenate([getattr(s, name) for s in parts]) for name in STEP_FIELDS})
    return joined.subset(np.argsort(joined.question, kind="stable"))
