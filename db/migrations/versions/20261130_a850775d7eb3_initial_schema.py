"""initial schema

Revision ID: a850775d7eb3
Revises: (none, first migration)
Create Date: 2026-11-30 20:51:39.894383
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "a850775d7eb3"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "app_setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_setting")),
    )
    op.create_table(
        "forecaster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('person', 'crowd')", name=op.f("ck_forecaster_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecaster")),
        sa.UniqueConstraint("name", name=op.f("uq_forecaster_name")),
    )
    op.create_table(
        "heartbeat",
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("started_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("beat_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_heartbeat")),
    )
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("resolution_criteria", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("options", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("opens_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("closes_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("resolve_by", db.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(type = 'binary' AND options IS NULL) OR (type = 'multiple_choice' AND options IS NOT NULL)",
            name=op.f("ck_question_options_match_type"),
        ),
        sa.CheckConstraint("type IN ('binary', 'multiple_choice')", name=op.f("ck_question_type")),
        sa.CheckConstraint(
            "closes_at IS NULL OR closes_at >= opens_at", name=op.f("ck_question_closes_after_opens")
        ),
        sa.CheckConstraint(
            "resolve_by IS NULL OR resolve_by >= opens_at", name=op.f("ck_question_resolve_by_after_opens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
        sa.UniqueConstraint("uid", name=op.f("uq_question_uid")),
    )
    op.create_table(
        "forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("forecaster_id", sa.Integer(), nullable=False),
        sa.Column("made_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("option_probabilities", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("origin IN ('manual', 'import', 'crowd')", name=op.f("ck_forecast_origin")),
        sa.CheckConstraint(
            "(probability IS NULL) <> (option_probabilities IS NULL)",
            name=op.f("ck_forecast_one_kind_of_probability"),
        ),
        sa.CheckConstraint(
            "probability IS NULL OR (probability >= 0 AND probability <= 1)",
            name=op.f("ck_forecast_probability_range"),
        ),
        sa.ForeignKeyConstraint(
            ["forecaster_id"], ["forecaster.id"], name=op.f("fk_forecast_forecaster_id_forecaster")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_forecast_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast")),
        sa.UniqueConstraint(
            "question_id",
            "forecaster_id",
            "made_at",
            name=op.f("uq_forecast_question_id_forecaster_id_made_at"),
        ),
    )
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecast_forecaster_id"), ["forecaster_id"], unique=False)
        batch_op.create_index("ix_forecast_question_made_at", ["question_id", "made_at"], unique=False)

    op.create_table(
        "question_tag",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_tag_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "tag", name=op.f("pk_question_tag")),
    )
    with op.batch_alter_table("question_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_tag_tag"), ["tag"], unique=False)

    op.create_table(
        "resolution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("option", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("recorded_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "(outcome = 'option' AND option IS NOT NULL) OR (outcome <> 'option' AND option IS NULL)",
            name=op.f("ck_resolution_option_only_for_option_outcome"),
        ),
        sa.CheckConstraint(
            "outcome = 'unresolved' OR resolved_at IS NOT NULL",
            name=op.f("ck_resolution_resolved_at_required"),
        ),
        sa.CheckConstraint(
            "outcome IN ('yes', 'no', 'option', 'annulled', 'unresolved')", name=op.f("ck_resolution_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_resolution_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution")),
    )
    with op.batch_alter_table("resolution", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resolution_question_recorded_at", ["question_id", "recorded_at"], unique=False
        )

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('manual', 'rss', 'atom', 'gdelt-doc', 'gdelt-events', 'manifold', 'polymarket', 'metaculus')",
            name=op.f("ck_source_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["question.id"], name=op.f("fk_source_question_id_question"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("name", name=op.f("uq_source_name")),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=512), nullable=False),
        sa.Column("occurred_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_event_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("source_id", "dedupe_key", name=op.f("uq_event_source_id_dedupe_key")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_occurred_at"), ["occurred_at"], unique=False)

    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=120), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("started_at", db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", db.types.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n_new", sa.Integer(), nullable=False),
        sa.Column("n_updated", sa.Integer(), nullable=False),
        sa.Column("n_duplicate", sa.Integer(), nullable=False),
        sa.Column("n_unmatched", sa.Integer(), nullable=False),
        sa.Column("n_rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'ok', 'error', 'skipped')", name=op.f("ck_job_run_status")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_job_run_source_id_source"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
    )
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.create_index("ix_job_run_source_started_at", ["source_id", "started_at"], unique=False)

    op.create_table(
        "event_question",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_question_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_event_question_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "question_id", name=op.f("pk_event_question")),
    )
    with op.batch_alter_table("event_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_question_question_id"), ["question_id"], unique=False)

    op.create_table(
        "event_tag",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_tag_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "tag", name=op.f("pk_event_tag")),
    )
    with op.batch_alter_table("event_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_tag_tag"), ["tag"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("event_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_tag_tag"))

    op.drop_table("event_tag")
    with op.batch_alter_table("event_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_question_question_id"))

    op.drop_table("event_question")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_index("ix_job_run_source_started_at")

    op.drop_table("job_run")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_occurred_at"))

    op.drop_table("event")
    op.drop_table("source")
    with op.batch_alter_table("resolution", schema=None) as batch_op:
        batch_op.drop_index("ix_resolution_question_recorded_at")

    op.drop_table("resolution")
    with op.batch_alter_table("question_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_tag_tag"))

    op.drop_table("question_tag")
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_question_made_at")
        batch_op.drop_index(batch_op.f("ix_forecast_forecaster_id"))

    op.drop_table("forecast")
    op.drop_table("question")
    op.drop_table("heartbeat")
    op.drop_table("forecaster")
    op.drop_table("app_setting")
