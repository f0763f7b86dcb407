"""Scores that never mislead: a question without a close date is scored over its life and leaves
everyone else's scores alone; no one to compare against is "n/a", never 0."""

from __future__ import annotations

import json
import math

from click.testing import CliRunner

from db import Database
from services import scores
from tests.factories import F, Q, R
from tracker.cli import cli


def _history(database: Database) -> None:
    for title in ("Will the first question resolve yes?", "Will the second question resolve yes?"):
        q = Q(database, title, opens=0, closes=60)
        F(database, q, 0.7, by="ana", at=1)
        F(database, q, 0.4, by="bo", at=2)
        F(database, q, 0.8, by="ana", at=20)
        R(database, q, "yes", at=50)


def test_a_question_without_a_close_date_leaves_every_other_score_unchanged(database: Database) -> None:
    _history(database)
    before = scores.scorecard(database)
    assert before is not None
    open_ended = Q(database, "Will this open-ended question resolve?", opens=0, closes=None)
    F(database, open_ended, 0.2, by="cy", at=5)
    R(database, open_ended, "no", at=40)
    after = scores.scorecard(database)
    assert after is not None
    for name in ("ana", "bo"):
        assert after.by_forecaster[name].timeline == before.by_forecaster[name].timeline
        timeline = after.by_forecaster[name].timeline
        assert timeline is not None
        assert math.isfinite(timeline.peer)
        assert math.isfinite(timeline.relative_brier_daily)
    mine = after.by_forecaster["cy"].timeline
    assert mine is not None
    # Scored from opening (day 0) to resolution (day 40): 0.04 from day 5 on, covering 35 of 40 days.
    assert mine.brier_exact == 0.2**2
    assert mine.coverage == 35 / 40


def test_no_one_to_compare_against_is_na_not_zero(database: Database, database_url: str) -> None:
    _history(database)
    alone = Q(database, "Will the lonely question resolve?", opens=0, closes=60)
    F(database, alone, 0.9, by="cy", at=1)
    R(database, alone, "yes", at=50)
    card = scores.scorecard(database)
    assert card is not None
    timeline = card.by_forecaster["cy"].timeline
    assert timeline is not None
    assert (timeline.n_compared, math.isnan(timeline.peer), math.isnan(timeline.relative_brier_daily)) == (
        0,
        True,
        True,
    )
    printed = json.loads(CliRunner().invoke(cli, ["--db", database_url, "scores", "--json"]).stdout)
    shown = printed["by_forecaster"]["cy"]["timeline"]
    assert (shown["peer"], shown["relative_brier_daily"], shown["n_compared"]) == (None, None, 0)
    text = CliRunner().invoke(cli, ["--db", database_url, "scores"]).output
    cy_line = next(line for line in text.splitlines() if line.startswith("cy "))
    assert "0.000" not in cy_line.split()[-2:]
