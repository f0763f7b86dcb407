"""What moved the crowd: moves of 10 points or more within 48 hours, with the events just before."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.components.crowd_moves import move_line
from db import Database
from forecasts.moves import big_moves
from services import event_links, forecasts
from services.forecasts import ForecastInput
from tests.factories import E, Q, S, day

HOUR = 3600.0


@pytest.mark.parametrize(
    ("hours", "values", "expected"),
    [
        ([0, 10], [0.35, 0.12], [(0, 10, 0.35, 0.12)]),  # one drop of 23 points in 10 hours
        ([0, 49], [0.35, 0.12], []),  # too slow: 49 hours
        ([0, 10], [0.35, 0.30], []),  # too small: 5 points
        ([0, 10, 20, 30], [0.50, 0.44, 0.38, 0.30], [(0, 30, 0.50, 0.30)]),  # small steps, one slide
        ([0, 10, 100, 110], [0.5, 0.7, 0.7, 0.4], [(0, 10, 0.5, 0.7), (100, 110, 0.7, 0.4)]),  # two moves
        ([0, 10, 20], [0.5, 0.7, 0.5], [(0, 10, 0.5, 0.7), (10, 20, 0.7, 0.5)]),  # up, then back down
        ([0], [0.5], []),
    ],
)
def test_big_moves(hours: list[float], values: list[float], expected: list[tuple[float, ...]]) -> None:
    moves = big_moves(np.array(hours) * HOUR, np.array(values))
    assert [(m.start / HOUR, m.end / HOUR, m.before, m.after) for m in moves] == expected


def test_a_crowd_move_names_the_events_linked_in_the_48_hours_before(database: Database) -> None:
    question = Q(database, closes=None)
    wire = S(database, "wire").id
    deals = E(database, wire, "Tokyo: about 80 deals, no territory", at=10, questions=[question])
    E(database, wire, "An older story", at=5, questions=[question])
    for at, p in ((9, 0.35), (10.5, 0.12)):
        crowd = ForecastInput("crowd:manifold", p, made_at=day(at), forecaster_kind="crowd", origin="crowd")
        forecasts.add_forecast(database, question, crowd)
    [move] = event_links.crowd_moves(database, question)
    assert (move.forecaster, move.before, move.after) == ("crowd:manifold", 0.35, 0.12)
    assert move.events == ((deals, "Tokyo: about 80 deals, no territory"),)
    assert move_line(move) == (
        "crowd:manifold 35% → 12% on 2016-10-11, after: 'Tokyo: about 80 deals, no territory'"
    )
