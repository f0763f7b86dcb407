"""Scoring what is stored: resolved yes/no questions only, annulled ones left out everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db import Database
from forecasts.scoring.scorecard import score_forecasts
from services import questions, resolutions, scores
from services.score_data import resolved_binary_table
from tests.factories import F, Q, R


@pytest.fixture
def history(database: Database) -> dict[str, int]:
    """Two settled yes/no questions, one open, one multiple choice, one annulled; three forecasters."""
    ids = {
        "oil": Q(database, "Will Brent close above $60?", tags=["oil"]),
        "treaty": Q(database, "Will a treaty be signed?", tags=["treaty"]),
        "open": Q(database, "Will talks resume by 2027?", closes=None),
        "docs": Q(database, "How many documents?", options=["few", "many"]),
        "void": Q(database, "Will the vote be held?"),
    }
    for name, p in (("analyst", 0.8), ("pundit", 0.3), ("seed-article", 0.6)):
        for key in ("oil", "treaty", "open", "void"):
            F(database, ids[key], p, by=name, at=2)
        F(database, ids["oil"], min(p + 0.1, 1.0), by=name, at=9)
    F(database, ids["docs"], [0.3, 0.7], by="analyst", at=2)
    R(database, ids["oil"], "yes", at=30)
    R(database, ids["treaty"], "no", at=30)
    R(database, ids["docs"], "many", at=30)
    R(database, ids["void"], "annulled", at=30)
    return ids


def _uids(database: Database, *keys_ids: int) -> set[str]:
    return {questions.get_question(database, i).uid for i in keys_ids}


def test_table_holds_every_forecast_on_resolved_binary_questions(database: Database, history: dict) -> None:
    with database.read_session() as session:
        table = resolved_binary_table(session)
    assert len(table) == 3 * 2 + 3  # oil: two each; treaty: one each
    assert set(table.question.tolist()) == _uids(database, history["oil"], history["treaty"])
    assert set(table.outcome.tolist()) == {0.0, 1.0}
    assert table.has_windows


def test_annulled_and_undone_questions_are_left_out(database: Database, history: dict) -> None:
    resolutions.undo(database, history["treaty"])
    with database.read_session() as session:
        table = resolved_binary_table(session)
    assert set(table.question.tolist()) == _uids(database, history["oil"])


def test_filters_by_forecaster_and_tag(database: Database, history: dict) -> None:
    with database.read_session() as session:
        table = resolved_binary_table(session, forecasters=["seed-article"], tag="treaty")
    assert set(table.question.tolist()) == _uids(database, history["treaty"])
    assert table.probability.tolist() == [0.6]


def test_overview_headline_matches_the_scorecard(database: Database, history: dict) -> None:
    headline = scores.headline(database)  # nothing kept yet: one aggregate query
    with database.read_session() as session:
        card = score_forecasts(resolved_binary_table(session))
    assert headline.scored_at is None
    assert set(headline.scores) == set(card.by_forecaster)
    for name, mine in card.by_forecaster.items():
        assert headline.scores[name][0] == mine.n_questions
        assert headline.scores[name][1] == pytest.approx(mine.brier)


def test_times_keep_their_microseconds(database: Database) -> None:
    """The database computes epoch seconds; nothing is lost to a day-fraction shortcut."""
    from services.forecasts import ForecastInput, add_forecast
    from services.questions import NewQuestion

    made_at = datetime(2016, 12, 15, 6, 0, 0, 123456, tzinfo=UTC)
    opens = datetime(2016, 12, 1, 0, 0, 0, 1, tzinfo=UTC)
    q = questions.create_question(database, NewQuestion(title="Will the summit happen?", opens_at=opens)).id
    add_forecast(database, q, ForecastInput("analyst", probability=0.9, made_at=made_at))
    resolved = datetime(2016, 12, 16, tzinfo=UTC)
    resolutions.resolve(database, q, outcome="yes", resolved_at=resolved)
    with database.read_session() as session:
        table = resolved_binary_table(session)
    assert table.made_at.tolist() == [made_at.timestamp()]
    assert table.opens_at.tolist() == [opens.timestamp()]
    assert table.closes_at.tolist() == [resolved.timestamp()]  # no close date: its window ends at resolution


def test_a_few_questions_by_index_and_many_by_scan_give_the_same_table(
    database: Database, history: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.score_data as score_data

    with database.read_session() as session:
        by_index = resolved_binary_table(session)
        monkeypatch.setattr(score_data, "INDEXED_LOOKUP_LIMIT", 0)
        by_scan = resolved_binary_table(session)

    def rows(table) -> list[tuple]:
        return sorted(zip(table.question, table.forecaster, table.made_at, table.probability, strict=True))

    assert rows(by_index) == rows(by_scan)
    assert len(by_scan) == 9


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2017, 12, 29, 1, 2, 58, 999502, tzinfo=UTC),  # SQLite's date functions round this up
        datetime(2016, 12, 15, 6, 0, 0, 999999, tzinfo=UTC),
        datetime(2016, 12, 15, 6, 0, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_stored_times_read_back_as_numbers_exactly(database: Database, moment: datetime) -> None:
    """The database's own arithmetic on stored times (what bulk reads and key matching use) agrees
    with Python's to the microsecond."""
    from sqlalchemy import literal, select

    from db.expressions import epoch_micros, epoch_seconds
    from db.types import UTCDateTime
    from forecasts.iso_columns import micros_of

    stored = literal(moment, UTCDateTime())
    with database.read_session() as session:
        micros, seconds = session.execute(select(epoch_micros(stored), epoch_seconds(stored))).one()
    assert micros == micros_of(moment)
    assert seconds == pytest.approx(micros_of(moment) / 1e6, abs=1e-6)
