"""Scoring what is stored: resolved yes/no questions only, annulled ones left out everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import Forecast, Question, Resolution
from forecasts.demo import load_demo
from forecasts.scoring.scorecard import score_forecasts
from forecasts.scoring_data import resolved_binary_table
from forecasts.services import resolve_question, undo_resolution


@pytest.fixture
def demo(database: Database) -> Database:
    with database.write_session() as session:
        load_demo(session)
    return database


def test_table_holds_every_forecast_on_resolved_binary_questions(demo: Database) -> None:
    with demo.read_session() as session:
        table = resolved_binary_table(session)
        resolved = select(Resolution.question_id)
        expected = session.scalar(
            select(func.count())
            .select_from(Forecast)
            .join(Question)
            .where(Question.type == "binary", Question.id.in_(resolved))
        )
    assert len(table) == expected
    assert set(table.outcome.tolist()) == {0.0, 1.0}
    assert table.has_windows


def test_annulled_questions_are_left_out(demo: Database) -> None:
    with demo.write_session() as session:
        question = session.scalar(select(Question).where(Question.uid == "demo-clinton-wins-2016"))
        undo_resolution(session, question.id)
        resolve_question(
            session, question.id, outcome="annulled", resolved_at=datetime(2016, 11, 9, tzinfo=UTC)
        )
    with demo.read_session() as session:
        table = resolved_binary_table(session)
    assert "demo-clinton-wins-2016" not in set(table.question.tolist())


def test_filters_by_forecaster_and_tag(demo: Database) -> None:
    with demo.read_session() as session:
        table = resolved_binary_table(session, forecasters=["seed-article"], tag="us-election")
    assert set(table.question.tolist()) == {"demo-clinton-wins-2016"}
    assert table.probability.tolist() == [0.85]


def test_demo_scorecard_tells_the_story(demo: Database) -> None:
    """The analyst beats the pundit; the seed article's Clinton call costs it dearly."""
    with demo.read_session() as session:
        card = score_forecasts(resolved_binary_table(session))
    analyst, pundit, article = (card.by_forecaster[n] for n in ("analyst", "pundit", "seed-article"))
    assert analyst.brier < article.brier < pundit.brier
    assert analyst.timeline.relative_brier_daily < 0 < pundit.timeline.relative_brier_daily
    assert card.corp.mcb - card.corp.dsc + card.corp.unc == pytest.approx(card.brier)


def test_overview_headline_matches_the_scorecard(demo: Database) -> None:
    from forecasts.views import headline_scores

    with demo.read_session() as session:
        headline = headline_scores(session)
        card = score_forecasts(resolved_binary_table(session))
    assert set(headline) == set(card.by_forecaster)
    for name, mine in card.by_forecaster.items():
        assert headline[name][0] == mine.n_questions
        assert headline[name][1] == pytest.approx(mine.brier)
