"""Opening the database for a front end, with a refusal that names it safely."""

from __future__ import annotations

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from db import Database, resolve_database_url
from db import open_database as _open_upgraded
from db.errors import storage_failures
from db.migrate import current_revision, head_revision
from forecasts.errors import Refused


class DatabaseUnavailable(Refused):
    """The database cannot be opened; ``shown_url`` names it without its password."""

    def __init__(self, shown_url: str, reason: str) -> None:
        one_line = " ".join(reason.split()).rstrip(".")  # drivers' messages run over several lines
        super().__init__(f"cannot open the database {shown_url}: {one_line}")
        self.shown_url = shown_url


def shown_url(url: str) -> str:
    return make_url(resolve_database_url(url)).render_as_string(hide_password=True)


SUPPORTED = "sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/name"


def _check_url(resolved: str) -> None:
    """A URL of a database Summit Watch stores in, with the driver it ships: else one line."""
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        raise DatabaseUnavailable(resolved, f"not a database URL; use {SUPPORTED}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(shown_url(resolved), f"{backend} is not supported; use {SUPPORTED}")
    if backend == "postgresql" and driver != "psycopg":
        raise DatabaseUnavailable(
            shown_url(resolved), f"the {driver} driver is not installed; write postgresql+psycopg://…"
        )


def open_database(url: str | None = None) -> Database:
    """The database at ``url`` (else the configured one), created or upgraded to the newest schema."""
    resolved = resolve_database_url(url)
    _check_url(resolved)
    try:
        with storage_failures(shown_url(resolved)):  # a read-only, full or damaged store
            return _open_upgraded(resolved)
    except OperationalError as error:  # any other reason it cannot be opened
        raise DatabaseUnavailable(shown_url(resolved), str(error.orig)) from error


def describe(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


def schema_revisions(database: Database) -> tuple[str | None, str]:
    """The schema revision the database is at, and the newest this code knows."""
    return current_revision(database.url), head_revision()
