"""The question lifecycle on a real database: create, forecast, resolve, undo — and the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import Forecast, Resolution
from forecasts.errors import ValidationError
from forecasts.services import (
    add_forecast,
    create_question,
    current_resolution,
    edit_question,
    get_question,
    resolve_question,
    undo_resolution,
)

OPENS = datetime(2016, 10, 15, tzinfo=UTC)
CLOSES = datetime(2016, 12, 31, 23, 59, tzinfo=UTC)
NOW = datetime(2016, 11, 1, tzinfo=UTC)


@pytest.fixture
def treaty(database: Database) -> int:
    with database.write_session() as session:
        return create_question(
            session,
            title="Will Japan and Russia sign a peace treaty by 31 Dec 2016?",
            opens_at=OPENS,
            closes_at=CLOSES,
            tags=["Treaty", "territory", " "],
            now=OPENS,
        ).id


@pytest.fixture
def documents(database: Database) -> int:
    with database.write_session() as session:
        return create_question(
            session,
            title="How many documents will be signed in Tokyo?",
            type="multiple_choice",
            options=["Fewer than 50", "50 to 79", "80 or more"],
            opens_at=OPENS,
            closes_at=CLOSES,
            now=OPENS,
        ).id


def test_create_question_cleans_tags_and_defaults_resolve_by(database: Database, treaty: int) -> None:
    with database.read_session() as session:
        question = get_question(session, treaty)
        assert question.tags == ["territory", "treaty"]
        assert question.resolve_by == CLOSES


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "Eh?"}, "title"),
        ({"closes_at": OPENS - timedelta(days=1)}, "closes_at"),
        ({"type": "numeric"}, "type"),
        ({"type": "multiple_choice", "options": ["only"]}, "options"),
        ({"options": ["yes", "no"]}, "options"),
        ({"opens_at": datetime(2016, 10, 15)}, "opens_at"),
    ],
)
def test_create_question_rejections(database: Database, fields: dict, field: str) -> None:
    arguments = {"title": "Will Putin visit Japan in 2016?", "opens_at": OPENS} | fields
    with pytest.raises(ValidationError) as caught, database.write_session() as session:
        create_question(session, **arguments)
    assert caught.value.field == field


def test_forecast_update_and_double_submit(database: Database, treaty: int) -> None:
    with database.write_session() as session:
        first = add_forecast(session, question_id=treaty, forecaster="analyst", probability=0.07, now=NOW)
        again = add_forecast(
            session,
            question_id=treaty,
            forecaster="analyst",
            probability=0.07,
            now=NOW + timedelta(seconds=3),
        )
        assert again.id == first.id  # a double submit is not a second forecast
        add_forecast(
            session, question_id=treaty, forecaster="analyst", probability=0.04, now=NOW + timedelta(days=1)
        )
    with database.read_session() as session:
        assert session.scalars(select(Forecast.probability).order_by(Forecast.made_at)).all() == [0.07, 0.04]


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"probability": 1.2}, "probability", "between 0% and 100%"),
        ({"probability": None}, "probability", "between 0% and 100%"),
        ({"option_probabilities": [0.5, 0.5]}, "probability", "one probability"),
        ({"probability": 0.5, "made_at": OPENS - timedelta(days=1)}, "made_at", "before the question opened"),
        ({"probability": 0.5, "made_at": NOW + timedelta(days=2)}, "made_at", "in the future"),
        ({"probability": 0.5, "forecaster": " "}, "forecaster", "is empty"),
    ],
)
def test_binary_forecast_rejections(
    database: Database, treaty: int, arguments: dict, field: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught, database.write_session() as session:
        add_forecast(session, **({"question_id": treaty, "forecaster": "analyst", "now": NOW} | arguments))
    assert caught.value.field == field


def test_no_forecast_after_the_question_closes(database: Database, treaty: int) -> None:
    with pytest.raises(ValidationError, match="closed on 2016-12-31") as caught:
        with database.write_session() as session:
            add_forecast(
                session,
                question_id=treaty,
                forecaster="analyst",
                probability=0.1,
                now=CLOSES + timedelta(days=1),
            )
    assert caught.value.field == "made_at"


def test_multiple_choice_forecasts(database: Database, documents: int) -> None:
    with database.write_session() as session:
        add_forecast(
            session,
            question_id=documents,
            forecaster="analyst",
            option_probabilities=[0.2, 0.5, 0.3],
            now=NOW,
        )
    with pytest.raises(ValidationError, match=r"add up to 100%, they add up to 110\.00%"):
        with database.write_session() as session:
            add_forecast(
                session,
                question_id=documents,
                forecaster="pundit",
                option_probabilities=[0.3, 0.5, 0.3],
                now=NOW,
            )
    with pytest.raises(ValidationError, match="need 3 probabilities"):
        with database.write_session() as session:
            add_forecast(
                session, question_id=documents, forecaster="pundit", option_probabilities=[0.5, 0.5], now=NOW
            )


def test_resolve_then_undo_keeps_history(database: Database, treaty: int) -> None:
    settled = datetime(2016, 12, 16, 12, tzinfo=UTC)
    later = datetime(2017, 1, 2, tzinfo=UTC)
    with database.write_session() as session:
        add_forecast(session, question_id=treaty, forecaster="analyst", probability=0.05, now=NOW)
        resolve_question(session, treaty, outcome="no", resolved_at=settled, note="DW report", now=later)
    with pytest.raises(ValidationError, match="is resolved"), database.write_session() as session:
        add_forecast(
            session, question_id=treaty, forecaster="analyst", probability=0.01, now=NOW + timedelta(days=2)
        )
    with pytest.raises(ValidationError, match="already resolved"), database.write_session() as session:
        resolve_question(session, treaty, outcome="yes", resolved_at=settled, now=later)
    with database.write_session() as session:
        undo_resolution(session, treaty, now=later + timedelta(minutes=1))
        assert current_resolution(get_question(session, treaty)) is None
    with database.write_session() as session:
        resolve_question(session, treaty, outcome="no", resolved_at=settled, now=later + timedelta(minutes=2))
    with database.read_session() as session:
        outcomes = session.scalars(select(Resolution.outcome).order_by(Resolution.recorded_at)).all()
        assert outcomes == ["no", "unresolved", "no"]
        assert current_resolution(get_question(session, treaty)).outcome == "no"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"outcome": "option", "option": "80 or more"}, "outcome"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "no", "resolved_at": OPENS - timedelta(days=1)}, "resolved_at"),
        ({"outcome": "no", "resolved_at": datetime(2030, 1, 1, tzinfo=UTC)}, "resolved_at"),
    ],
)
def test_resolution_rejections(database: Database, treaty: int, arguments: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught, database.write_session() as session:
        resolve_question(session, treaty, **({"resolved_at": NOW, "now": NOW} | arguments))
    assert caught.value.field == field


def test_multiple_choice_resolution_names_a_real_option(database: Database, documents: int) -> None:
    with pytest.raises(ValidationError, match="must be one of Fewer than 50, 50 to 79, 80 or more"):
        with database.write_session() as session:
            resolve_question(session, documents, outcome="option", option="100", resolved_at=NOW, now=NOW)
    with database.write_session() as session:
        resolve_question(session, documents, outcome="option", option="80 or more", resolved_at=NOW, now=NOW)
    with database.read_session() as session:
        assert session.scalar(select(Resolution.option)) == "80 or more"


def test_undo_needs_a_resolution(database: Database, treaty: int) -> None:
    with pytest.raises(ValidationError, match="not resolved"), database.write_session() as session:
        undo_resolution(session, treaty)


def test_edit_question(database: Database, treaty: int) -> None:
    with database.write_session() as session:
        edit_question(session, treaty, title="Will a peace treaty be signed in 2016?", tags=["Treaty"])
        add_forecast(session, question_id=treaty, forecaster="analyst", probability=0.05, now=NOW)
    with pytest.raises(ValidationError, match="has forecasts"), database.write_session() as session:
        edit_question(session, treaty, type="multiple_choice", options=["a", "b"])
    with pytest.raises(ValidationError, match="cannot be edited"), database.write_session() as session:
        edit_question(session, treaty, uid="other")
    with database.read_session() as session:
        question = get_question(session, treaty)
        assert (question.title, question.tags) == ("Will a peace treaty be signed in 2016?", ["treaty"])
        assert session.scalar(select(func.count()).select_from(Forecast)) == 1
