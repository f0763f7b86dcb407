"""Scores of forecasts that stand over time, on one question.

Times are plain floats (seconds since the epoch, or days: any one unit) so the
maths stays free of datetimes. A forecast stands from its time until the same
forecaster's next one. The question's window is [opens, end) where
end = min(scheduled close, resolution time).

Two conventions, as the platforms define them:

- **exact time** (Metaculus): integrate the standing forecast's score over the
  window and divide by the *scheduled* lifetime, so time before the first
  forecast and after an early resolution count zero. That is right for gains
  where zero means "no better than chance" (baseline and peer scores). For a
  loss like Brier, zero would be a perfect score, so we also report
  ``standing_mean``: the average over the time a forecast actually stood,
  with ``coverage`` beside it. Both are returned; callers pick by rule.
- **daily** (GJ Open): one score per full day of the window, from the forecast
  standing at the end of that day (the last of the day, carried forward).
  Days are 24-hour periods counted from ``opens``; a final partial day is not scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forecasts.scoring.rules import LOG_CLAMP

Floats = NDArray[np.float64]
DAY = 86_400.0


@dataclass(frozen=True)
class Window:
    opens: float
    closes: float  # the scheduled close: the denominator of exact-time averages
    resolved: float | None = None  # an early resolution truncates the window

    @property
    def end(self) -> float:
        return self.closes if self.resolved is None else min(self.closes, self.resolved)

    @property
    def lifetime(self) -> float:
        if self.closes <= self.opens:
            raise ValueError("a question's window must close after it opens")
        return self.closes - self.opens


@dataclass(frozen=True)
class TimeAveragedScore:
    score: float  # ∫ score dt / scheduled lifetime, zero where nothing stood (Metaculus)
    coverage: float  # share of the scheduled lifetime with a forecast standing
    standing_mean: float  # ∫ score dt / time covered (nan if nothing stood in the window)


def standing_durations(times: ArrayLike, window: Window) -> Floats:
    """How long each forecast (sorted by time, one forecaster) stood inside the window."""
    t = np.asarray(times, dtype=np.float64)
    if np.any(np.diff(t) < 0):
        raise ValueError("forecast times must be sorted")
    starts = np.clip(t, window.opens, window.end)
    ends = np.clip(np.append(t[1:], window.end), window.opens, window.end)
    result: Floats = ends - starts
    return result


def exact_time_average(times: ArrayLike, scores: ArrayLike, window: Window) -> TimeAveragedScore:
    """Time average of per-forecast ``scores`` (one per forecast, sorted by time)."""
    durations = standing_durations(times, window)
    s = np.asarray(scores, dtype=np.float64)
    # The standing intervals tile [first forecast, end): take that span, not a float sum of pieces.
    first = float(np.clip(np.min(times), window.opens, window.end)) if durations.size else window.end
    covered = window.end - first
    integral = float(np.sum(s * durations))
    return TimeAveragedScore(
        score=integral / window.lifetime,
        coverage=float(covered / window.lifetime),
        standing_mean=float(integral / covered) if covered > 0 else float("nan"),
    )


def full_days(window: Window) -> int:
    return int(np.floor((window.end - window.opens) / DAY + 1e-9))


def daily_standing(times: ArrayLike, values: ArrayLike, window: Window) -> Floats:
    """The value standing at the end of each full day (nan before the first forecast).

    ``values`` may be probabilities or per-forecast scores; rows follow ``times``.
    """
    t = np.asarray(times, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    day_ends = window.opens + DAY * np.arange(1, full_days(window) + 1)
    # The forecast standing at a day's end is the last one made before it.
    latest = np.searchsorted(t, day_ends, side="left") - 1
    return np.where(latest >= 0, v[np.maximum(latest, 0)], np.nan)


def daily_average(times: ArrayLike, scores: ArrayLike, window: Window) -> TimeAveragedScore:
    """GJ Open's daily score: the mean over the days you had a forecast, with coverage in days."""
    per_day = daily_standing(times, scores, window)
    active = ~np.isnan(per_day)
    n_days = per_day.size
    if n_days == 0:
        return TimeAveragedScore(float("nan"), 0.0, float("nan"))
    total = float(np.sum(per_day[active]))
    return TimeAveragedScore(
        score=total / n_days,
        coverage=float(active.sum() / n_days),
        standing_mean=float(total / active.sum()) if active.any() else float("nan"),
    )


