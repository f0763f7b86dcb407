"""Backups of a SQLite database with SQLite's online backup API, and restoring one.

The backup API copies a consistent snapshot even while the worker writes: it
reads under one read transaction, and WAL lets writers carry on meanwhile. The
copy goes to a temporary file first and is checked (``PRAGMA integrity_check``)
before it takes the target's name, so a failed backup never leaves a half file.
PostgreSQL has its own tools; for it we say which.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from db import restore_checks
from db.engine import Database
from db.migrate import upgrade_to_head
from forecasts.errors import Refused

PG_DUMP_HINT = (
    "this database is PostgreSQL; back it up with its own tools: "
    'pg_dump --format=custom --file=summit.dump "$TRACKER_DATABASE_URL" '
    '(and pg_restore --clean --dbname="$TRACKER_DATABASE_URL" summit.dump to restore)'
)


class BackupError(Refused):
    """A backup or restore that cannot go ahead; the message says why."""


class ConfirmationNeeded(BackupError):
    """The backup or restore would replace something (a file, a database holding data): it goes
    ahead only when the user confirms (``force``)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    pages: int


def sqlite_path(database: Database) -> Path:
    url = database.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(PG_DUMP_HINT)
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def integrity(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def backup(database: Database, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the live database to ``target`` (refusing to overwrite a file unless ``force``)."""
    sqlite_path(database)
    target = target.expanduser()
    if target.exists() and not force:
        raise ConfirmationNeeded(f"{target} exists; choose another name, or confirm to overwrite it")
    if not target.parent.exists():
        raise BackupError(f"the folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    _remove_with_sidecars(partial)  # left by a backup that was killed
    try:
        pages = _copy(database, partial)
        verdict = integrity(partial)
        if verdict != "ok":
            raise BackupError(
                f"the copy failed its integrity check ({verdict}); nothing was written to {target}"
            )
        os.replace(partial, target)
    except BaseException as error:  # a full disk, a failed check, Ctrl-C: no half file stays behind
        _remove_with_sidecars(partial)
        if isinstance(error, OSError):
            reason = error.strerror or str(error)
            raise BackupError(
                f"could not write the backup to {target}: {reason}; nothing was written"
            ) from None
        raise
    return BackupResult(target, target.stat().st_size, pages)


SIDECARS = ("-wal", "-shm", "-journal")


def _remove_with_sidecars(path: Path) -> None:
    for name in (path.name, *(path.name + suffix for suffix in SIDECARS)):
        path.with_name(name).unlink(missing_ok=True)


def _copy(database: Database, partial: Path) -> int:
    """The live database copied into ``partial`` as one file: the copy is switched from WAL to a
    rollback journal, so opening it (the integrity check, a restore) leaves no -wal/-shm beside it."""
    raw = database.engine.raw_connection()
    try:
        destination = sqlite3.connect(partial)
        try:
            live = raw.driver_connection
            if not isinstance(live, sqlite3.Connection):
                raise BackupError("only a SQLite database can be copied this way")
            live.backup(destination)  # one step: one consistent snapshot
            destination.execute("PRAGMA journal_mode = DELETE")
            return int(destination.execute("PRAGMA page_count").fetchone()[0])
        finally:
            destination.close()
    finally:
        raw.close()


def _is_summit_watch(path: Path) -> bool:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    finally:
        connection.close()
    return {"alembic_version", "question", "forecast"} <= names


def restore(
    database: Database, source: Path, *, force: bool = False, holds_data: bool = False
) -> Path | None:
    """Replace the database's contents with the backup at ``source``.

    Refuses a file that is not a sound Summit Watch database, and refuses to replace
    a database that ``holds_data`` unless ``force`` — and even then keeps a copy of
    it beside itself first (returned), so a mistaken restore can be undone.
    """
    target = sqlite_path(database)
    source = source.expanduser()
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    try:
        verdict = integrity(source)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite database ({error})") from None
    if verdict != "ok":
        raise BackupError(f"{source} fails its integrity check ({verdict}); it cannot be restored")
    if not _is_summit_watch(source):
        raise BackupError(f"{source} is a SQLite file but not a Summit Watch database")
    if source.resolve() == target.resolve():
        raise BackupError("that backup is the database itself")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".restore-") as folder:
        staged = _staged(source, Path(folder) / "staged.db")
        safety = _replace(database, staged, target, force=force, holds_data=holds_data)
    database.engine.dispose()  # pooled connections may hold pages of the old file
    return safety


def _staged(source: Path, staged: Path) -> Path:
    """The backup copied aside, upgraded to the newest schema and vetted: only this copy is ever put
    in place, so a refused file leaves the database as it was."""
    try:
        restore_checks.check_revision(source)
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        copy = sqlite3.connect(staged)
        try:
            origin.backup(copy)
        finally:
            copy.close()
            origin.close()
        try:
            upgrade_to_head(f"sqlite:///{staged}")
        except Exception as error:  # a schema the migrations cannot take
            raise BackupError(
                f"{source} cannot be brought to the current schema ({error}); it cannot be restored"
            ) from None
        restore_checks.check_schema(staged)
        restore_checks.check_rows(staged)
    except restore_checks.UnsafeBackup as error:
        raise BackupError(error.message) from None
    return staged


def _replace(database: Database, staged: Path, target: Path, *, force: bool, holds_data: bool) -> Path | None:
    safety = None
    if holds_data:
        if not force:
            raise ConfirmationNeeded(
                f"the database {target} already holds data; confirm to replace it "
                "(a copy of it is kept beside it first)"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safety = backup(
            database, target.with_name(f"{target.stem}.before-restore-{stamp}{target.suffix}")
        ).path
    origin = sqlite3.connect(staged)
    raw = database.engine.raw_connection()
    try:
        live = raw.driver_connection
        if not isinstance(live, sqlite3.Connection):
            raise BackupError("only a SQLite database can be restored this way")
        origin.backup(live)
    finally:
        raw.close()
        origin.close()
    return safety
