"""source kinds are declared by their modules in tracker/sources, not by a CHECK constraint

A new kind is one new module; the services check a source's kind against the
declared kinds before it is stored.

Revision ID: 7d3e9a1f5b20
Revises: 5c1e0d2b7a91
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "7d3e9a1f5b20"
down_revision: str | None = "5c1e0d2b7a91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_AT_THE_TIME = (
    "manual",
    "rss",
    "atom",
    "gdelt-doc",
    "gdelt-events",
    "manifold",
    "polymarket",
    "metaculus",
)


def upgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_constraint(op.f("ck_source_kind"), type_="check")


def downgrade() -> None:
    allowed = ", ".join(f"'{kind}'" for kind in KINDS_AT_THE_TIME)
    with op.batch_alter_table("source") as batch:
        batch.create_check_constraint("kind", f"kind IN ({allowed})")
