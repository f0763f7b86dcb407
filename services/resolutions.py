"""Resolving a question, and undoing it: resolutions are append-only, the latest row wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from db import Database
from db.models import Resolution
from forecasts import rules
from forecasts.errors import Invalid
from services.questions import load_question, settled_as


@dataclass(frozen=True)
class RecordedResolution:
    question_id: int
    outcome: str  # yes | no | option | annulled | unresolved (an undo)
    option: str | None
    resolved_at: datetime | None
    recorded_at: datetime
    note: str

    @property
    def shown(self) -> str:
        return self.option if self.outcome == "option" and self.option else self.outcome


def _recorded(row: Resolution) -> RecordedResolution:
    return RecordedResolution(
        row.question_id, row.outcome, row.option, row.resolved_at, row.recorded_at, row.note
    )


def resolve_in(
    session: Session,
    question_id: int,
    *,
    outcome: str,
    resolved_at: datetime,
    option: str | None = None,
    note: str = "",
    source: str = "manual",
    now: datetime | None = None,
) -> RecordedResolution:
    """Resolve yes / no / option / annulled inside the caller's transaction; ``resolved_at`` is
    when the world settled it."""
    question = load_question(session, question_id)
    current = now or datetime.now(UTC)
    if outcome == "unresolved":
        raise Invalid("outcome", "to reopen a question, undo its resolution")
    rules.check_outcome(question.type, question.options, outcome, option if outcome == "option" else None)
    rules.check_resolved_at(resolved_at, outcome, opens_at=question.opens_at, now=current)
    rules.check_can_resolve(settled_as(question))
    resolution = Resolution(
        question=question,
        outcome=outcome,
        option=option if outcome == "option" else None,
        resolved_at=resolved_at,
        recorded_at=current,
        note=note.strip(),
        source=source,
    )
    session.add(resolution)
    session.flush()
    return _recorded(resolution)


def resolve(
    database: Database,
    question_id: int,
    *,
    outcome: str,
    resolved_at: datetime,
    option: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> RecordedResolution:
    with database.write_session() as session:
        return resolve_in(
            session, question_id, outcome=outcome, resolved_at=resolved_at, option=option, note=note, now=now
        )


def undo(
    database: Database, question_id: int, *, note: str = "", now: datetime | None = None
) -> RecordedResolution:
    """Reopen a resolved question by appending an "unresolved" row; history is kept."""
    with database.write_session() as session:
        question = load_question(session, question_id)
        rules.check_can_undo(settled_as(question))
        row = Resolution(
            question=question,
            outcome="unresolved",
            recorded_at=now or datetime.now(UTC),
            note=note.strip() or "undo",
        )
        session.add(row)
        session.flush()
        return _recorded(row)
