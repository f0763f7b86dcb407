"""One engine and session factory for every process.

On SQLite each connection gets WAL, foreign keys and a busy timeout, and write
sessions start with ``BEGIN IMMEDIATE``. A deferred transaction that reads
first and writes later cannot wait out another writer (it fails at once with
"database is locked"); an immediate one takes the write lock up front and
waits for it. Read sessions stay deferred so the dashboard never queues
behind an ingest. On PostgreSQL none of this applies and the same code runs.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

import db.rules  # noqa: F401  (registers the before-flush row rules)
from db.config import ensure_sqlite_parent, resolve_database_url
from db.errors import storage_failures
from forecasts.search_text import fold_case

# How long a SQLite writer waits for the lock before giving up. Ingest batches
# are short, so 30 s means "never" in practice while still surfacing a deadlock.
SQLITE_BUSY_TIMEOUT_MS = 30_000
BEGIN_MODE_OPTION = "summit_sqlite_begin"


def make_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite URLs get the pragmas and BEGIN handling."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    ensure_sqlite_parent(url)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy emits BEGIN itself (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # What short Chinese or Japanese search terms compare (db.search); PostgreSQL has it in SQL.
        dbapi_connection.create_function("summit_fold_case", 1, _fold_case_or_null, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _fold_case_or_null(value: str | None) -> str | None:
    return None if value is None else fold_case(value)


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent, so usually already done).

    The switch needs an exclusive lock and SQLite reports "database is locked"
    at once, without the busy handler, when another process holds any lock;
    that happens when the dashboard and the worker open a new file together.
    So retry for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass(frozen=True)
class Database:
    """The open database: an engine plus read and write session factories."""

    url: str
    engine: Engine
    _read_sessions: sessionmaker[Session]
    _write_sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading; it never takes SQLite's write lock."""
        with self._storage_failures(), self._read_sessions() as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on error."""
        with self._storage_failures(), self._write_sessions.begin() as session:
            yield session

    def _storage_failures(self) -> AbstractContextManager[None]:
        return storage_failures(self.engine.url.render_as_string(hide_password=True))

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str | None = None, **engine_kwargs: Any) -> Database:
    """Open the database at ``url`` (or the configured one) without migrating it."""
    resolved = resolve_database_url(url)
    engine = make_engine(resolved, **engine_kwargs)
    write_engine = engine.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
    return Database(
        url=resolved,
        engine=engine,
        _read_sessions=sessionmaker(engine, expire_on_commit=False),
        _write_sessions=sessionmaker(write_engine, expire_on_commit=False),
    )


def migration_engine(url: str) -> Engine:
    """An engine for Alembic: foreign keys off (batch table rebuilds drop tables), no pool,
    and IMMEDIATE transactions so two processes upgrading at once take turns."""
    engine = make_engine(url, foreign_keys=False, poolclass=NullPool)
    return engine.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})
