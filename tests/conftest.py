"""Shared fixtures: real databases only, migrated once per session and copied per test.

``database_url`` runs a test once on SQLite and once on a real PostgreSQL 15
server started for the session. Each backend's schema is built once, by the
Alembic migrations, into a template; every test gets its own copy of it (a file
copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), which takes
milliseconds instead of a full upgrade. ``empty_url`` is a database with no
schema at all, for the migration tests.

SUMMIT_TEST_BACKENDS=sqlite limits a local run to SQLite; CI runs both.
SUMMIT_TEST_POSTGRES_URL points the suite at an existing server instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy import make_url

from db import Database, open_database
from db.engine import connect
from tests.postgres_cluster import postgres_cluster

# No per-example deadline: on a loaded 2-core CI machine a slow example is not a failure.
settings.register_profile("summit", deadline=None)
settings.load_profile("summit")

BACKENDS = [
    b.strip() for b in os.environ.get("SUMMIT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _create_database(server: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(_libpq(server), autocommit=True) as connection:
        clause = f' TEMPLATE "{template}"' if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{clause}')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop_database(server: str, name: str) -> None:
    with psycopg.connect(_libpq(server), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- servers and templates (once per session) -------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    existing = os.environ.get("SUMMIT_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    with postgres_cluster() as url:
        yield url


@pytest.fixture(scope="session")
def postgresql_template(postgres_server_url: str) -> Iterator[str]:
    """A database at the newest schema that every PostgreSQL test database is copied from."""
    name = f"summit_template_{uuid.uuid4().hex[:8]}"
    open_database(_create_database(postgres_server_url, name)).dispose()
    yield name
    _drop_database(postgres_server_url, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest schema; disposing the engine checkpoints it into one file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    open_database(f"sqlite:///{path}").dispose()
    return path


# --- one database per test ----------------------------------------------------------------------


@pytest.fixture
def postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new database at the newest schema on the session's PostgreSQL server, dropped afterwards."""
    server = request.getfixturevalue("postgres_server_url")
    template = request.getfixturevalue("postgresql_template")
    name = f"summit_test_{uuid.uuid4().hex[:12]}"
    yield _create_database(server, name, template)
    _drop_database(server, name)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new SQLite file at the newest schema."""
    path = tmp_path / "tracker.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A database at the newest schema, once per backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The open database, once per backend."""
    opened = connect(database_url)
    yield opened
    opened.dispose()


@pytest.fixture
def sqlite_database(sqlite_url: str) -> Iterator[Database]:
    opened = connect(sqlite_url)
    yield opened
    opened.dispose()


@pytest.fixture
def empty_postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    server = request.getfixturevalue("postgres_server_url")
    name = f"summit_empty_{uuid.uuid4().hex[:12]}"
    yield _create_database(server, name)
    _drop_database(server, name)


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest) -> str:
    """A database with no schema at all, once per backend: for the migration tests."""
    return str(request.getfixturevalue(f"empty_{request.param}_url"))


@pytest.fixture
def loopback():
    """A real HTTP server on 127.0.0.1 serving recorded fixtures."""
    from tests.loopback import loopback_server

    with loopback_server() as server:
        yield server
