"""Shared fixtures: real databases only.

``database_url`` runs a test once on a fresh SQLite file and once on a fresh
database in a real PostgreSQL 15 server started for the session.
SUMMIT_TEST_BACKENDS=sqlite limits a local run to SQLite; CI runs both.
SUMMIT_TEST_POSTGRES_URL points the suite at an existing server instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy import make_url

from db import Database, open_database
from tests.postgres_cluster import postgres_cluster

# No per-example deadline: on a loaded 2-core CI machine a slow example is not a failure.
settings.register_profile("summit", deadline=None)
settings.load_profile("summit")

BACKENDS = [
    b.strip() for b in os.environ.get("SUMMIT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    existing = os.environ.get("SUMMIT_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    with postgres_cluster() as url:
        yield url


def _libpq(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database on the session's PostgreSQL server, dropped afterwards."""
    server = request.getfixturevalue("postgres_server_url")
    name = f"summit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_libpq(server), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once per backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """An open database at the newest schema, once per backend."""
    opened = open_database(database_url)
    yield opened
    opened.dispose()


@pytest.fixture
def sqlite_database(sqlite_url: str) -> Iterator[Database]:
    opened = open_database(sqlite_url)
    yield opened
    opened.dispose()


@pytest.fixture
def loopback():
    """A real HTTP server on 127.0.0.1 serving recorded fixtures."""
    from tests.loopback import loopback_server

    with loopback_server() as server:
        yield server
