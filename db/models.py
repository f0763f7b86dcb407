"""Typed SQLAlchemy 2 models: the whole schema, read top to bottom.

Enumerations are strings guarded by CHECK constraints (portable across SQLite
and PostgreSQL, and easy to migrate), their values taken from the one rules
module, :mod:`forecasts.rules`. Source kinds are the exception: each kind is
declared by its module in ``tracker.sources``, so adding one needs no migration.
Cross-row rules that a CHECK cannot express run before every flush (:mod:`db.rules`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    false as sa_false,
)
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import UTCDateTime, utc_now
from forecasts.rules import (
    FORECAST_ORIGINS,
    FORECASTER_KINDS,
    LINK_ORIGINS,
    PROPOSED_OUTCOMES,
    QUESTION_TYPES,
    RESOLUTION_OUTCOMES,
)

# Names every constraint and index, so batch migrations on SQLite can drop them
# and error messages say which rule a row broke.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JOB_STATUSES = ("running", "ok", "error", "skipped", "interrupted")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    # ORs, not IN (…): SQLite builds an index for an IN list each time an INSERT runs (once per row
    # of an executemany), which cost 2-3 s of a million-row import.
    return " OR ".join(f"{column} = '{value}'" for value in values)


# Each kind of question has its own fields: options for multiple choice, a range for numbers and dates.
QUESTION_FIELDS_MATCH_TYPE = (
    "(type = 'binary' AND options IS NULL AND range_lower IS NULL AND range_upper IS NULL)"
    " OR (type = 'multiple_choice' AND options IS NOT NULL AND range_lower IS NULL AND range_upper IS NULL)"
    " OR ((type = 'numeric' OR type = 'date') AND options IS NULL"
    " AND range_lower IS NOT NULL AND range_upper IS NOT NULL AND range_lower < range_upper)"
)
# Exactly one of P(yes), the option probabilities and the quantiles.
ONE_KIND_OF_FORECAST = (
    "(CASE WHEN probability IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN option_probabilities IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN quantiles IS NULL THEN 0 ELSE 1 END) = 1"
)


def _new_uid() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class AppSetting(Base):
    """Small key/value facts about this database (for example: demo already offered)."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Forecaster(Base):
    """A person, or a crowd platform such as ``crowd:manifold``."""

    __tablename__ = "forecaster"
    __table_args__ = (CheckConstraint(_one_of("kind", FORECASTER_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="person")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    forecasts: Mapped[list[Forecast]] = relationship(back_populates="forecaster")


class Question(Base):
    """Something that will be settled: binary, multiple choice with named options, or a number or a
    date within a range (a date as seconds since 1970, UTC)."""

    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint(_one_of("type", QUESTION_TYPES), name="type"),
        CheckConstraint(QUESTION_FIELDS_MATCH_TYPE, name="fields_match_type"),
        CheckConstraint("NOT log_scale OR range_lower > 0", name="log_scale_above_zero"),
        CheckConstraint("closes_at IS NULL OR closes_at >= opens_at", name="closes_after_opens"),
        CheckConstraint("resolve_by IS NULL OR resolve_by >= opens_at", name="resolve_by_after_opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable identity across databases: import/export and the demo key on it.
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=_new_uid)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    resolution_criteria: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(20), default="binary")
    options: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), default=None)
    # The options are in order (counts, ranges, dates): the ranked probability score applies.
    options_ordered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Numeric and date questions: what the outcome may be, and in what unit.
    unit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    range_lower: Mapped[float | None] = mapped_column(Float)
    range_upper: Mapped[float | None] = mapped_column(Float)
    lower_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    upper_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    log_scale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    opens_at: Mapped[datetime] = mapped_column(default=utc_now)
    closes_at: Mapped[datetime | None]
    resolve_by: Mapped[datetime | None]
    # Events matching this topic rule are linked to the question as they are stored.
    watch_rule: Mapped[str | None] = mapped_column(Text)
    # Bumped by every edit (tags included), so cached scores know a question changed.
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    tag_links: Mapped[list[QuestionTag]] = relationship(
        cascade="all, delete-orphan", order_by="QuestionTag.tag"
    )
    tags: AssociationProxy[list[str]] = association_proxy(
        "tag_links", "tag", creator=lambda tag: QuestionTag(tag=tag)
    )
    forecasts: Mapped[list[Forecast]] = relationship(
        back_populates="question", cascade="all, delete-orphan", passive_deletes=True
    )
    resolutions: Mapped[list[Resolution]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Resolution.recorded_at, Resolution.id)",
    )

    @property
    def latest_resolution(self) -> Resolution | None:
        """The row that counts: resolutions are append-only and the latest wins."""
        return self.resolutions[-1] if self.resolutions else None


