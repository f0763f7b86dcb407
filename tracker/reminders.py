"""Reminders the worker keeps up to date; each run is idempotent.

- ready_to_resolve: past ``resolve_by`` and not resolved;
- stale: open, and the latest forecast by a person is over 14 days old.
A reminder is raised once and cleared (not deleted) when it no longer applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Forecast, Forecaster, Question, Reminder
from forecasts.questions import latest_resolutions

STALE_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class ReminderCounts:
    raised: int
    cleared: int


def _due(session: Session, now: datetime) -> dict[str, dict[int, str]]:
    latest = latest_resolutions()
    resolved = select(latest.c.question_id).where(latest.c.outcome != "unresolved")
    unresolved = Question.id.not_in(resolved)
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
    stale = {
        question_id: f"last forecast {last:%Y-%m-%d}"
        for question_id, last in session.execute(
            select(Question.id, last_by_person.c.last)
            .join(last_by_person, last_by_person.c.question_id == Question.id)
            .where(
                unresolved,
                (Question.closes_at.is_(None)) | (Question.closes_at > now),
                last_by_person.c.last < now - STALE_AFTER,
            )
        )
    }
    return {"ready_to_resolve": ready, "stale": stale}


def refresh_reminders(session: Session, now: datetime) -> ReminderCounts:
    due = _due(session, now)
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
    for (question_id, kind), reminder in existing.items():
        if reminder.cleared_at is None and question_id not in due[kind]:
            reminder.cleared_at = now
            cleared += 1
    return ReminderCounts(raised=raised, cleared=cleared)
