"""Alembic environment: the app's own engine factory, batch mode, one lock at a time."""

from __future__ import annotations

from alembic import context

from db.config import resolve_database_url
from db.engine import migration_engine
from db.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return resolve_database_url(config.get_main_option("sqlalchemy.url") or None)


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
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