def _column_medians(matrix: Floats) -> Floats:
    """Median of each column ignoring nan (0 for an empty column); nanmedian is slow on small arrays."""
    ordered = np.sort(matrix, axis=0)  # nan sorts last
    n = np.sum(~np.isnan(matrix), axis=0)
    low = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0)[None, :], axis=0)[0]
    high = np.take_along_axis(ordered, np.maximum(n // 2 - (n == 0), 0)[None, :], axis=0)[0]
    return np.where(n > 0, (low + high) / 2, 0.0)


def relative_to_median(daily_scores: ArrayLike) -> Floats:
    """Per forecaster: Σ over active days of (own score − that day's median) / all days.

    ``daily_scores`` is (forecasters × days) with nan where a forecaster had no
    forecast. The median is over everyone active that day, and an inactive day
    counts as zero (scored as the crowd), as GJ Open's participation rule implies.
    """
    matrix = np.asarray(daily_scores, dtype=np.float64)
    if matrix.shape[1] == 0:
        return np.full(matrix.shape[0], np.nan)
    gaps = np.where(np.isnan(matrix), 0.0, matrix - _column_medians(matrix))
    result: Floats = gaps.sum(axis=1) / matrix.shape[1]
    return result


def metaculus_baseline(p: ArrayLike, y: ArrayLike, bounds: tuple[float, float] = LOG_CLAMP) -> Floats:
    """Metaculus baseline score for binary forecasts: 100·(log₂ p_outcome + 1), a gain."""
    p_arr = np.clip(np.asarray(p, dtype=np.float64), *bounds)
    y_arr = np.asarray(y, dtype=np.float64)
    return 100.0 * (np.log2(np.where(y_arr == 1.0, p_arr, 1.0 - p_arr)) + 1.0)


def metaculus_baseline_multi(
    probabilities: ArrayLike, outcome: ArrayLike, bounds: tuple[float, float] = LOG_CLAMP
) -> Floats:
    """Metaculus baseline for N options: 100·ln(N·p_outcome)/ln N, zero for a uniform forecast."""
    matrix = np.atleast_2d(np.asarray(probabilities, dtype=np.float64))
    index = np.atleast_1d(np.asarray(outcome, dtype=np.intp))
    n_options = matrix.shape[1]
    p_outcome = np.clip(matrix[np.arange(index.size), index], *bounds)
    result: Floats = 100.0 * np.log(n_options * p_outcome) / np.log(n_options)
    return result


def peer_scores(p: ArrayLike, y: int, bounds: tuple[float, float] = LOG_CLAMP) -> Floats:
    """Metaculus peer scores at one moment: 100·n/(n−1)·(ln p_i − mean ln p), summing to zero."""
    p_arr = np.clip(np.asarray(p, dtype=np.float64), *bounds)
    logs = np.log(p_arr if y == 1 else 1.0 - p_arr)
    n = logs.size
    if n < 2:
        return np.zeros(n)
    result: Floats = 100.0 * n / (n - 1) * (logs - logs.mean())
    return result


def time_averaged_peer(
    forecasts: list[tuple[ArrayLike, ArrayLike]],
    y: int,
    window: Window,
    bounds: tuple[float, float] = LOG_CLAMP,
) -> Floats:
    """Peer score per forecaster, integrated between every change of anyone's forecast.

    ``forecasts`` holds one (times, probabilities) pair per forecaster, each sorted.
    Zero before a forecaster's first forecast and after an early resolution;
    divided by the scheduled lifetime.
    """
    in_window = np.sort(
        np.concatenate(
            [np.clip(np.asarray(t, dtype=np.float64), window.opens, window.end) for t, _ in forecasts]
        )
    )
    change_points = in_window[np.r_[True, in_window[1:] != in_window[:-1]]]
    starts = change_points
    lengths = np.diff(np.append(change_points, window.end))
    # standing[f, i]: forecaster f's probability during interval i (nan before their first).
    standing = np.full((len(forecasts), starts.size), np.nan)
    for row, (times, probabilities) in enumerate(forecasts):
        index = np.searchsorted(np.asarray(times, dtype=np.float64), starts, side="right") - 1
        values = np.asarray(probabilities, dtype=np.float64)
        standing[row] = np.where(index >= 0, values[np.maximum(index, 0)], np.nan)
    clipped = np.clip(standing, *bounds)
    logs = np.log(clipped if y == 1 else 1.0 - clipped)
    active = ~np.isnan(logs)
    n = active.sum(axis=0)
    mean_log = np.divide(np.where(active, logs, 0.0).sum(axis=0), n, out=np.zeros(starts.size), where=n > 0)
    scale = np.divide(100.0 * n, n - 1, out=np.zeros(starts.size), where=n >= 2)
    peer = np.where(active, scale * (logs - mean_log), 0.0)
    result: Floats = (peer * lengths).sum(axis=1) / window.lifetime
    return result
