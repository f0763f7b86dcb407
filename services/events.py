"""Events: what happened, for the timeline, a question's page and the Overview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db import Database
from db.models import Event, EventQuestion, EventTag, Source

EVENT_ROW_LIMIT = 2000  # rows sent to the browser in an event table; charts get aggregates
EVENT_COLUMNS = ["id", "occurred_at", "title", "url", "source", "summary", "tags"]


AnySelect = Select[*tuple[Any, ...]]


def _window(query: AnySelect, start: datetime | None, end: datetime | None) -> AnySelect:
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    return query


def _with_tags(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    ids = frame["id"].tolist()
    tags: dict[int, list[str]] = {}
    for event_id, tag in session.execute(
        select(EventTag.event_id, EventTag.tag).where(EventTag.event_id.in_(ids)).order_by(EventTag.tag)
    ):
        tags.setdefault(event_id, []).append(tag)
    frame["tags"] = [", ".join(tags.get(event_id, ())) for event_id in ids]
    return frame


def events_frame(
    database: Database,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    question_ids: Sequence[int] = (),
    tag: str | None = None,
    limit: int = EVENT_ROW_LIMIT,
) -> pd.DataFrame:
    """Events, newest first, with source and tags (at most ``limit`` rows)."""
    query = _window(
        select(Event.id, Event.occurred_at, Event.title, Event.url, Source.name, Event.summary).join(Source),
        start,
        end,
    )
    if question_ids:
        linked = select(EventQuestion.event_id).where(EventQuestion.question_id.in_(list(question_ids)))
        query = query.where(Event.id.in_(linked))
    if tag:
        query = query.where(Event.id.in_(select(EventTag.event_id).where(EventTag.tag == tag)))
    with database.read_session() as session:
        rows = session.execute(query.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit)).all()
        frame = pd.DataFrame([tuple(row) for row in rows], columns=EVENT_COLUMNS[:-1])
        if frame.empty:
            return frame.assign(tags=pd.Series(dtype=str))
        frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
        return _with_tags(session, frame)


@dataclass(frozen=True)
class EventRow:
    id: int
    occurred_at: datetime
    title: str
    url: str | None
    source: str


def latest_events(database: Database, limit: int = 8) -> list[EventRow]:
    """The newest events, for the Overview."""
    query = select(Event.id, Event.occurred_at, Event.title, Event.url, Source.name).join(Source)
    with database.read_session() as session:
        rows = session.execute(query.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit))
        return [EventRow(int(i), when, str(title), url, str(source)) for i, when, title, url, source in rows]


def event_counts(
    database: Database, *, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """Events per day and source, counted in the database: what the timeline chart draws."""
    day = func.date(Event.occurred_at)
    query = _window(select(day, Source.name, func.count()).join(Source), start, end).group_by(
        day, Source.name
    )
    with database.read_session() as session:
        rows = [tuple(row) for row in session.execute(query)]
    frame = pd.DataFrame(rows, columns=["day", "source", "events"])
    frame["day"] = pd.to_datetime(frame["day"].astype(str), utc=True)
    return frame
