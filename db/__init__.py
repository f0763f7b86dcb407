"""Storage for Summit Watch: engine and sessions, typed models, migrations.

Every process (dashboard, worker, CLI, Alembic) opens the database through
:func:`db.engine.open_database`, so SQLite pragmas and transaction rules are
the same everywhere.
"""

from db.config import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, resolve_database_url
from db.engine import Database, open_database
from db.errors import InvalidRow

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "Database",
    "InvalidRow",
    "open_database",
    "resolve_database_url",
]
