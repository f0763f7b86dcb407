"""Storage for Summit Watch: engine and sessions, typed models, migrations.

Every process (dashboard, worker, CLI, Alembic) opens the database through
:func:`db.migrate.open_database`, so SQLite pragmas and transaction rules are
the same everywhere.
"""

from typing import TYPE_CHECKING, Any

from db.config import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, resolve_database_url

if TYPE_CHECKING:
    from db.engine import Database
    from db.errors import InvalidRow
    from db.migrate import open_database

# Imported on first use: SQLAlchemy and Alembic take most of a second to import, and a process that
# only reads the database URL (the command line before it knows the command) should not wait for them.
_LAZY = {"Database": "db.engine", "InvalidRow": "db.errors", "open_database": "db.migrate"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'db' has no attribute {name!r}")


__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "Database",
    "InvalidRow",
    "open_database",
    "resolve_database_url",
]