class QuestionTag(Base):
    __tablename__ = "question_tag"

    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Forecast(Base):
    """One stated belief: P(yes) for a binary question, one probability per option, or quantiles."""

    __tablename__ = "forecast"
    __table_args__ = (
        # The natural key: a double submit of the same form cannot store two rows.
        UniqueConstraint("question_id", "forecaster_id", "made_at"),
        CheckConstraint(
            "probability IS NULL OR (probability >= 0 AND probability <= 1)",
            name="probability_range",
        ),
        CheckConstraint(ONE_KIND_OF_FORECAST, name="one_kind_of_forecast"),
        CheckConstraint(_one_of("origin", FORECAST_ORIGINS), name="origin"),
        Index("ix_forecast_question_made_at", "question_id", "made_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    forecaster_id: Mapped[int] = mapped_column(ForeignKey("forecaster.id"), index=True)
    made_at: Mapped[datetime]
    probability: Mapped[float | None] = mapped_column(Float)
    option_probabilities: Mapped[list[float] | None] = mapped_column(JSON(none_as_null=True), default=None)
    # Numeric and date questions: [[level, value], ...], levels and values rising.
    quantiles: Mapped[list[list[float]] | None] = mapped_column(JSON(none_as_null=True), default=None)
    rationale: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)

    question: Mapped[Question] = relationship(back_populates="forecasts")
    forecaster: Mapped[Forecaster] = relationship(back_populates="forecasts")
    citations: Mapped[list[ForecastEvent]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class ForecastEvent(Base):
    """An event a forecast gives as its reason ("because of")."""

    __tablename__ = "forecast_event"

    forecast_id: Mapped[int] = mapped_column(ForeignKey("forecast.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Resolution(Base):
    """How a question settled. Append-only: the latest row wins; undo appends "unresolved"."""

    __tablename__ = "resolution"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", RESOLUTION_OUTCOMES), name="outcome"),
        CheckConstraint(
            "(outcome = 'option' AND option IS NOT NULL) OR (outcome <> 'option' AND option IS NULL)",
            name="option_only_for_option_outcome",
        ),
        CheckConstraint(
            "(outcome = 'value' AND value IS NOT NULL) OR (outcome <> 'value' AND value IS NULL)",
            name="value_only_for_value_outcome",
        ),
        CheckConstraint("outcome = 'unresolved' OR resolved_at IS NOT NULL", name="resolved_at_required"),
        Index("ix_resolution_question_recorded_at", "question_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    option: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float)  # numeric and date questions (a date in seconds)
    resolved_at: Mapped[datetime | None]  # when the world settled it
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)  # when it was entered
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="manual")

    question: Mapped[Question] = relationship(back_populates="resolutions")


class Source(Base):
    """Where events or crowd forecasts come from, and how to poll it."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(2000))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    every_seconds: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="SET NULL"))
    # Which items become events: a rule such as `kuril* OR "northern territories"` (None = all).
    match_rule: Mapped[str | None] = mapped_column(Text)
    # Conditional-GET state: sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    # SHA-256 of the last body parsed: an unchanged body is not parsed again.
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # Published by the worker for the dashboard; set after a 429 to pause polling.
    next_run_at: Mapped[datetime | None]
    backoff_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    events: Mapped[list[Event]] = relationship(back_populates="source")


class Event(Base):
    """Something that happened, logged from a source; deduplicated per source."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("source_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    dedupe_key: Mapped[str] = mapped_column(String(512))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(1000))
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # True when the source gave no usable time (or one in the future) and the fetch time stands in.
    occurred_at_estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    source: Mapped[Source] = relationship(back_populates="events")
    tag_links: Mapped[list[EventTag]] = relationship(cascade="all, delete-orphan", order_by="EventTag.tag")
    tags: AssociationProxy[list[str]] = association_proxy(
        "tag_links", "tag", creator=lambda tag: EventTag(tag=tag)
    )
    question_links: Mapped[list[EventQuestion]] = relationship(cascade="all, delete-orphan")


class EventTag(Base):
    __tablename__ = "event_tag"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class EventQuestion(Base):
    """An event that bears on a question, and why it was linked (the first reason wins)."""

    __tablename__ = "event_question"
    __table_args__ = (CheckConstraint(_one_of("origin", LINK_ORIGINS), name="origin"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    origin: Mapped[str] = mapped_column(String(16), default="source", server_default="source")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class EventUnlink(Base):
    """A pair a person unlinked: no rule, source or re-import links it again."""

    __tablename__ = "event_unlink"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    unlinked_at: Mapped[datetime] = mapped_column(default=utc_now)


class JobRun(Base):
    """One run of a worker job, written by the worker and read by the dashboard."""

    __tablename__ = "job_run"
    __table_args__ = (
        CheckConstraint(_one_of("status", JOB_STATUSES), name="status"),
        Index("ix_job_run_source_started_at", "source_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(120))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    n_new: Mapped[int] = mapped_column(default=0)
    n_updated: Mapped[int] = mapped_column(default=0)
    n_duplicate: Mapped[int] = mapped_column(default=0)
    n_unmatched: Mapped[int] = mapped_column(default=0)
    n_rejected: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Item-level problems (rejected or adjusted items), one per line; the run itself may be ok.
    notes: Mapped[str | None] = mapped_column(Text)
    # Who ran it: a run left "running" by a process that is gone was interrupted.
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]


class Heartbeat(Base):
    """The worker's sign of life, one row per worker, refreshed about every 30 s."""

    __tablename__ = "heartbeat"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    pid: Mapped[int]
    hostname: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(32), default="running")


class ScoreSnapshot(Base):
    """Scores computed once and kept, so no page scores a large history while a user waits.

    ``inputs_version`` fingerprints the forecasts, resolutions and questions the
    payload was computed from; a snapshot whose fingerprint no longer matches is
    stale. The worker recomputes stale snapshots in the background.
    """

    __tablename__ = "score_snapshot"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    inputs_version: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime]
    compute_seconds: Mapped[float]


class ScorePiece(Base):
    """What one resolved yes/no question contributes to the scores, kept so a change rescores only
    its question (:mod:`forecasts.scoring.pieces`; one record per forecaster, numpy's packed record
    layout, never pickle). Derived data: deleting every row only costs a full rescore."""

    __tablename__ = "score_piece"

    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    records: Mapped[bytes] = mapped_column(LargeBinary)
    steps: Mapped[bytes] = mapped_column(LargeBinary)  # its updates that gained and lost most
    question_updated_at: Mapped[datetime]  # the question as these were computed: an edit since differs


class ScoreState(Base):
    """How far the kept score pieces have read: the newest forecast, resolution and mark seen, with
    each table's row count then. A count that does not add up later (rows deleted, or a row
    committed late under an id already passed) means: rescore everything."""

    __tablename__ = "score_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    scorer_version: Mapped[str] = mapped_column(String(40))
    forecast_id: Mapped[int] = mapped_column(Integer, default=0)
    forecast_count: Mapped[int] = mapped_column(Integer, default=0)
    resolution_id: Mapped[int] = mapped_column(Integer, default=0)
    resolution_count: Mapped[int] = mapped_column(Integer, default=0)
    mark_id: Mapped[int] = mapped_column(Integer, default=0)
    mark_count: Mapped[int] = mapped_column(Integer, default=0)
    piece_count: Mapped[int] = mapped_column(Integer, default=0)  # score_piece rows written with these
    computed_at: Mapped[datetime]


class ScoreMark(Base):
    """A question whose score pieces must be recomputed although no id moved: written where stored
    forecasts change in place (an import that corrects a probability)."""

    __tablename__ = "score_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int]
    marked_at: Mapped[datetime] = mapped_column(default=utc_now)


class EventRevision(Base):
    """What an event looked like before its source changed it under the same key."""

    __tablename__ = "event_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utc_now)
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)


class WorkerLease(Base):
    """Who may run the scheduler: one live holder per database, renewed with each heartbeat."""

    __tablename__ = "worker_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]


COMMAND_KINDS = ("run_source",)
COMMAND_STATUSES = ("pending", "running", "done", "failed")


class Command(Base):
    """A request from the dashboard or CLI to the worker, such as "run this source now"."""

    __tablename__ = "command"
    __table_args__ = (
        CheckConstraint(_one_of("kind", COMMAND_KINDS), name="kind"),
        CheckConstraint(_one_of("status", COMMAND_STATUSES), name="status"),
        Index("ix_command_status_requested_at", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text)


REMINDER_KINDS = ("ready_to_resolve", "stale")


class Reminder(Base):
    """A question that needs attention; set and cleared by the worker's reminder jobs."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("question_id", "kind"),
        CheckConstraint(_one_of("kind", REMINDER_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime] = mapped_column(default=utc_now)
    cleared_at: Mapped[datetime | None]
    detail: Mapped[str] = mapped_column(Text, default="")


PROPOSAL_STATUSES = ("pending", "accepted", "dismissed")


class ResolutionProposal(Base):
    """A resolution suggested by a crowd platform; the user accepts or dismisses it."""

    __tablename__ = "resolution_proposal"
    __table_args__ = (
        UniqueConstraint("question_id", "source_id", "outcome"),
        CheckConstraint(_one_of("outcome", PROPOSED_OUTCOMES), name="outcome"),
        CheckConstraint(_one_of("status", PROPOSAL_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    option: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]
    proposed_at: Mapped[datetime] = mapped_column(default=utc_now)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    detail: Mapped[str] = mapped_column(Text, default="")


class ChangeCounter(Base):
    """One row, whose number goes up whenever a row that an import reads is updated or deleted
    (database triggers, so every writer counts: this code, the worker, a sqlite3 shell).
    With each such table's row count, it tells that nothing an import depends on has changed."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger, default=0)


class ImportReceipt(Base):
    """A file imported without a skipped row, and the state of the database just after: importing
    the same file (same bytes, same options) into that same state again changes nothing."""

    __tablename__ = "import_receipt"

    file_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of options and bytes
    file_size: Mapped[int] = mapped_column(BigInteger, index=True)  # bytes: most files need no hash
    format: Mapped[str] = mapped_column(String(40))
    totals: Mapped[dict[str, int]] = mapped_column(JSON)  # records of each kind in the file
    notes: Mapped[list[str]] = mapped_column(JSON)  # what reading it said about how it was read
    database_state: Mapped[str] = mapped_column(Text)  # db.changes.database_state after the import
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)
