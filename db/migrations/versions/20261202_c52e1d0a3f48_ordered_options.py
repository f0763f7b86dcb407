"""multiple-choice questions can say their options are in order (for the ranked probability score)

Revision ID: c52e1d0a3f48
Revises: b41f0c9e2d17
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c52e1d0a3f48"
down_revision: str | None = "b41f0c9e2d17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.add_column(
            sa.Column("options_ordered", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.drop_column("options_ordered")
