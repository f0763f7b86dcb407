"""What needs the user: questions ready to resolve, stale forecasts, proposals, failing sources.

The rules for "ready" and "stale" are written once, in :func:`due_reminders`.
The Overview computes them from the data each time it opens (so the demo or an
import shows what is due at once, worker or not); the worker keeps them as
``reminder`` rows too (raised once, cleared when they no longer apply), which is
the state a notification needs to be sent once.

- ready_to_resolve: past ``resolve_by`` and not resolved;
- stale: open, and the latest forecast by a person is over 14 days old (naming the linked
  events that happened since then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import Database
from db.models import Event, EventQuestion, Forecast, Forecaster, JobRun, Question, Reminder, Source
from db.queries import latest_resolutions
from services import proposals
from services.status import RunCounts, record_run

STALE_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class Due:
    """A question that needs the user, and why in a few words."""

    question_id: int
    title: str
    detail: str


@dataclass(frozen=True)
class FailingSource:
    source: str
    error: str | None
    at: datetime


@dataclass(frozen=True)
class Attention:
    ready_to_resolve: list[Due]
    stale: list[Due]
    proposals: list[proposals.Proposal]
    failing_sources: list[FailingSource]

    @property
    def total(self) -> int:
        return sum(
            len(items) for items in (self.ready_to_resolve, self.stale, self.proposals, self.failing_sources)
        )


def due_reminders(session: Session, now: datetime) -> dict[str, dict[int, str]]:
    """Per reminder kind, the questions it applies to now, each with a one-line detail."""
    latest = latest_resolutions()
    unresolved = Question.id.not_in(select(latest.c.question_id).where(latest.c.outcome != "unresolved"))
    ready = {
        question_id: f"resolve by {resolve_by:%Y-%m-%d} has passed"
        for question_id, resolve_by in session.execute(
            select(Question.id, Question.resolve_by).where(Question.resolve_by < now, unresolved)
        )
    }
    last_by_person = (
        select(Forecast.question_id, func.max(Forecast.made_at).label("last"))
        .join(Forecaster)
        .where(Forecaster.kind == "person")
        .group_by(Forecast.question_id)
        .subquery()
    )
    still_open = (Question.closes_at.is_(None)) | (Question.closes_at > now)
    last_forecasts = {
        int(question_id): last
        for question_id, last in session.execute(
            select(Question.id, last_by_person.c.last)
            .join(last_by_person, last_by_person.c.question_id == Question.id)
            .where(unresolved, still_open, last_by_person.c.last < now - STALE_AFTER)
        )
    }
    news = _new_events(session, last_forecasts)
    stale = {
        question_id: f"last forecast {last:%Y-%m-%d}" + _naming(news.get(question_id, []))
        for question_id, last in last_forecasts.items()
    }
    return {"ready_to_resolve": ready, "stale": stale}


def _new_events(session: Session, since: dict[int, datetime]) -> dict[int, list[str]]:
    """Titles of the events linked to each question that happened after its last forecast, newest first."""
    if not since:
        return {}
    rows = session.execute(
        select(EventQuestion.question_id, Event.title, Event.occurred_at)
        .join(Event, Event.id == EventQuestion.event_id)
        .where(EventQuestion.question_id.in_(list(since)))
        .order_by(Event.occurred_at.desc())
    )
    news: dict[int, list[str]] = {}
    for question_id, title, happened_at in rows:
        if happened_at > since[question_id]:
            news.setdefault(int(question_id), []).append(str(title))
    return news


def _naming(titles: list[str]) -> str:
    if not titles:
        return ""
    shown = "; ".join(f"'{t[:80]}'" for t in titles[:3])
    more = f" and {len(titles) - 3} more" if len(titles) > 3 else ""
    return f"; {len(titles)} new event{'s' * (len(titles) != 1)} since: {shown}{more}"


@dataclass(frozen=True)
class ReminderCounts:
    raised: int
    cleared: int


def refresh_reminders_in(session: Session, now: datetime) -> ReminderCounts:
    due = due_reminders(session, now)
    existing = {(r.question_id, r.kind): r for r in session.scalars(select(Reminder))}
    raised = cleared = 0
    for kind, questions in due.items():
        for question_id, detail in questions.items():
            reminder = existing.get((question_id, kind))
            if reminder is None:
                session.add(Reminder(question_id=question_id, kind=kind, raised_at=now, detail=detail))
                raised += 1
            elif reminder.cleared_at is not None:
                reminder.cleared_at, reminder.raised_at, reminder.detail = None, now, detail
                raised += 1
            elif reminder.detail != detail:  # still due, with news to name: not a new reminder
                reminder.detail = detail
    for (question_id, kind), reminder in existing.items():
        if reminder.cleared_at is None and question_id not in due[kind]:
            reminder.cleared_at = now
            cleared += 1
    return ReminderCounts(raised=raised, cleared=cleared)


def refresh_reminders(database: Database, now: datetime | None = None) -> ReminderCounts:
    """Raise and clear reminders (idempotent), and record the run: the worker's reminder job."""
    started = now or datetime.now(UTC)
    with database.write_session() as session:
        counts = refresh_reminders_in(session, started)
    record_run(database, "reminders", started, RunCounts(n_new=counts.raised, n_updated=counts.cleared))
    return counts


def _due(session: Session, due: dict[int, str]) -> list[Due]:
    """The questions with their titles, soonest resolve-by first (none last), then by title."""
    if not due:
        return []
    rows = session.execute(
        select(Question.id, Question.title, Question.resolve_by).where(Question.id.in_(due))
    )
    ordered = sorted(
        rows, key=lambda row: (row[2] is None, row[2] or datetime.min.replace(tzinfo=UTC), row[1])
    )
    return [Due(int(question_id), str(title), due[int(question_id)]) for question_id, title, _ in ordered]


def _failing_sources(session: Session) -> list[FailingSource]:
    latest = (
        select(JobRun.source_id, func.max(JobRun.id).label("run_id")).group_by(JobRun.source_id).subquery()
    )
    rows = session.execute(
        select(Source.name, JobRun.error, JobRun.started_at)
        .join(latest, latest.c.source_id == Source.id)
        .join(JobRun, JobRun.id == latest.c.run_id)
        .where(JobRun.status == "error", Source.enabled.is_(True))
    )
    return [FailingSource(str(name), error, at) for name, error, at in rows]


def needs_attention(database: Database, now: datetime | None = None) -> Attention:
    """What is due now, computed from the data (not from the worker's reminder rows)."""
    with database.read_session() as session:
        due = due_reminders(session, now or datetime.now(UTC))
        ready, stale = _due(session, due["ready_to_resolve"]), _due(session, due["stale"])
        failing = _failing_sources(session)
    return Attention(ready, stale, proposals.pending(database), failing)
