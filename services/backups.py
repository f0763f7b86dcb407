"""Backups and restores of a SQLite database, with the checks a person expects first.

A restore is refused while the worker runs on the database, and over a database
holding data unless confirmed (``force``); even then the replaced database is
kept beside it. PostgreSQL has its own tools: every call says which.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from db import Database
from db import backup as storage
from db.backup import BackupError, BackupResult, ConfirmationNeeded
from db.models import Event, Forecast, Question
from services.status import worker_status

__all__ = [
    "BackupError",
    "BackupResult",
    "ConfirmationNeeded",
    "backup",
    "backup_bytes",
    "restore",
    "sqlite_file",
]


def sqlite_file(database: Database) -> Path:
    """The database's file; a PostgreSQL database is refused with the pg_dump command to use."""
    return storage.sqlite_path(database)


def backup(database: Database, target: Path, *, force: bool = False) -> BackupResult:
    """A consistent copy at ``target``, even while the worker writes; checked before it takes the name."""
    return storage.backup(database, target, force=force)


def backup_bytes(database: Database) -> bytes:
    """A backup as bytes, for a download."""
    with tempfile.TemporaryDirectory() as folder:
        return storage.backup(database, Path(folder) / "summit-watch.db").path.read_bytes()


def _holds_data(database: Database) -> bool:
    with database.read_session() as session:
        return any(
            session.scalar(select(func.count()).select_from(model)) for model in (Question, Forecast, Event)
        )


def restore(database: Database, source: Path, *, force: bool = False) -> Path | None:
    """Replace the database with the backup at ``source``; returns where the replaced one was kept."""
    sqlite_file(database)
    if worker_status(database, datetime.now(UTC)).alive:
        raise BackupError("the worker is running on this database; stop it first")
    return storage.restore(database, source, force=force, holds_data=_holds_data(database))
