"""Job runs record the host and process that ran them, and may be "interrupted"

A run left "running" by a process that was killed is closed as ``interrupted`` by
the next worker or ``ingest`` on the same host, once that process is gone.

Revision ID: f18b3d5a7c62
Revises: e7a2c9d4b031
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f18b3d5a7c62"
down_revision: str | None = "e7a2c9d4b031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("running", "ok", "error", "skipped")
AFTER = (*BEFORE, "interrupted")


def _ors(values: tuple[str, ...]) -> str:
    return " OR ".join(f"status = '{value}'" for value in values)


def upgrade() -> None:
    with op.batch_alter_table("job_run") as batch:
        batch.add_column(sa.Column("host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.drop_constraint(op.f("ck_job_run_status"), type_="check")
        batch.create_check_constraint("status", _ors(AFTER))


def downgrade() -> None:
    op.execute("UPDATE job_run SET status = 'error' WHERE status = 'interrupted'")
    with op.batch_alter_table("job_run") as batch:
        batch.drop_constraint(op.f("ck_job_run_status"), type_="check")
        batch.create_check_constraint("status", _ors(BEFORE))
        batch.drop_column("pid")
        batch.drop_column("host")
