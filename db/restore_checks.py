"""What a file must pass before it replaces the database: a backup is data, and a crafted one must
not become code or hide rows.

The file is copied and upgraded to the newest schema first (an older backup is fine), then its
schema is compared with a fresh database's — the same tables with the same columns, and no extra
trigger, view, table or index (a trigger could delete every resolution on the next import; a view
could hide them) — and its rows must pass the foreign keys, the CHECK constraints and the row
rules (:mod:`db.rules`) that every write passes.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import CheckConstraint, select

from db.engine import connect
from db.errors import InvalidRow
from db.migrate import head_revision, known_revisions, upgrade_to_head
from db.models import Base, Forecast, Forecaster, Question, Resolution
from db.rules import check_forecast, check_forecaster, check_question, check_resolution
from forecasts.errors import Refused

SHOWN_PROBLEMS = 5


class UnsafeBackup(Refused):
    """The file is not one a restore may put in place; the message says what is wrong."""


@dataclass(frozen=True)
class Schema:
    objects: frozenset[tuple[str, str]]  # (type, name): tables, indexes, triggers, views
    columns: frozenset[tuple[str, str, str, int, int]]  # table, column, type, not null, primary key
    code: frozenset[tuple[str, str]]  # triggers and views: (name, their SQL)


@contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield connection
    finally:
        connection.close()


def schema_of(path: Path) -> Schema:
    with _reading(path) as connection:
        rows = connection.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        master = [(str(kind), str(name), sql or "") for kind, name, sql in rows]
        columns = {
            (table, str(c[1]), str(c[2]).upper(), int(c[3]), int(c[5]))
            for kind, table, _ in master
            if kind == "table"
            for c in connection.execute(f'PRAGMA table_info("{table}")')  # names from sqlite_master
        }
    objects = frozenset((kind, name) for kind, name, _ in master)
    code = frozenset(
        (name, " ".join(sql.split())) for kind, name, sql in master if kind in ("trigger", "view")
    )
    return Schema(objects, frozenset(columns), code)


@cache
def fresh_schema() -> Schema:
    """The schema a new database gets, built once per process."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fresh.db"
        upgrade_to_head(f"sqlite:///{path}")
        return schema_of(path)


def check_revision(path: Path) -> None:
    """A backup from a newer Summit Watch is refused before anything is copied."""
    with _reading(path) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone() or (None,)
    if revision is not None and revision not in known_revisions():
        raise UnsafeBackup(
            f"{path} is from a newer Summit Watch (schema revision {revision}); this one reads up to "
            f"revision {head_revision()}: update Summit Watch to restore it"
        )


def check_schema(path: Path) -> None:
    found, fresh = schema_of(path), fresh_schema()
    fresh_code = dict(fresh.code)
    differences = [
        *(f"an extra {kind} {name!r}" for kind, name in sorted(found.objects - fresh.objects)),
        *(f"no {kind} {name!r}" for kind, name in sorted(fresh.objects - found.objects)),
        *(f"a changed {name!r}" for name, sql in sorted(found.code) if fresh_code.get(name, sql) != sql),
        *(f"column {table}.{column} differs" for table, column, *_ in sorted(found.columns ^ fresh.columns)),
    ]
    if differences:
        shown = "; ".join(_first(differences))
        raise UnsafeBackup(f"{path} does not have Summit Watch's schema ({shown}); it cannot be restored")


def check_rows(path: Path) -> None:
    """Foreign keys, CHECK constraints and the row rules, over every row of the (upgraded) copy."""
    problems = [*_foreign_key_problems(path), *_check_constraint_problems(path)]
    if not problems:
        problems = list(_row_rule_problems(path))
    if problems:
        raise UnsafeBackup(f"{path} holds rows Summit Watch would never write: {'; '.join(_first(problems))}")


def _first(problems: list[str]) -> list[str]:
    more = len(problems) - SHOWN_PROBLEMS
    return problems[:SHOWN_PROBLEMS] + ([f"and {more} more"] if more > 0 else [])


def _foreign_key_problems(path: Path) -> Iterator[str]:
    with _reading(path) as connection:
        for table, rowid, parent, _ in connection.execute("PRAGMA foreign_key_check"):
            yield f"{table} row {rowid} refers to a missing {parent}"


def _check_constraint_problems(path: Path) -> Iterator[str]:
    checks = [
        (table.name, str(constraint.sqltext))
        for table in Base.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    ]
    with _reading(path) as connection:
        for table, rule in checks:
            sql = f'SELECT count(*) FROM "{table}" WHERE NOT ({rule})'  # our own schema's text
            (broken,) = connection.execute(sql).fetchone()
            if broken:
                yield f"{broken} {table} row(s) break {rule}"


def _row_rule_problems(path: Path) -> Iterator[str]:
    database = connect(f"sqlite:///{path}")
    try:
        with database.read_session() as session:
            questions = {q.id: q for q in session.scalars(select(Question))}
            for question in questions.values():
                yield from _broken(f"question {question.id}", check_question, question)
            for forecaster in session.scalars(select(Forecaster)):
                yield from _broken(f"forecaster {forecaster.id}", check_forecaster, forecaster)
            for resolution in session.scalars(select(Resolution)):
                yield from _broken(
                    f"resolution {resolution.id}",
                    check_resolution,
                    resolution,
                    questions[resolution.question_id],
                )
            for forecast in session.scalars(select(Forecast).execution_options(yield_per=20_000)):
                yield from _broken(
                    f"forecast {forecast.id}", check_forecast, forecast, questions[forecast.question_id]
                )
    finally:
        database.dispose()


def _broken(where: str, check: Callable[..., None], *rows: Any) -> Iterator[str]:
    try:
        check(*rows)
    except InvalidRow as error:
        yield f"{where}: {error}"
