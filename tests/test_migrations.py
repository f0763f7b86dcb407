"""Alembic migrations: from nothing to head, with data on board, and no drift from the models."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from db.engine import connect
from db.migrate import (
    PROJECT_ROOT,
    alembic_config,
    check_models_match_migrations,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from db.models import Base, Forecast, Forecaster, Question, Resolution

FIRST_REVISION = "a850775d7eb3"


def test_first_revision_is_the_oldest() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_base() == FIRST_REVISION


def test_upgrade_empty_database_to_head(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    upgrade_to_head(empty_url)
    assert current_revision(empty_url) == head_revision()
    database = connect(empty_url)
    tables = set(inspect(database.engine).get_table_names())
    database.dispose()
    assert set(Base.metadata.tables) <= tables


def test_upgrade_twice_changes_nothing(empty_url: str) -> None:
    upgrade_to_head(empty_url)
    upgrade_to_head(empty_url)
    assert current_revision(empty_url) == head_revision()


def test_models_and_migrations_do_not_drift(empty_url: str) -> None:
    """The same check as `alembic check` in CI: autogenerate finds nothing to do."""
    upgrade_to_head(empty_url)
    check_models_match_migrations(empty_url)


def test_downgrade_to_base_and_back(empty_url: str) -> None:
    upgrade_to_head(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    database = connect(empty_url)
    leftover = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
    database.dispose()
    assert leftover == set()
    upgrade_to_head(empty_url)
    assert current_revision(empty_url) == head_revision()


def test_upgrade_keeps_rows_written_under_the_first_schema(empty_url: str) -> None:
    """Rows stored by the oldest schema survive every later migration unchanged."""
    command.upgrade(alembic_config(empty_url), FIRST_REVISION)
    database = connect(empty_url)
    at = datetime(2016, 12, 15, 6, 0)  # naive UTC, as the first schema stores it
    with database.write_session() as session:
        session.execute(
            text(
                "INSERT INTO forecaster (id, name, kind, description, created_at) "
                "VALUES (1, 'analyst', 'person', '', :at)"
            ),
            {"at": at},
        )
        session.execute(
            text(
                "INSERT INTO question (id, uid, title, description, resolution_criteria, type, options, "
                "created_at, opens_at, closes_at, resolve_by) VALUES (1, 'q1', 'Treaty by 2016?', '', '', "
                "'binary', NULL, :at, :at, NULL, NULL)"
            ),
            {"at": at},
        )
        session.execute(
            text(
                "INSERT INTO forecast (id, question_id, forecaster_id, made_at, probability, "
                "option_probabilities, rationale, origin, recorded_at) "
                "VALUES (1, 1, 1, :at, 0.07, NULL, 'gradual', 'manual', :at)"
            ),
            {"at": at},
        )
        session.execute(
            text(
                "INSERT INTO resolution (id, question_id, outcome, option, resolved_at, recorded_at, "
                "note, source) VALUES (1, 1, 'no', NULL, :at, :at, '', 'manual')"
            ),
            {"at": at},
        )
    database.dispose()

    upgrade_to_head(empty_url)

    database = connect(empty_url)
    with database.read_session() as session:
        question = session.scalars(select(Question)).one()
        assert question.title == "Treaty by 2016?"
        assert question.opens_at.isoformat() == "2016-12-15T06:00:00+00:00"
        assert session.scalars(select(Forecast.probability)).one() == 0.07
        assert session.scalars(select(Resolution.outcome)).one() == "no"
    database.dispose()


def test_processes_upgrading_at_once_all_succeed(empty_url: str) -> None:
    """The dashboard, the worker and the CLI may start together on a new file; none may fail."""
    script = "import sys; from db.migrate import upgrade_to_head; upgrade_to_head(sys.argv[1])"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, empty_url],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert current_revision(empty_url) == head_revision()


def test_allowed_values_are_checked_without_in_lists(empty_url: str) -> None:
    """At head every CHECK of allowed values is a chain of ORs (SQLite rebuilds an IN list's index
    per inserted row) and still refuses a value outside them."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    upgrade_to_head(empty_url)
    database = connect(empty_url)
    with database.read_session() as session:
        checks = {
            (table, check["name"]): check["sqltext"]
            for table in inspect(session.connection()).get_table_names()
            for check in inspect(session.connection()).get_check_constraints(table)
        }
    assert checks[("forecast", "ck_forecast_origin")].count(" OR ") == 2
    assert not [name for name, sql in checks.items() if " IN (" in sql.upper()]
    with pytest.raises(IntegrityError), database.write_session() as session:
        session.execute(
            text(
                "INSERT INTO forecaster (id, name, kind, description, created_at) "
                "VALUES (1, 'analyst', 'robot', '', '2016-12-15 06:00:00')"
            )
        )
    database.dispose()


def test_a_downgrade_past_numeric_questions_takes_only_them(empty_url: str) -> None:
    """The schema before numeric questions cannot hold them: they go with their forecasts and
    resolutions, and everything else stays."""
    upgrade_to_head(empty_url)
    database = connect(empty_url)
    at = datetime(2016, 12, 15, 6, 0, tzinfo=UTC)
    with database.write_session() as session:
        analyst = Forecaster(name="analyst")
        treaty = Question(title="Treaty by 2016?", opens_at=at)
        brent = Question(
            title="Brent on 2016-12-30", type="numeric", range_lower=20.0, range_upper=120.0, opens_at=at
        )
        session.add_all([analyst, treaty, brent])
        session.add(Forecast(question=treaty, forecaster=analyst, made_at=at, probability=0.07))
        session.add(
            Forecast(
                question=brent, forecaster=analyst, made_at=at, quantiles=[[0.05, 44], [0.5, 53], [0.95, 62]]
            )
        )
        session.add(Resolution(question=brent, outcome="value", value=56.82, resolved_at=at))
    database.dispose()

    command.downgrade(alembic_config(empty_url), "a2d4f6b8c0e1")
    database = connect(empty_url)
    with database.read_session() as session:
        assert session.execute(text("SELECT title FROM question")).scalars().all() == ["Treaty by 2016?"]
        assert session.execute(text("SELECT probability FROM forecast")).scalars().all() == [0.07]
        assert session.execute(text("SELECT count(*) FROM resolution")).scalar_one() == 0
    database.dispose()
    upgrade_to_head(empty_url)
