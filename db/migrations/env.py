"""Alembic environment: the app's own engine factory, batch mode, one lock at a time."""

from __future__ import annotations

from alembic import context

from db.config import resolve_database_url
from db.engine import migration_engine
from db.models import Base
from db.search import SEARCH_COLUMNS, SEARCH_INDEXES, is_search_table

config = context.config
target_metadata = Base.metadata


def _include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave the search index to its migration: autogenerate knows no FTS5 tables, generated
    tsvector columns or expression indexes, and would report them as drift."""
    if name is None:
        return True
    if type_ == "table":
        return not is_search_table(name)
    if type_ == "column":
        return name not in SEARCH_COLUMNS
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


def _url() -> str:
    return resolve_database_url(config.get_main_option("sqlalchemy.url") or None)


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = migration_engine(_url())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # Batch mode rebuilds tables on SQLite (which cannot ALTER much); a no-op elsewhere.
                render_as_batch=True,
                compare_type=True,
                include_object=_include_object,
                # Alembic commits after each migration on SQLite by default, which lets a second
                # process read a half-done upgrade between them; SQLite's DDL is transactional,
                # so the whole upgrade is one BEGIN IMMEDIATE transaction instead.
                transactional_ddl=True,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Two processes starting together upgrade one after the other.
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(20161215)")
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
