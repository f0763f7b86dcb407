"""Storage for Summit Watch: engine and sessions, typed models, migrations.

Every process (dashboard, worker, CLI, Alembic) opens the database through
:func:`db.migrate.open_database`, so SQLite pragmas and transaction rules are
the same everywhere.
"""

from db.config import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, resolve_database_url
from db.engine import Database
from db.errors import InvalidRow
from db.migrate import open_database

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "Database",
    "InvalidRow",
    "open_database",
    "resolve_database_url",
]
