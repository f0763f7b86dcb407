"""Models round-trip on SQLite and PostgreSQL, and bad rows are refused with clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from db import Database, InvalidRow
from db.models import (
    Event,
    EventQuestion,
    Forecast,
    Forecaster,
    Heartbeat,
    JobRun,
    Question,
    Resolution,
    Source,
)

NAGATO = datetime(2016, 12, 15, 6, 0, tzinfo=UTC)
JST = timezone(timedelta(hours=9))


def binary_question(**overrides: object) -> Question:
    fields = {
        "title": "Will Japan and Russia sign a peace treaty by 31 Dec 2016?",
        "opens_at": datetime(2016, 10, 15, tzinfo=UTC),
        "closes_at": datetime(2016, 12, 31, 23, 59, tzinfo=UTC),
        "resolve_by": datetime(2016, 12, 31, 23, 59, tzinfo=UTC),
    }
    return Question(**(fields | overrides))


def choice_question(**overrides: object) -> Question:
    fields = {
        "title": "How many documents will be signed in Tokyo?",
        "type": "multiple_choice",
        "options": ["Fewer than 30", "30 to 79", "80 or more"],
        "opens_at": datetime(2016, 10, 15, tzinfo=UTC),
    }
    return Question(**(fields | overrides))


@pytest.fixture
def analyst(database: Database) -> int:
    with database.write_session() as session:
        forecaster = Forecaster(name="analyst")
        session.add(forecaster)
        session.flush()
        return forecaster.id


def test_round_trip_every_model(database: Database, analyst: int) -> None:
    with database.write_session() as session:
        question = binary_question(description="Seventy years without one.")
        question.tags.extend(["treaty", "territory"])
        session.add(question)
        session.flush()
        session.add(Forecast(question=question, forecaster_id=analyst, made_at=NAGATO, probability=0.07))
        session.add(Forecaster(name="crowd:manifold", kind="crowd"))
        source = Source(name="nhk", kind="rss", url="http://127.0.0.1/feed", settings={"match": "Kuril*"})
        event = Event(
            source=source, dedupe_key="guid-1", occurred_at=NAGATO.astimezone(JST), title="Nagato talks"
        )
        event.tags.append("summit")
        event.question_links.append(EventQuestion(question_id=question.id))
        session.add(event)
        session.add(
            Resolution(question=question, outcome="no", resolved_at=datetime(2016, 12, 31, tzinfo=UTC))
        )
        session.add(JobRun(job="ingest:nhk", source_id=None, status="ok", n_new=3))
        session.add(Heartbeat(worker="w1", pid=1, hostname="h", started_at=NAGATO, beat_at=NAGATO))
        question_id = question.id

    with database.read_session() as session:
        stored = session.get(Question, question_id)
        assert stored.tags == ["territory", "treaty"]
        assert stored.type == "binary"
        assert stored.options is None
        assert stored.opens_at == datetime(2016, 10, 15, tzinfo=UTC)
        assert stored.opens_at.tzinfo is not None
        assert [f.probability for f in stored.forecasts] == [0.07]
        assert stored.latest_resolution.outcome == "no"
        event = session.scalars(select(Event)).one()
        # Stored as UTC whatever zone it came in, and returned timezone-aware.
        assert event.occurred_at == NAGATO
        assert event.occurred_at.utcoffset() == timedelta(0)
        assert event.source.settings == {"match": "Kuril*"}
        assert event.tags == ["summit"]
        assert [link.question_id for link in event.question_links] == [question_id]
        assert session.scalars(select(JobRun.n_new)).one() == 3
        assert (
            session.scalars(select(Forecaster.kind).where(Forecaster.name == "crowd:manifold")).one()
            == "crowd"
        )


def test_multiple_choice_forecast_round_trips(database: Database, analyst: int) -> None:
    with database.write_session() as session:
        question = choice_question()
        session.add(question)
        session.add(
            Forecast(
                question=question, forecaster_id=analyst, made_at=NAGATO, option_probabilities=[0.5, 0.3, 0.2]
            )
        )
    with database.read_session() as session:
        forecast = session.scalars(select(Forecast)).one()
        assert forecast.option_probabilities == [0.5, 0.3, 0.2]
        assert forecast.probability is None
        assert forecast.question.options == ["Fewer than 30", "30 to 79", "80 or more"]


def test_naive_timestamps_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="has no timezone"), database.write_session() as session:
        session.add(binary_question(opens_at=datetime(2016, 10, 15), closes_at=None, resolve_by=None))


# --- Bad rows: the ORM path names table, field and what is allowed --------------------------


@pytest.mark.parametrize("probability", [-0.01, 1.01, 70.0, float("nan")])
def test_forecast_probability_outside_unit_interval(
    database: Database, analyst: int, probability: float
) -> None:
    with pytest.raises(InvalidRow, match=r"0% (to|and) 100%") as caught, database.write_session() as session:
        question = binary_question()
        session.add(question)
        session.add(
            Forecast(question=question, forecaster_id=analyst, made_at=NAGATO, probability=probability)
        )
    assert (caught.value.table, caught.value.field) == ("forecast", "probability")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0.5, 0.3, 0.3], "must add up to 100%"),
        ([0.5, 0.4], "needs 3 probabilities"),
        ([1.2, -0.1, -0.1], "outside 0% to 100%"),
    ],
)
def test_multiple_choice_probabilities_must_sum_to_one(
    database: Database, analyst: int, values: list[float], message: str
) -> None:
    with pytest.raises(InvalidRow, match=message) as caught, database.write_session() as session:
        question = choice_question()
        session.add(question)
        session.add(
            Forecast(question=question, forecaster_id=analyst, made_at=NAGATO, option_probabilities=values)
        )
    assert caught.value.field == "option_probabilities"


def test_binary_forecast_needs_a_probability(database: Database, analyst: int) -> None:
    with (
        pytest.raises(InvalidRow, match="is required for a yes/no question"),
        database.write_session() as session,
    ):
        question = binary_question()
        session.add(question)
        session.add(Forecast(question=question, forecaster_id=analyst, made_at=NAGATO))


def test_resolution_naming_an_unknown_option(database: Database) -> None:
    with pytest.raises(InvalidRow, match="must be one of Fewer than 30, 30 to 79, 80 or more") as caught:
        with database.write_session() as session:
            question = choice_question()
            session.add(question)
            session.add(
                Resolution(question=question, outcome="option", option="100 or more", resolved_at=NAGATO)
            )
    assert (caught.value.table, caught.value.field) == ("resolution", "option")


@pytest.mark.parametrize(
    ("make_question", "outcome", "message"),
    [
        (binary_question, "option", "must be one of yes, no, annulled for this question"),
        (choice_question, "yes", r"must be an option \(Fewer than 30, 30 to 79, 80 or more\) or annulled"),
        (binary_question, "maybe", "must be one of yes, no, annulled for this question"),
    ],
)
def test_resolution_outcome_must_fit_the_question(
    database: Database, make_question: object, outcome: str, message: str
) -> None:
    with pytest.raises(InvalidRow, match=message), database.write_session() as session:
        question = make_question()
        session.add(question)
        option = "80 or more" if outcome == "option" else None
        session.add(Resolution(question=question, outcome=outcome, option=option, resolved_at=NAGATO))


def test_closes_before_opens(database: Database) -> None:
    with pytest.raises(InvalidRow, match="must not be before the question opens") as caught:
        with database.write_session() as session:
            session.add(binary_question(closes_at=datetime(2016, 10, 1, tzinfo=UTC)))
    assert (caught.value.table, caught.value.field) == ("question", "closes_at")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "multiple_choice", "options": ["only one"]}, "options"),
        ({"type": "multiple_choice", "options": ["a", "a"]}, "options"),
        ({"options": ["yes", "no"]}, "options"),
        ({"type": "ranking"}, "type"),
        ({"type": "numeric"}, "range"),
        ({"type": "numeric", "range_lower": 120.0, "range_upper": 20.0}, "range"),
        ({"type": "date", "range_lower": -5.0, "range_upper": 5.0, "log_scale": True}, "range"),
        ({"range_lower": 0.0, "range_upper": 1.0}, "range"),
        ({"type": "numeric", "range_lower": 0.0, "range_upper": 1.0, "options": ["a", "b"]}, "options"),
        ({"title": "  "}, "title"),
    ],
)
def test_malformed_questions(database: Database, overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRow) as caught, database.write_session() as session:
        session.add(binary_question(**overrides))
    assert caught.value.field == field


# --- Bad rows that bypass the ORM still meet the database's own constraints -----------------


def _insert_question(database: Database, opens: str, closes: str) -> None:
    with database.write_session() as session:
        session.execute(
            text(
                "INSERT INTO question (uid, title, description, resolution_criteria, type, created_at, "
                "updated_at, opens_at, closes_at) VALUES ('raw', 'Raw?', '', '', 'binary', :opens, :opens, "
                ":opens, :closes)"
            ),
            {"opens": datetime.fromisoformat(opens), "closes": datetime.fromisoformat(closes)},
        )


def test_database_check_rejects_closes_before_opens(database: Database) -> None:
    with pytest.raises(IntegrityError, match=r"ck_question_closes_after_opens|CHECK constraint failed"):
        _insert_question(database, "2016-10-15 00:00:00", "2016-10-01 00:00:00")


def test_database_check_rejects_probability_above_one(database: Database, analyst: int) -> None:
    _insert_question(database, "2016-10-15 00:00:00", "2016-12-31 00:00:00")
    with pytest.raises(IntegrityError, match=r"ck_forecast_probability_range|CHECK constraint failed"):
        with database.write_session() as session:
            session.execute(
                text(
                    "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, rationale, "
                    "origin, recorded_at) SELECT id, :who, :at, 1.5, '', 'manual', :at FROM question"
                ),
                {"who": analyst, "at": datetime(2016, 12, 1)},
            )


def test_same_forecast_twice_is_one_row(database: Database, analyst: int) -> None:
    """The natural key (question, forecaster, made_at) makes a double submit harmless."""
    with database.write_session() as session:
        question = binary_question()
        session.add(question)
        session.add(Forecast(question=question, forecaster_id=analyst, made_at=NAGATO, probability=0.1))
        session.flush()
        question_id = question.id
    with pytest.raises(IntegrityError, match=r"uq_forecast_question_id_forecaster_id_made_at|UNIQUE"):
        with database.write_session() as session:
            session.add(
                Forecast(question_id=question_id, forecaster_id=analyst, made_at=NAGATO, probability=0.1)
            )
    with database.read_session() as session:
        assert len(session.scalars(select(Forecast)).all()) == 1


# --- Resolutions are append-only; the latest row wins -------------------------------------


def test_undo_appends_and_latest_wins(database: Database) -> None:
    with database.write_session() as session:
        question = binary_question()
        question.resolutions.append(Resolution(outcome="yes", resolved_at=NAGATO, note="misread the wire"))
        session.add(question)
        session.flush()
        question_id = question.id
    with database.write_session() as session:
        session.add(Resolution(question_id=question_id, outcome="unresolved", note="undo"))
    with database.write_session() as session:
        session.add(
            Resolution(question_id=question_id, outcome="no", resolved_at=datetime(2016, 12, 31, tzinfo=UTC))
        )
    with database.read_session() as session:
        question = session.get(Question, question_id)
        assert [r.outcome for r in question.resolutions] == ["yes", "unresolved", "no"]
        assert question.latest_resolution.outcome == "no"


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_resolutions_cannot_be_edited_or_deleted(database: Database, change: str) -> None:
    with database.write_session() as session:
        question = binary_question()
        question.resolutions.append(Resolution(outcome="yes", resolved_at=NAGATO))
        session.add(question)
    with pytest.raises(InvalidRow, match="append-only"), database.write_session() as session:
        resolution = session.scalars(select(Resolution)).one()
        if change == "edit":
            resolution.outcome = "no"
        else:
            session.delete(resolution)
    with database.read_session() as session:
        assert session.scalars(select(Resolution.outcome)).all() == ["yes"]


def test_deleting_a_question_takes_its_history(database: Database, analyst: int) -> None:
    with database.write_session() as session:
        question = binary_question()
        question.resolutions.append(Resolution(outcome="no", resolved_at=NAGATO))
        session.add(question)
        session.add(Forecast(question=question, forecaster_id=analyst, made_at=NAGATO, probability=0.2))
    with database.write_session() as session:
        session.delete(session.scalars(select(Question)).one())
    with database.read_session() as session:
        assert session.scalars(select(Forecast)).all() == []
        assert session.scalars(select(Resolution)).all() == []


def brent_question(**overrides: object) -> Question:
    fields = {
        "title": "Brent on 2016-12-30 (USD a barrel)",
        "type": "numeric",
        "unit": "USD",
        "range_lower": 20.0,
        "range_upper": 120.0,
        "opens_at": datetime(2016, 10, 15, tzinfo=UTC),
    }
    return Question(**(fields | overrides))


def test_a_numeric_question_round_trips_with_quantiles_and_a_value(database: Database, analyst: int) -> None:
    with database.write_session() as session:
        question = brent_question(upper_open=True)
        session.add(question)
        session.flush()
        quantiles = [[0.05, 44.0], [0.5, 53.0], [0.95, 62.5]]
        session.add(Forecast(question=question, forecaster_id=analyst, made_at=NAGATO, quantiles=quantiles))
        session.add(Resolution(question=question, outcome="value", value=56.82, resolved_at=NAGATO))
    with database.read_session() as session:
        stored = session.scalars(select(Question)).one()
        assert (stored.type, stored.unit, stored.range_lower, stored.range_upper) == (
            "numeric",
            "USD",
            20.0,
            120.0,
        )
        assert (stored.lower_open, stored.upper_open, stored.log_scale) == (False, True, False)
        assert stored.forecasts[0].quantiles == quantiles
        assert stored.forecasts[0].probability is None
        assert (stored.latest_resolution.outcome, stored.latest_resolution.value) == ("value", 56.82)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"probability": 0.5}, "quantiles"),
        ({"quantiles": [[0.05, 10.0], [0.5, 53.0], [0.95, 62.5]]}, "quantiles"),  # below the closed range
        ({"quantiles": [[0.5, 53.0], [0.95, 62.5]]}, "quantiles"),
    ],
)
def test_numeric_forecasts_are_quantiles_inside_a_closed_range(
    database: Database, analyst: int, row: dict[str, object], field: str
) -> None:
    with database.write_session() as session:
        question = brent_question()
        session.add(question)
    with pytest.raises(InvalidRow) as caught, database.write_session() as session:
        session.add(Forecast(question_id=question.id, forecaster_id=analyst, made_at=NAGATO, **row))
    assert (caught.value.table, caught.value.field) == ("forecast", field)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"outcome": "yes"}, "outcome"),
        ({"outcome": "value", "value": 130.0}, "value"),
        ({"outcome": "value"}, "value"),
        ({"outcome": "annulled", "value": 50.0}, "value"),
    ],
)
def test_numeric_resolutions_are_values(database: Database, row: dict[str, object], field: str) -> None:
    with database.write_session() as session:
        question = brent_question()
        session.add(question)
    with pytest.raises(InvalidRow) as caught, database.write_session() as session:
        session.add(Resolution(question_id=question.id, resolved_at=NAGATO, **row))
    assert (caught.value.table, caught.value.field) == ("resolution", field)


@pytest.mark.parametrize(
    "statement",
    [
        # a numeric question without its range
        "INSERT INTO question (uid, title, description, resolution_criteria, type, created_at, updated_at, "
        "opens_at) VALUES ('raw', 'Raw number?', '', '', 'numeric', :at, :at, :at)",
        # a yes/no question with a range
        "INSERT INTO question (uid, title, description, resolution_criteria, type, range_lower, range_upper, "
        "created_at, updated_at, opens_at) VALUES ('raw', 'Raw?', '', '', 'binary', 0, 1, :at, :at, :at)",
        # a log scale through zero
        "INSERT INTO question (uid, title, description, resolution_criteria, type, range_lower, range_upper, "
        "log_scale, created_at, updated_at, opens_at) "
        "VALUES ('raw', 'Raw?', '', '', 'numeric', -1, 1, TRUE, :at, :at, :at)",
    ],
    ids=["no range", "binary with a range", "log through zero"],
)
def test_the_database_itself_refuses_a_question_of_the_wrong_shape(
    database: Database, statement: str
) -> None:
    with pytest.raises(IntegrityError, match=r"ck_question_|CHECK constraint failed"):
        with database.write_session() as session:
            session.execute(text(statement), {"at": datetime(2016, 12, 1)})


def test_the_database_itself_refuses_a_forecast_of_two_kinds(database: Database, analyst: int) -> None:
    with database.write_session() as session:
        question = brent_question()
        session.add(question)
    with pytest.raises(IntegrityError, match=r"ck_forecast_one_kind_of_forecast|CHECK constraint failed"):
        with database.write_session() as session:
            session.execute(
                text(
                    "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, quantiles, "
                    "rationale, origin, recorded_at) "
                    "VALUES (:q, :who, :at, 0.5, :quantiles, '', 'manual', :at)"
                ),
                {"q": question.id, "who": analyst, "at": datetime(2016, 12, 1), "quantiles": "[[0.5, 50]]"},
            )
