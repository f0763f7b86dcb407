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


def test_each_forecasters_card_equals_scoring_their_forecasts_alone() -> None:
    """The sample weights are computed once for the whole table; a forecaster's card must be what
    scoring only their rows gives, in every sample mode."""
    import numpy as np
    import pytest

    from forecasts.scoring.scorecard import ForecastTable, score_forecasts

    rng = np.random.default_rng(4)
    n = 3_000
    question = rng.integers(0, 200, n)
    opens = rng.uniform(0, 1e6, 200)[question]
    table = ForecastTable(
        question=question.astype(str),
        forecaster=np.array(["ana", "bo", "crowd:x"])[rng.integers(0, 3, n)],
        made_at=opens + rng.uniform(0, 9e5, n),
        probability=np.round(rng.uniform(0, 1, n), 2),
        outcome=(question % 3 == 0).astype(float),
        opens_at=opens,
        closes_at=opens + 1e6,
        resolved_at=opens + 1e6,
    )
    for mode in ("last", "time", "every"):
        card = score_forecasts(table, samples=mode)
        for name, mine in card.by_forecaster.items():
            alone = score_forecasts(table.subset(table.forecaster == name), samples=mode)
            assert (mine.n_forecasts, mine.n_questions, mine.n_samples) == (
                alone.n_forecasts,
                alone.n_questions,
                alone.n_samples,
            )
            assert (mine.brier, mine.log) == (pytest.approx(alone.brier), pytest.approx(alone.log))
            assert mine.calibration == alone.calibration
            assert mine.corp.mcb == pytest.approx(alone.corp.mcb)
