"""tracker: sources state, revisions, lease, commands, reminders, proposals

Revision ID: 44497d00ef91
Revises: a850775d7eb3
Create Date: 2026-11-30 21:34:58.802506
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "44497d00ef91"
down_revision: str | None = "a850775d7eb3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "worker_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_lease")),
    )
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("raised_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("cleared_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('ready_to_resolve', 'stale')", name=op.f("ck_reminder_kind")),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_reminder_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
        sa.UniqueConstraint("question_id", "kind", name=op.f("uq_reminder_question_id_kind")),
    )
    op.create_table(
        "command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('run_source')", name=op.f("ck_command_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')", name=op.f("ck_command_status")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_command_source_id_source"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command")),
    )
    with op.batch_alter_table("command", schema=None) as batch_op:
        batch_op.create_index("ix_command_status_requested_at", ["status", "requested_at"], unique=False)

    op.create_table(
        "resolution_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("option", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("proposed_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('yes', 'no', 'option', 'annulled', 'unresolved')",
            name=op.f("ck_resolution_proposal_outcome"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'dismissed')", name=op.f("ck_resolution_proposal_status")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_resolution_proposal_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_resolution_proposal_source_id_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_proposal")),
        sa.UniqueConstraint(
            "question_id",
            "source_id",
            "outcome",
            name=op.f("uq_resolution_proposal_question_id_source_id_outcome"),
        ),
    )
    op.create_table(
        "event_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_revision_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_revision")),
    )
    with op.batch_alter_table("event_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_revision_event_id"), ["event_id"], unique=False)

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("occurred_at_estimated", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))

    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_rule", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("body_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("next_run_at", db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("backoff_until", db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_column("backoff_until")
        batch_op.drop_column("next_run_at")
        batch_op.drop_column("body_hash")
        batch_op.drop_column("match_rule")

    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_column("notes")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("occurred_at_estimated")

    with op.batch_alter_table("event_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_revision_event_id"))

    op.drop_table("event_revision")
    op.drop_table("resolution_proposal")
    with op.batch_alter_table("command", schema=None) as batch_op:
        batch_op.drop_index("ix_command_status_requested_at")

    op.drop_table("command")
    op.drop_table("reminder")
    op.drop_table("worker_lease")
