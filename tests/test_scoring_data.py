"""Scoring what is stored: resolved yes/no questions only, annulled ones left out everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
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


def test_times_keep_their_microseconds(database: Database) -> None:
    """The database computes epoch seconds; nothing is lost to a day-fraction shortcut."""
    from forecasts.services import add_forecast, create_question

    made_at = datetime(2016, 12, 15, 6, 0, 0, 123456, tzinfo=UTC)
    with database.write_session() as session:
        question = create_question(
            session, title="Will the summit happen?", opens_at=datetime(2016, 12, 1, 0, 0, 0, 1, tzinfo=UTC)
        )
        add_forecast(session, question_id=question.id, forecaster="analyst", probability=0.9, made_at=made_at)
        resolve_question(session, question.id, outcome="yes", resolved_at=datetime(2016, 12, 16, tzinfo=UTC))
    with database.read_session() as session:
        table = resolved_binary_table(session)
    assert table.made_at.tolist() == [made_at.timestamp()]
    assert table.opens_at.tolist() == [datetime(2016, 12, 1, 0, 0, 0, 1, tzinfo=UTC).timestamp()]
    assert np.isnan(table.closes_at).all()


def test_a_few_questions_by_index_and_many_by_scan_give_the_same_table(
    demo: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecasts.scoring_data as scoring_data

    with demo.read_session() as session:
        by_index = resolved_binary_table(session)
        monkeypatch.setattr(scoring_data, "INDEXED_LOOKUP_LIMIT", 0)
        by_scan = resolved_binary_table(session)

    def rows(table) -> list[tuple]:
        return sorted(zip(table.question, table.forecaster, table.made_at, table.probability, strict=True))

    assert rows(by_index) == rows(by_scan)
    assert len(by_scan) > 100
