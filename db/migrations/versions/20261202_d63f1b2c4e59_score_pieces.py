"""score pieces: each resolved question's contribution to the scores, kept for incremental rescoring

Revision ID: d63f1b2c4e59
Revises: c52e1d0a3f48
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "d63f1b2c4e59"
down_revision: str | None = "c52e1d0a3f48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_piece",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("records", sa.LargeBinary(), nullable=False),
        sa.Column("steps", sa.LargeBinary(), nullable=False),
        sa.Column("question_updated_at", db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_score_piece_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_score_piece")),
    )
    op.create_table(
        "score_state",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("scorer_version", sa.String(length=40), nullable=False),
        sa.Column("forecast_id", sa.Integer(), nullable=False),
        sa.Column("forecast_count", sa.Integer(), nullable=False),
        sa.Column("resolution_id", sa.Integer(), nullable=False),
        sa.Column("resolution_count", sa.Integer(), nullable=False),
        sa.Column("mark_id", sa.Integer(), nullable=False),
        sa.Column("mark_count", sa.Integer(), nullable=False),
        sa.Column("piece_count", sa.Integer(), nullable=False),
        sa.Column("computed_at", db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_score_state")),
    )
    op.create_table(
        "score_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_mark")),
    )


def downgrade() -> None:
    op.drop_table("score_mark")
    op.drop_table("score_state")
    op.drop_table("score_piece")
