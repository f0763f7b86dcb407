"""Import receipts, and a change counter that lets a re-import of an unchanged file be skipped

``import_receipt`` remembers each file imported without a skipped row and the
database's state just after; on SQLite, triggers count every update and delete of
the tables an import reads (``change_counter``), so that state moves whenever
anything an import depends on changes (see ``db.changes``).

Revision ID: a2d4f6b8c0e1
Revises: f18b3d5a7c62
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "a2d4f6b8c0e1"
down_revision: str | None = "f18b3d5a7c62"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As db.changes had them at this revision (a test compares a migrated file with it).
TRACKED_TABLES = (
    "forecaster",
    "question",
    "question_tag",
    "forecast",
    "forecast_event",
    "resolution",
    "source",
    "event",
    "event_tag",
    "event_question",
    "event_unlink",
    "event_revision",
)
TRACKED_COLUMNS = {"source": ("name",)}
BUMP = "BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END"


def _triggers() -> list[tuple[str, str]]:
    triggers = []
    for table in TRACKED_TABLES:
        columns = TRACKED_COLUMNS.get(table)
        of = f" OF {', '.join(columns)}" if columns else ""
        for action, event_sql in (("update", f"UPDATE{of}"), ("delete", "DELETE")):
            name = f"change_counter_{table}_{action}"
            triggers.append((name, f"CREATE TRIGGER {name} AFTER {event_sql} ON {table} {BUMP}"))
    return triggers


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_counter")),
    )
    op.execute("INSERT INTO change_counter (id, changes) VALUES (1, 0)")
    op.create_table(
        "import_receipt",
        sa.Column("file_key", sa.String(64), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("database_state", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("file_key", name=op.f("pk_import_receipt")),
    )
    op.create_index(op.f("ix_import_receipt_file_size"), "import_receipt", ["file_size"])
    if op.get_bind().dialect.name == "sqlite":
        for _, statement in _triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, _ in _triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f("ix_import_receipt_file_size"), table_name="import_receipt")
    op.drop_table("import_receipt")
    op.drop_table("change_counter")
