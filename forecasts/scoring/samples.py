"""Which forecasts count as calibration samples, as weights over a flat table of forecasts.

- ``last`` (default): the last forecast of each forecaster on each question,
  weight 1: every question counts once per forecaster, however often updated.
- ``time``: every forecast, weighted by the share of the window it stood, so
  each forecaster–question pair again weighs 1 in total.
- ``every``: every forecast, weight 1 (what Fatebook and PredictionBook do;
  it over-weights questions you updated often).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

SampleMode = Literal["last", "time", "every"]
SAMPLE_MODES: tuple[SampleMode, ...] = ("last", "time", "every")


def _codes(values: ArrayLike) -> NDArray[np.intp]:
    return np.unique(np.asarray(values), return_inverse=True)[1].reshape(-1)


def _integer_codes(values: ArrayLike) -> NDArray[np.int64]:
    """Non-negative integer codes as they are (the scorecard passes database ids); anything else
    numbered by sorting."""
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.integer) and (array.size == 0 or array.min() >= 0):
        return array.astype(np.int64, copy=False)
    return _codes(array).astype(np.int64)


def pair_order(
    question: ArrayLike, forecaster: ArrayLike, t: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Rows ordered by (question, forecaster, time), and each row's pair code in that order: a sort
    by time, then a stable sort by pair, the same order as a lexsort of the three at a third of the cost."""
    q_codes, f_codes = _integer_codes(question), _integer_codes(forecaster)
    pairs = q_codes * (int(f_codes.max()) + 1 if f_codes.size else 1) + f_codes
    by_time = np.argsort(t, kind="stable")
    order = by_time[np.argsort(pairs[by_time], kind="stable")]
    return order, pairs[order]


def sample_weights(
    question: ArrayLike,
    forecaster: ArrayLike,
    times: ArrayLike,
    mode: SampleMode = "last",
    window_opens: ArrayLike | None = None,
    window_ends: ArrayLike | None = None,
    ordered: tuple[NDArray[np.intp], NDArray[np.int64]] | None = None,
) -> NDArray[np.float64]:
    """One weight per forecast (0 = not a sample). ``time`` needs each row's window; ``ordered`` is
    :func:`pair_order` of these rows when the caller has it already."""
    t = np.asarray(times, dtype=np.float64)
    if mode == "every":
        return np.ones_like(t)
    if mode not in SAMPLE_MODES:
        raise ValueError(f"sample mode must be one of {', '.join(SAMPLE_MODES)}, got {mode!r}")
    order, pair = ordered if ordered is not None else pair_order(question, forecaster, t)
    last_of_pair = np.append(pair[1:] != pair[:-1], True)
    weights = np.zeros_like(t)
    if mode == "last":
        weights[order[last_of_pair]] = 1.0
        return weights
    if window_opens is None or window_ends is None:
        raise ValueError("time-weighted samples need each question's opening and end times")
    opens = np.asarray(window_opens, dtype=np.float64)[order]
    ends = np.asarray(window_ends, dtype=np.float64)[order]
    sorted_t = t[order]
    next_t = np.where(last_of_pair, ends, np.append(sorted_t[1:], np.inf))
    durations = np.clip(np.minimum(next_t, ends), opens, ends) - np.clip(sorted_t, opens, ends)
    pair_start = np.flatnonzero(np.insert(pair[1:] != pair[:-1], 0, True))
    pair_total = np.add.reduceat(durations, pair_start)
    totals = np.repeat(pair_total, np.diff(np.append(pair_start, pair.size)))
    weights[order] = np.divide(durations, totals, out=np.zeros_like(durations), where=totals > 0)
    return weights
