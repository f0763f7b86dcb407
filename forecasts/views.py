"""Read models for the dashboard: frames already shaped for a table or a chart.

Every function takes an open session and plain arguments and returns pandas
frames or small dataclasses; no Streamlit here, so pages stay thin and these
are tested on a real database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.models import (
    Event,
    EventQuestion,
    EventTag,
    Forecast,
    Forecaster,
    JobRun,
    Question,
    Reminder,
    ResolutionProposal,
    Source,
)
from forecasts.services import current_resolution, get_question

EVENT_ROW_LIMIT = 2000  # rows sent to the browser in an event table; charts get aggregates


def trajectories(session: Session, question_ids: Sequence[int], now: datetime) -> pd.DataFrame:
    """Forecasts as step lines: one row per forecast, plus a closing point per forecaster at the
    question's end (resolution, close or now), so the last value is drawn until then."""
    rows = session.execute(
        select(
            Question.id,
            Question.title,
            Forecaster.name,
            Forecaster.kind,
            Forecast.made_at,
            Forecast.probability,
        )
        .join(Forecast, Forecast.question_id == Question.id)
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .where(Question.id.in_(list(question_ids)), Forecast.probability.is_not(None))
        .order_by(Question.id, Forecaster.name, Forecast.made_at)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["question_id", "question", "forecaster", "kind", "made_at", "probability"]
    )
    if frame.empty:
        return frame
    ends = {
        question_id: _drawn_until(session, int(question_id), now)
        for question_id in frame["question_id"].unique()
    }
    frame["made_at"] = pd.to_datetime(frame["made_at"], utc=True)
    return _extend_to_end(frame, ["question_id", "forecaster"], ends)


def _drawn_until(session: Session, question_id: int, now: datetime) -> datetime:
    """Where a question's step lines stop: its resolution, its close, or now, whichever is first."""
    question = get_question(session, question_id)
    resolution = current_resolution(question)
    return min([now] + [t for t in (question.closes_at, resolution and resolution.resolved_at) if t])


def _extend_to_end(frame: pd.DataFrame, series: list[str], ends: dict) -> pd.DataFrame:
    """Add a closing point per series at its question's end, so the last value is drawn until then."""
    last = frame.groupby(series, as_index=False).last()
    end = pd.to_datetime(last["question_id"].map(ends), utc=True)
    last = last.assign(made_at=end)[end > last["made_at"]]
    return pd.concat([frame, last], ignore_index=True).sort_values([*series, "made_at"])


def option_trajectories(session: Session, question_id: int, now: datetime) -> pd.DataFrame:
    """A multiple-choice question's history: one row per forecast and option, as step lines."""
    question = get_question(session, question_id)
    options = list(question.options or [])
    rows = session.execute(
        select(Forecaster.name, Forecaster.kind, Forecast.made_at, Forecast.option_probabilities)
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .where(Forecast.question_id == question_id, Forecast.option_probabilities.is_not(None))
        .order_by(Forecaster.name, Forecast.made_at)
    ).all()
    frame = pd.DataFrame(
        [
            (question_id, name, kind, made_at, option, float(p))
            for name, kind, made_at, probabilities in rows
            for option, p in zip(options, probabilities, strict=False)
        ],
        columns=["question_id", "forecaster", "kind", "made_at", "option", "probability"],
    )
    if frame.empty:
        return frame
    frame["made_at"] = pd.to_datetime(frame["made_at"], utc=True)
    ends = {question_id: _drawn_until(session, question_id, now)}
    return _extend_to_end(frame, ["question_id", "forecaster", "option"], ends)


def events_frame(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    question_ids: Sequence[int] = (),
    tag: str | None = None,
    limit: int = EVENT_ROW_LIMIT,
) -> pd.DataFrame:
    """Events, newest first, with source and tags (at most ``limit`` rows)."""
    query = select(
        Event.id, Event.occurred_at, Event.title, Event.url, Source.name.label("source"), Event.summary
    ).join(Source)
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    if question_ids:
        query = query.where(
            Event.id.in_(
                select(EventQuestion.event_id).where(EventQuestion.question_id.in_(list(question_ids)))
            )
        )
    if tag:
        query = query.where(Event.id.in_(select(EventTag.event_id).where(EventTag.tag == tag)))
    rows = session.execute(query.order_by(Event.occurred_at.desc()).limit(limit)).all()
    frame = pd.DataFrame(rows, columns=["id", "occurred_at", "title", "url", "source", "summary"])
    if frame.empty:
        frame["tags"] = []
        return frame
    tags = pd.DataFrame(
        session.execute(
            select(EventTag.event_id, EventTag.tag).where(EventTag.event_id.in_(frame["id"].tolist()))
        ).all(),
        columns=["id", "tag"],
    )
    joined = (
        tags.groupby("id")["tag"].apply(lambda t: ", ".join(sorted(t)))
        if not tags.empty
        else pd.Series(dtype=str)
    )
    frame["tags"] = frame["id"].map(joined).fillna("")
    return frame


