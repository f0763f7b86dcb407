"""score snapshots, and question.updated_at so they know when a question changed

Revision ID: 5c1e0d2b7a91
Revises: 44497d00ef91
Create Date: 2026-11-30 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "5c1e0d2b7a91"
down_revision: str | None = "44497d00ef91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_snapshot",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("inputs_version", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("computed_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("compute_seconds", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_score_snapshot")),
    )
    # Existing questions: last updated when they were created. Added nullable, filled, then tightened.
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", db.types.UTCDateTime(), nullable=True))
    op.execute("UPDATE question SET updated_at = created_at")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=db.types.UTCDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    op.drop_table("score_snapshot")
