"""The time-averaged scores of ``timeline.py`` for every forecaster–question pair at once.

``timeline.py`` states each rule for one question, readably. Looping over
questions in Python costs seconds at a million forecasts, so this module
computes the same numbers in flat numpy passes, and a test checks it
against those one-question functions pair by pair.

The idea: within a question, every forecaster's standing forecast is constant
between *change points* (the times anyone forecast, clipped to the window).
Cut each question into those segments, and give every (forecaster, segment)
cell the forecast standing there. Each score is then a weighted sum over cells:
by seconds for the exact-time averages and the peer score, by the number of
day ends inside the segment for the GJ Open daily scores.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from forecasts.scoring.rules import LOG_CLAMP
from forecasts.scoring.timeline import DAY

Floats = NDArray[np.float64]
Ints = NDArray[np.intp]

SCORE_KEYS = ("brier_exact", "coverage", "brier_daily", "relative_brier_daily", "baseline", "peer")
CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class PairTimeScores:
    """One entry per forecaster–question pair, sorted by question then forecaster."""

    question: NDArray[Any]  # the question of each pair (as given)
    forecaster: NDArray[Any]  # the forecaster of each pair (as given)
    brier_exact: Floats  # 0–1 scale: mean while a forecast stood (nan if none did)
    coverage: Floats  # share of the scheduled lifetime with a forecast standing
    brier_daily: Floats  # 0–1 scale: mean over the full days with a forecast (nan if none)
    relative_brier_daily: Floats  # Σ over active days (own − median) / all days (nan if no full day,
    # or no one else forecast the question)
    baseline: Floats  # Metaculus baseline, zero where nothing stood, over the scheduled lifetime
    peer: Floats  # Metaculus peer score, time-averaged the same way (nan if no one else forecast it)


def _dense(labels: NDArray[Any]) -> tuple[NDArray[Any], Ints]:
    """The distinct labels (sorted), and each row's index into them. Small non-negative integers
    (database ids, the scorecard's codes) are numbered by counting instead of sorting."""
    if (
        np.issubdtype(labels.dtype, np.integer)
        and labels.size
        and labels.min() >= 0
        and labels.max() < 4 * labels.size
    ):
        present = np.zeros(int(labels.max()) + 1, dtype=bool)
        present[labels] = True
        index = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(labels.dtype), index[labels].astype(np.intp)
    values, inverse = np.unique(labels, return_inverse=True)
    return values, inverse.reshape(-1).astype(np.intp)


def _group_starts(sorted_keys: NDArray[Any]) -> Ints:
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _day_ends_up_to(x: Floats, opens: Floats, n_days: Ints) -> Ints:
    """How many of the day ends ``opens + DAY·k`` (k = 1…n_days) are ≤ x.

    Division gives the answer up to rounding; one comparison step on each side,
    computed exactly as ``daily_standing`` computes its day ends, makes it agree.
    """
    with np.errstate(invalid="ignore"):
        k = np.clip(np.floor((x - opens) / DAY), 0, n_days).astype(np.intp)
    k = np.where((k < n_days) & (opens + DAY * (k + 1) <= x), k + 1, k)
    return np.where((k > 0) & (opens + DAY * k > x), k - 1, k)


def _medians_by_group(groups: Ints, values: Floats, n_groups: int) -> Floats:
    """The median of ``values`` within each group (0 where a group is empty)."""
    if values.size == 0:
        return np.zeros(n_groups)
    ordered = values[np.lexsort((values, groups))]
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    has = counts > 0
    low = ordered[np.where(has, starts + (counts - 1) // 2, 0)]
    high = ordered[np.where(has, starts + counts // 2, 0)]
    return np.where(has, (low + high) / 2, 0.0)


def pair_time_scores(
    question: NDArray[Any],
    forecaster: NDArray[Any],
    made_at: Floats,
    probability: Floats,
    outcome: Floats,
    opens_at: Floats,
    closes_at: Floats,
    resolved_at: Floats,
    bounds: tuple[float, float] = LOG_CLAMP,
) -> PairTimeScores:
    """Every time-averaged score for every pair; rows are forecasts, in any order.

    Windows are per question: the earliest ``opens_at``, the latest ``closes_at``
    and the earliest ``resolved_at`` (nan: not resolved early) among its rows.
    Questions are scored in batches of about CHUNK_ROWS forecasts, which bounds
    the memory of the cell table (forecasts × forecasters on the question).
    """
    question_labels, q_codes = _dense(np.asarray(question))
    forecaster_labels, f_codes = _dense(np.asarray(forecaster))
    order = np.lexsort((made_at, f_codes, q_codes))
    q = q_codes[order]
    rows = _Rows(
        q,
        f_codes[order],
        made_at[order],
        probability[order],
        outcome[order],
        opens_at[order],
        closes_at[order],
        resolved_at[order],
    )
    q_starts = _group_starts(q)
    wanted = np.searchsorted(q_starts, np.arange(CHUNK_ROWS, q.size, CHUNK_ROWS))
    cuts = np.unique(np.r_[0, q_starts[np.minimum(wanted, q_starts.size - 1)], q.size])
    parts = [
        _sorted_pair_scores(rows.part(a, b), forecaster_labels.size, bounds)
        for a, b in itertools.pairwise(cuts.tolist())
    ]
    pair_questions = [part[0] + first for part, first in zip(parts, q[cuts[:-1]], strict=True)]
    return PairTimeScores(
        question=question_labels[np.concatenate(pair_questions)],
        forecaster=forecaster_labels[np.concatenate([part[1] for part in parts])],
        **{key: np.concatenate([part[2][key] for part in parts]) for key in SCORE_KEYS},
    )


@dataclass(frozen=True)
class _Windows:
    """Each question's window, from its rows: earliest opening, latest close, earliest resolution."""

    starts: Ints  # each question's first row
    opens: Floats
    ends: Floats  # min(close, resolution)
    lifetime: Floats  # close − opening: the denominator of exact-time averages
    n_days: Ints  # full days scored by the daily rules


def _windows(q: Ints, opens_at: Floats, closes_at: Floats, resolved_at: Floats) -> _Windows:
    starts = _group_starts(q)
    opens = np.minimum.reduceat(opens_at, starts)
    closes = np.maximum.reduceat(closes_at, starts)
    ends = np.fmin(closes, np.fmin.reduceat(resolved_at, starts))  # fmin skips nan
    lifetime = closes - opens
    if np.any(~(lifetime > 0)):
        raise ValueError("a question's window must close after it opens")
    n_days = np.maximum(np.floor((ends - opens) / DAY + 1e-9), 0).astype(np.intp)
    return _Windows(starts, opens, ends, lifetime, n_days)


@dataclass(frozen=True)
class _Segments:
    """Each question cut at its distinct (clipped) forecast times."""

    question: Ints
    seconds: Floats  # how long the segment lasts
    days: Ints  # how many day ends fall in (start, next start]: the days it decides
    of_row: Ints  # the segment each forecast row starts
    after_last: Ints  # per question: one past its last segment


def _segments(q: Ints, t: Floats, windows: _Windows) -> _Segments:
    clipped = np.clip(t, windows.opens[q], windows.ends[q])
    by_time = np.lexsort((clipped, q))
    q_sorted, t_sorted = q[by_time], clipped[by_time]
    distinct = np.r_[True, (q_sorted[1:] != q_sorted[:-1]) | (t_sorted[1:] != t_sorted[:-1])]
    seg_q, start = q_sorted[distinct], t_sorted[distinct]
    last_of_question = np.r_[seg_q[1:] != seg_q[:-1], True]
    stop = np.where(last_of_question, windows.ends[seg_q], np.r_[start[1:], 0.0])
    reached = _day_ends_up_to(start, windows.opens[seg_q], windows.n_days[seg_q])
    reached_next = np.where(last_of_question, windows.n_days[seg_q], np.r_[reached[1:], 0])
    of_row = np.empty(t.size, dtype=np.intp)
    of_row[by_time] = np.cumsum(distinct) - 1
    after_last = np.cumsum(np.bincount(seg_q, minlength=windows.starts.size))
    return _Segments(seg_q, stop - start, reached_next - reached, of_row, after_last)


def _cells(q: Ints, pair_of_row: Ints, segments: _Segments) -> tuple[Ints, Ints]:
    """(standing forecast row, segment) for every segment in which a forecast stands.

    A forecast stands from its own segment up to the pair's next forecast's segment (or
    the question's end). Several forecasts before the opening share a segment; only the
    last of them gets a non-empty range, as "the last forecast made at or before" requires.
    """
    last_of_pair = np.r_[pair_of_row[1:] != pair_of_row[:-1], True]
    stop = np.where(last_of_pair, segments.after_last[q], np.r_[segments.of_row[1:], 0])
    lengths = stop - segments.of_row
    standing = np.repeat(np.arange(q.size), lengths)
    offset_in_range = np.arange(standing.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return standing, segments.of_row[standing] + offset_in_range


def _peer(cell_seg: Ints, logs: Floats, n_segments: int) -> Floats:
    """At each moment, 100·n/(n−1)·(own log − mean log) over those with a forecast."""
    active = np.bincount(cell_seg, minlength=n_segments)
    mean_log = np.bincount(cell_seg, weights=logs, minlength=n_segments) / np.maximum(active, 1)
    scale = np.where(active >= 2, 100.0 * active / np.maximum(active - 1, 1), 0.0)
    return scale[cell_seg] * (logs - mean_log[cell_seg])


@dataclass(frozen=True)
class _Rows:
    """Forecast rows sorted by question (dense codes), forecaster and time."""

    q: Ints
    f: Ints
    t: Floats
    p: Floats
    y: Floats
    opens_at: Floats
    closes_at: Floats
    resolved_at: Floats

    def part(self, start: int, stop: int) -> _Rows:
        """Rows ``start:stop`` (whole questions), question codes counted from 0 again."""
        cut = {name: getattr(self, name)[start:stop] for name in self.__dataclass_fields__}
        return _Rows(**{**cut, "q": cut["q"] - self.q[start]})


def _sorted_pair_scores(
    rows: _Rows, n_forecasters: int, bounds: tuple[float, float]
) -> tuple[Ints, Ints, dict[str, Floats]]:
    """Rows sorted by question (dense codes from 0), forecaster and time → per-pair scores."""
    q, f, t, p, y = rows.q, rows.f, rows.t, rows.p, rows.y
    opens_at, closes_at, resolved_at = rows.opens_at, rows.closes_at, rows.resolved_at
    windows = _windows(q, opens_at, closes_at, resolved_at)
    # Pairs: rows sorted by question, forecaster, time are already grouped by pair.
    pair_starts = _group_starts(q * n_forecasters + f)
    n_pairs = pair_starts.size
    pair_q, pair_f = q[pair_starts], f[pair_starts]
    pair_of_row = np.repeat(np.arange(n_pairs), np.diff(np.r_[pair_starts, q.size]))
    segments = _segments(q, t, windows)
    standing, cell_seg = _cells(q, pair_of_row, segments)
    cell_pair = pair_of_row[standing]
    cell_p, cell_y = p[standing], y[windows.starts][segments.question[cell_seg]]
    seconds, days = segments.seconds[cell_seg], segments.days[cell_seg]

    brier = (cell_p - cell_y) ** 2
    clamped = np.clip(cell_p, *bounds)
    logs = np.log(np.where(cell_y == 1.0, clamped, 1.0 - clamped))
    baseline = 100.0 * (logs / np.log(2.0) + 1.0)  # metaculus_baseline, reusing the logs
    n_segments = segments.question.size
    peer = _peer(cell_seg, logs, n_segments)
    # Daily relative Brier: only segments that contain a day end need the day's median.
    counted = days > 0
    medians = _medians_by_group(cell_seg[counted], brier[counted], n_segments)

    def per_pair(weights: Floats) -> Floats:
        return np.bincount(cell_pair, weights=weights, minlength=n_pairs).astype(np.float64, copy=False)

    ends, lifetime, n_days = windows.ends, windows.lifetime, windows.n_days
    # Alone on a question, there is no one to be better or worse than: n/a, not a score of 0.
    compared = np.bincount(pair_q)[pair_q] >= 2
    first_time = np.clip(t[pair_starts], windows.opens[pair_q], ends[pair_q])
    covered = ends[pair_q] - first_time  # the standing intervals tile [first forecast, end)
    active_days = per_pair(days.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = {
            "brier_exact": np.where(covered > 0, per_pair(brier * seconds) / covered, np.nan),
            "coverage": covered / lifetime[pair_q],
            "brier_daily": np.where(active_days > 0, per_pair(brier * days) / active_days, np.nan),
            "relative_brier_daily": np.where(
                (n_days[pair_q] > 0) & compared,
                per_pair((brier - medians[cell_seg]) * days) / n_days[pair_q],
                np.nan,
            ),
            "baseline": per_pair(baseline * seconds) / lifetime[pair_q],
            "peer": np.where(compared, per_pair(peer * seconds) / lifetime[pair_q], np.nan),
        }
    return pair_q, pair_f, scores
