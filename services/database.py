"""Opening the database for a front end, with a refusal that names it safely."""

from __future__ import annotations

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from db import Database, resolve_database_url
from db import open_database as _open_upgraded
from db.migrate import current_revision, head_revision
from forecasts.errors import Refused


class DatabaseUnavailable(Refused):
    """The database cannot be opened; ``shown_url`` names it without its password."""

    def __init__(self, shown_url: str, reason: str) -> None:
        super().__init__(f"cannot open the database {shown_url}: {reason}")
        self.shown_url = shown_url


def shown_url(url: str) -> str:
    return make_url(resolve_database_url(url)).render_as_string(hide_password=True)


def open_database(url: str | None = None) -> Database:
    """The database at ``url`` (else the configured one), created or upgraded to the newest schema."""
    resolved = resolve_database_url(url)
    try:
        return _open_upgraded(resolved)
    except OperationalError as error:
        raise DatabaseUnavailable(shown_url(resolved), str(error.orig)) from error


def describe(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


def schema_revisions(database: Database) -> tuple[str | None, str]:
    """The schema revision the database is at, and the newest this code knows."""
    return current_revision(database.url), head_revision()
