"""SQLite is set up so the worker and the dashboard never fail with "database is locked"."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from db import Database, resolve_database_url
from db.models import Forecaster


def test_every_connection_gets_the_pragmas(sqlite_database: Database) -> None:
    with sqlite_database.read_session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_foreign_keys_are_enforced(sqlite_database: Database) -> None:
    with sqlite_database.write_session() as session:
        session.execute(
            text(
                "INSERT INTO forecaster (name, kind, description, created_at) VALUES ('a', 'person', '', :t)"
            ),
            {"t": datetime(2016, 1, 1)},
        )
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), sqlite_database.write_session() as session:
        session.execute(
            text(
                "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, rationale, origin, "
                "recorded_at) VALUES (999, 1, :t, 0.5, '', 'manual', :t)"
            ),
            {"t": datetime(2016, 1, 1)},
        )


def test_read_then_write_waits_for_a_concurrent_writer(sqlite_database: Database) -> None:
    """A deferred read-then-write transaction fails at once when another writer commits in
    between; write sessions BEGIN IMMEDIATE, so the second writer waits its turn instead."""
    first_has_lock = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with sqlite_database.write_session() as session:
                session.add(Forecaster(name="worker"))
                session.flush()
                first_has_lock.set()
                time.sleep(1.0)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert first_has_lock.wait(5)
    with sqlite_database.write_session() as session:
        count = session.scalar(select(func.count()).select_from(Forecaster))
        session.add(Forecaster(name=f"dashboard-{count}"))
    thread.join()
    assert errors == []
    with sqlite_database.read_session() as session:
        names = sorted(session.scalars(select(Forecaster.name)))
    # The dashboard's transaction started after the worker's committed, so it saw one row.
    assert names == ["dashboard-1", "worker"]


def test_reads_do_not_wait_for_writers(sqlite_database: Database) -> None:
    with sqlite_database.write_session() as session:
        session.add(Forecaster(name="worker"))
        session.flush()
        started = time.monotonic()
        with sqlite_database.read_session() as reader:
            assert reader.scalar(select(func.count()).select_from(Forecaster)) == 0
        assert time.monotonic() - started < 1.0


def test_database_url_precedence(monkeypatch) -> None:
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    assert resolve_database_url() == "sqlite:///data/tracker.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/summit")
    assert resolve_database_url() == "postgresql+psycopg://u@127.0.0.1/summit"
    assert resolve_database_url("other.db") == "sqlite:///other.db"
    assert datetime.now(UTC).tzinfo is UTC