def event_counts(
    session: Session, *, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """Events per day and source, counted in the database: what the timeline chart draws."""
    day = func.date(Event.occurred_at)
    query = select(day.label("day"), Source.name.label("source"), func.count().label("events")).join(Source)
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    frame = pd.DataFrame(
        session.execute(query.group_by(day, Source.name)).all(), columns=["day", "source", "events"]
    )
    frame["day"] = pd.to_datetime(frame["day"].astype(str), utc=True)
    return frame


@dataclass(frozen=True)
class Attention:
    ready_to_resolve: pd.DataFrame  # question_id, title, detail
    stale: pd.DataFrame
    proposals: pd.DataFrame  # id, question_id, title, outcome, source, detail
    failing_sources: pd.DataFrame  # source, error, at

    @property
    def total(self) -> int:
        return sum(len(f) for f in (self.ready_to_resolve, self.stale, self.proposals, self.failing_sources))


def attention(session: Session) -> Attention:
    def reminders(kind: str) -> pd.DataFrame:
        rows = session.execute(
            select(Question.id, Question.title, Reminder.detail)
            .join(Reminder, Reminder.question_id == Question.id)
            .where(Reminder.kind == kind, Reminder.cleared_at.is_(None))
            .order_by(Question.resolve_by)
        ).all()
        return pd.DataFrame(rows, columns=["question_id", "title", "detail"])

    proposals = pd.DataFrame(
        session.execute(
            select(
                ResolutionProposal.id,
                Question.id,
                Question.title,
                ResolutionProposal.outcome,
                Source.name,
                ResolutionProposal.detail,
            )
            .join(Question, Question.id == ResolutionProposal.question_id)
            .join(Source, Source.id == ResolutionProposal.source_id)
            .where(ResolutionProposal.status == "pending")
        ).all(),
        columns=["id", "question_id", "title", "outcome", "source", "detail"],
    )
    latest = (
        select(JobRun.source_id, func.max(JobRun.id).label("run_id")).group_by(JobRun.source_id).subquery()
    )
    failing = pd.DataFrame(
        session.execute(
            select(Source.name, JobRun.error, JobRun.started_at)
            .join(latest, latest.c.source_id == Source.id)
            .join(JobRun, JobRun.id == latest.c.run_id)
            .where(JobRun.status == "error", Source.enabled.is_(True))
        ).all(),
        columns=["source", "error", "at"],
    )
    return Attention(reminders("ready_to_resolve"), reminders("stale"), proposals, failing)


def resolving_soon_ids(session: Session, now: datetime, days: int = 7) -> set[int]:
    return set(
        session.scalars(
            select(Question.id).where(
                Question.resolve_by >= now, Question.resolve_by < now + timedelta(days=days)
            )
        )
    )


def question_titles(session: Session) -> list[tuple[int, str]]:
    """(id, title) of every question, newest first: for pickers."""
    return [
        tuple(row)
        for row in session.execute(select(Question.id, Question.title).order_by(Question.opens_at.desc()))
    ]


def headline_scores(session: Session) -> dict[str, tuple[int, float]]:
    """Per forecaster: resolved yes/no questions and the mean Brier (0–1) of the last forecast on each.

    The same numbers as the scorecard's ``brier`` with the default samples, computed in the
    database, so the Overview stays fast on a large history.
    """
    from forecasts.questions import latest_resolutions

    latest = latest_resolutions()
    ranked = select(
        Forecast.question_id,
        Forecast.forecaster_id,
        Forecast.probability,
        func.row_number()
        .over(
            partition_by=(Forecast.question_id, Forecast.forecaster_id),
            order_by=(Forecast.made_at.desc(), Forecast.id.desc()),
        )
        .label("rank"),
    ).subquery()
    outcome = case((latest.c.outcome == "yes", 1.0), else_=0.0)
    error = (ranked.c.probability - outcome) * (ranked.c.probability - outcome)
    rows = session.execute(
        select(Forecaster.name, func.count(), func.avg(error))
        .join(ranked, ranked.c.forecaster_id == Forecaster.id)
        .join(latest, latest.c.question_id == ranked.c.question_id)
        .join(Question, Question.id == ranked.c.question_id)
        .where(ranked.c.rank == 1, latest.c.outcome.in_(("yes", "no")), Question.type == "binary")
        .group_by(Forecaster.name)
    ).all()
    return {name: (int(n), float(brier)) for name, n, brier in rows}
