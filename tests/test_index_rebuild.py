"""A load bigger than the forecast table builds its plain indexes once, after the rows, on SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text

from db import Database
from db.bulk import FORECAST_TABLE, indexes_rebuilt_after
from db.engine import connect

PLAIN_INDEXES = {"ix_forecast_forecaster_id", "ix_forecast_question_made_at"}
INSERT_FORECAST = (
    "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, rationale, origin, recorded_at)"
    " VALUES (1, 1, :made_at, 0.5, '', 'import', :made_at)"
)


def _indexes(connection: Connection | sqlite3.Connection) -> dict[str, str]:
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'forecast'"
    rows = connection.execute(text(query) if isinstance(connection, Connection) else query)
    return {name: sql for name, sql in rows if sql is not None}  # autoindexes (the unique one) have no SQL


def _forecasts(connection: Connection, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        connection.execute(text(INSERT_FORECAST), {"made_at": f"2016-12-{1 + i:02d} 00:00:00.000000"})


@pytest.fixture
def with_question(sqlite_url: str) -> Iterator[Database]:
    database = connect(sqlite_url)
    with database.write_session() as session:
        session.execute(
            text(
                "INSERT INTO forecaster (id, name, kind, description, created_at) "
                "VALUES (1, 'analyst', 'person', '', '2016-12-01 00:00:00.000000')"
            )
        )
        session.execute(
            text(
                "INSERT INTO question (id, uid, title, description, resolution_criteria, type, created_at,"
                " updated_at, opens_at) VALUES (1, 'q', 'Will it?', '', '', 'binary', :t, :t, :t)"
            ),
            {"t": "2016-12-01 00:00:00.000000"},
        )
    yield database
    database.dispose()


def test_the_indexes_come_back_exactly_and_others_never_lose_them(with_question: Database) -> None:
    before = _indexes(sqlite3.connect(with_question.engine.url.database or ""))
    assert set(before) >= PLAIN_INDEXES
    with with_question.write_session() as session:
        connection = session.connection()
        with indexes_rebuilt_after(connection, FORECAST_TABLE, 3, at_least=1):
            assert not PLAIN_INDEXES & set(_indexes(connection))  # dropped for the load
            other = sqlite3.connect(with_question.engine.url.database or "")
            assert _indexes(other) == before  # another connection still has them
            _forecasts(connection, 3)
        assert _indexes(connection) == before
    assert _indexes(sqlite3.connect(with_question.engine.url.database or "")) == before
    with with_question.read_session() as session:
        plan = session.execute(
            text("EXPLAIN QUERY PLAN SELECT * FROM forecast WHERE question_id = 1 ORDER BY made_at")
        ).all()
    assert "ix_forecast_question_made_at" in str(plan)


def test_a_failed_load_gets_its_indexes_back_with_the_rollback(with_question: Database) -> None:
    before = _indexes(sqlite3.connect(with_question.engine.url.database or ""))
    with pytest.raises(RuntimeError), with_question.write_session() as session:
        with indexes_rebuilt_after(session.connection(), FORECAST_TABLE, 3, at_least=1):
            _forecasts(session.connection(), 3)
            raise RuntimeError("a row broke a rule")
    with with_question.read_session() as session:
        assert _indexes(session.connection()) == before
        assert session.execute(text("SELECT count(*) FROM forecast")).scalar() == 0


@pytest.mark.parametrize(
    ("stored", "incoming", "at_least", "dropped"),
    [
        (0, 3, 1, True),  # a first import
        (5, 3, 1, False),  # the table holds more than is coming: inserting into the indexes is cheaper
        (0, 3, 4, False),  # a small load
    ],
)
def test_only_a_load_bigger_than_the_table_rebuilds(
    with_question: Database, stored: int, incoming: int, at_least: int, dropped: bool
) -> None:
    with with_question.write_session() as session:
        connection = session.connection()
        _forecasts(connection, stored)
        with indexes_rebuilt_after(connection, FORECAST_TABLE, incoming, at_least=at_least):
            assert bool(PLAIN_INDEXES - set(_indexes(connection))) == dropped
            _forecasts(connection, incoming, first=stored)


def test_postgresql_keeps_its_indexes(postgresql_url: str) -> None:
    """Dropping an index there locks the table against every reader until the commit."""
    database = connect(postgresql_url)
    query = text("SELECT indexname FROM pg_indexes WHERE tablename = 'forecast'")
    with database.write_session() as session:
        with indexes_rebuilt_after(session.connection(), FORECAST_TABLE, 10**6, at_least=1):
            assert set(session.execute(query).scalars()) >= PLAIN_INDEXES
    database.dispose()
