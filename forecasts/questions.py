"""Reading questions with their current status, for the dashboard and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from db.models import Forecast, Question, QuestionTag, Resolution


@dataclass(frozen=True)
class QuestionSummary:
    id: int
    uid: str
    title: str
    type: str
    status: str  # open | closed | resolved | annulled
    outcome: str | None  # yes / no / the option's name, once resolved
    opens_at: datetime
    closes_at: datetime | None
    resolved_at: datetime | None
    tags: tuple[str, ...]
    n_forecasts: int


def question_status(outcome: str | None, closes_at: datetime | None, now: datetime) -> str:
    if outcome == "annulled":
        return "annulled"
    if outcome is not None and outcome != "unresolved":
        return "resolved"
    if closes_at is not None and closes_at <= now:
        return "closed"
    return "open"


def latest_resolutions() -> Subquery:
    """One row per question: its latest resolution (append-only; the latest row wins)."""
    ranked = select(
        Resolution.question_id,
        Resolution.outcome,
        Resolution.option,
        Resolution.resolved_at,
        func.row_number()
        .over(
            partition_by=Resolution.question_id,
            order_by=(Resolution.recorded_at.desc(), Resolution.id.desc()),
        )
        .label("rank"),
    ).subquery()
    return select(ranked).where(ranked.c.rank == 1).subquery()


def list_questions(session: Session, *, now: datetime) -> list[QuestionSummary]:
    """Every question, newest first, with status, outcome, tags and forecast count."""
    latest = latest_resolutions()
    counts = select(Forecast.question_id, func.count().label("n")).group_by(Forecast.question_id).subquery()
    rows = session.execute(
        select(Question, latest.c.outcome, latest.c.option, latest.c.resolved_at, counts.c.n)
        .outerjoin(latest, latest.c.question_id == Question.id)
        .outerjoin(counts, counts.c.question_id == Question.id)
        .order_by(Question.opens_at.desc(), Question.id.desc())
    ).all()
    tags: dict[int, list[str]] = {}
    for question_id, tag in session.execute(
        select(QuestionTag.question_id, QuestionTag.tag).order_by(QuestionTag.tag)
    ):
        tags.setdefault(question_id, []).append(tag)
    summaries = []
    for question, outcome, option, resolved_at, n_forecasts in rows:
        status = question_status(outcome, question.closes_at, now)
        summaries.append(
            QuestionSummary(
                id=question.id,
                uid=question.uid,
                title=question.title,
                type=question.type,
                status=status,
                outcome=(option if outcome == "option" else outcome)
                if status in ("resolved", "annulled")
                else None,
                opens_at=question.opens_at,
                closes_at=question.closes_at,
                resolved_at=resolved_at if status in ("resolved", "annulled") else None,
                tags=tuple(tags.get(question.id, ())),
                n_forecasts=n_forecasts or 0,
            )
        )
    return summaries
