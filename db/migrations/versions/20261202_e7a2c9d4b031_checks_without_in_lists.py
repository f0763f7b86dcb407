"""CHECK constraints on a column's allowed values written as ORs, not IN lists

SQLite 3.40 builds an ephemeral index for ``x IN ('a', 'b')`` in a CHECK each
time an INSERT statement runs, which executemany does once per row: the
forecast table's ``origin IN (…)`` alone cost 2–3 s of a million-row import.
``x = 'a' OR x = 'b'`` is checked in place (the same rows allowed).

Revision ID: e7a2c9d4b031
Revises: d63f1b2c4e59
Create Date: 2026-12-02 06:10:00
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from alembic import op

revision: str = "e7a2c9d4b031"
down_revision: str | None = "d63f1b2c4e59"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, constraint name, column, the allowed values at this revision)
CHECKS_AT_THE_TIME = (
    ("forecaster", "kind", "kind", ("person", "crowd")),
    ("question", "type", "type", ("binary", "multiple_choice")),
    ("forecast", "origin", "origin", ("manual", "import", "crowd")),
    ("reminder", "kind", "kind", ("ready_to_resolve", "stale")),
    ("resolution", "outcome", "outcome", ("yes", "no", "option", "annulled", "unresolved")),
    ("command", "kind", "kind", ("run_source",)),
    ("command", "status", "status", ("pending", "running", "done", "failed")),
    ("job_run", "status", "status", ("running", "ok", "error", "skipped")),
    ("resolution_proposal", "outcome", "outcome", ("yes", "no", "option", "annulled", "unresolved")),
    ("resolution_proposal", "status", "status", ("pending", "accepted", "dismissed")),
    ("event_question", "origin", "origin", ("source", "rule", "manual", "cited")),
)


def _ors(column: str, values: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = '{value}'" for value in values)


def _in_list(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def _rewrite(as_text: Callable[[str, tuple[str, ...]], str]) -> None:
    tables = sorted({table for table, *_ in CHECKS_AT_THE_TIME})
    for table in tables:
        with op.batch_alter_table(table) as batch:
            for name_table, name, column, values in CHECKS_AT_THE_TIME:
                if name_table == table:
                    batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
                    batch.create_check_constraint(name, as_text(column, values))


def upgrade() -> None:
    _rewrite(_ors)


def downgrade() -> None:
    _rewrite(_in_list)
