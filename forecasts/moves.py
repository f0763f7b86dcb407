"""Big moves in a probability series: where the crowd changed its mind quickly.

A move is a change of at least ``threshold`` (10 points) within ``window``
(48 hours). Overlapping moves in one direction merge into one, from where it
started to where it went furthest, so a slide over three days of several small
steps is one move, not five.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOURS_48 = 48 * 3600.0


@dataclass(frozen=True)
class Move:
    start: float  # seconds since the epoch
    end: float
    before: float  # the probability it moved from
    after: float  # and to


def _largest_within(times: np.ndarray, values: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the earlier point within ``window`` it differs from most, and by how much."""
    first = np.searchsorted(times, times - window, side="left")
    best = np.arange(len(times))
    change = np.zeros(len(times))
    for j in np.nonzero(first < np.arange(len(times)))[0]:
        earlier = values[first[j] : j]
        i = int(np.argmax(np.abs(values[j] - earlier)))
        best[j], change[j] = first[j] + i, values[j] - earlier[i]
    return best, change


def big_moves(
    times: np.ndarray, values: np.ndarray, threshold: float = 0.10, window: float = HOURS_48
) -> list[Move]:
    """The moves of at least ``threshold`` within ``window`` in one series sorted by time."""
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    if len(times) < 2:
        return []
    starts, changes = _largest_within(times, values, window)
    moves: list[Move] = []
    for j in np.nonzero(np.abs(changes) >= threshold - 1e-12)[0]:
        i = int(starts[j])
        rising = changes[j] > 0
        last = moves[-1] if moves else None
        if last is not None and times[i] <= last.end and (last.after > last.before) == rising:
            further = values[j] > last.after if rising else values[j] < last.after
            if further:
                moves[-1] = Move(last.start, float(times[j]), last.before, float(values[j]))
            continue
        moves.append(Move(float(times[i]), float(times[j]), float(values[i]), float(values[j])))
    return moves
