"""The worker status the dashboard shows, from the heartbeat row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db import Database
from db.models import Heartbeat
from services.status import worker_status

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def beat(database: Database, seconds_ago: int, state: str = "running") -> None:
    with database.write_session() as session:
        session.merge(
            Heartbeat(
                worker="scheduler",
                pid=42,
                hostname="h",
                started_at=NOW - timedelta(hours=1),
                beat_at=NOW - timedelta(seconds=seconds_ago),
                state=state,
            )
        )


def test_never_started(database: Database) -> None:
    status = worker_status(database, NOW)
    assert not status.alive
    assert "never started" in status.describe(NOW)


def test_alive_silent_and_stopped(database: Database) -> None:
    beat(database, 20)
    assert worker_status(database, NOW).describe(NOW) == "Worker running (pid 42), last heartbeat 20 s ago."
    beat(database, 600)
    status = worker_status(database, NOW)
    assert (status.alive, status.state) == (False, "silent")
    assert "silent for 10 min" in status.describe(NOW)
    beat(database, 120, "stopped")
    assert "stopped 2 min ago" in worker_status(database, NOW).describe(NOW)
