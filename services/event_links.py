"""Where events meet questions: search, watch rules, linking by hand, and what is new.

- :func:`search_events` ranks events for a query in the topic-rule language
  (words, "phrases", prefix*, AND / OR / NOT), with highlighted snippets.
- :func:`watch_question` sets a question's watch rule and back-fills: every
  stored event the rule matches is linked, in steps the caller can show.
- :func:`link_event` / :func:`unlink_event`: a person's choice, which sticks
  (no rule, source or import links an unlinked pair again).
- :func:`linked_events` lists a question's events with why each is linked.
- :func:`new_since_last_forecast`: per open question, the linked events that
  happened after a person's latest forecast on it (by when they happened, so an archive
  imported today is not news).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Connection, func, select
from sqlalchemy.orm import Session

from db import Database
from db.links import link, unlink
from db.models import Event, EventQuestion, Forecast, Forecaster, ForecastEvent, Question, Source
from db.search import count_matching, id_ranges, link_matching, ranked_search
from forecasts import rules
from forecasts.errors import Invalid, NotFound
from forecasts.moves import HOURS_48, big_moves
from forecasts.snippets import Snippet, snippet
from forecasts.topic_rules import Node, RuleError, compile_rule
from services.questions import load_question, settled_as

SEARCH_LIMIT = 50
BACKFILL_STEP = 100_000  # event ids per back-fill step: progress a person can watch

Progress = Callable[[int, int], None]  # (steps done, steps in all)


@dataclass(frozen=True)
class EventHit:
    id: int
    occurred_at: datetime
    title: str
    url: str | None
    source: str
    score: float  # higher matches better; 0 for a rule with nothing to rank by
    title_snippet: Snippet
    summary_snippet: Snippet


def compiled(query: str, field: str = "query") -> Node:
    """A search query or rule as a tree; an empty or unreadable one is :class:`Invalid`."""
    text = rules.check_topic_rule(query, field)
    if text is None:
        raise Invalid(field, 'is empty; type a word, a "phrase" or a rule such as kuril* NOT sport')
    node = compile_rule(text)  # check_topic_rule has read it: it compiles, and is not empty
    assert node is not None
    return node


def _hits(session: Session, node: Node, ranked: list[tuple[int, float]]) -> list[EventHit]:
    if not ranked:
        return []
    ids = [event_id for event_id, _ in ranked]
    query = select(Event.id, Event.occurred_at, Event.title, Event.url, Source.name, Event.summary).join(
        Source
    )
    rows = {row[0]: row for row in session.execute(query.where(Event.id.in_(ids)))}
    hits = []
    for event_id, score in ranked:
        _, when, title, url, source, summary = rows[event_id]
        hits.append(
            EventHit(
                event_id, when, title, url, source, score, snippet(node, title, 300), snippet(node, summary)
            )
        )
    return hits


def search_events(
    database: Database,
    query: str,
    *,
    question_id: int | None = None,
    since: datetime | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[EventHit]:
    """The best events for ``query``, best first; only those linked to ``question_id`` if given."""
    node = compiled(query)
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(Event.occurred_at >= since)
    if question_id is not None:
        where.append(
            Event.id.in_(select(EventQuestion.event_id).where(EventQuestion.question_id == question_id))
        )
    with database.read_session() as session:
        if question_id is not None:
            load_question(session, question_id)
        ranked = ranked_search(session.connection(), node, where=where, limit=limit)
        return _hits(session, node, [(r.event_id, r.score) for r in ranked])


def _load_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event", event_id)
    return event


@dataclass(frozen=True)
class LinkChange:
    event_id: int
    event_title: str
    question_id: int
    question_title: str
    changed: bool  # False: it was linked (or unlinked) already


def link_event(
    database: Database, event_id: int, question_id: int, *, now: datetime | None = None
) -> LinkChange:
    """Link by hand; this also lifts an earlier unlink of the pair."""
    with database.write_session() as session:
        event, question = _load_event(session, event_id), load_question(session, question_id)
        added = link(
            session.connection(),
            [(event.id, question.id)],
            origin="manual",
            now=now or _now(),
            by_person=True,
        )
        return LinkChange(event.id, event.title, question.id, question.title, added > 0)


def unlink_event(
    database: Database, event_id: int, question_id: int, *, now: datetime | None = None
) -> LinkChange:
    """Unlink, and remember it: rules, sources and imports will not link the pair again."""
    with database.write_session() as session:
        event, question = _load_event(session, event_id), load_question(session, question_id)
        removed = unlink(session.connection(), event.id, question.id, now or _now())
        return LinkChange(event.id, event.title, question.id, question.title, removed)


def _now() -> datetime:
    return datetime.now(UTC)


# --- watch rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchResult:
    question_id: int
    rule: str | None  # None: the question watches nothing now
    linked: int  # links the back-fill added
    matching: int  # stored events the rule matches (linked or not)


def _backfill(connection: Connection, question: Question, node: Node, progress: Progress | None) -> int:
    steps = list(id_ranges(connection, BACKFILL_STEP))
    added = 0
    for done, (first, last) in enumerate(steps, start=1):
        added += link_matching(
            connection,
            question.id,
            node,
            origin="rule",
            now=_now(),
            id_range=(first, last),
            until=question.closes_at,
        )
        if progress is not None:
            progress(done, len(steps))
    return added


def watch_question(
    database: Database, question_id: int, rule: str | None, *, progress: Progress | None = None
) -> WatchResult:
    """Set (or, with an empty rule, remove) the question's watch rule and link the stored events it
    matches. Links made earlier stay; a person's unlinks are respected."""
    text = rules.check_topic_rule(rule, "rule")
    with database.write_session() as session:
        question = load_question(session, question_id)
        question.watch_rule = text
        session.flush()
        if text is None:
            return WatchResult(question.id, None, 0, 0)
        node = compiled(text, "rule")
        connection = session.connection()
        added = _backfill(connection, question, node, progress)
        return WatchResult(question.id, text, added, count_matching(connection, node))


def watched_questions(database: Database) -> list[tuple[int, str, str]]:
    """(id, title, rule) of every question that watches a rule."""
    query = select(Question.id, Question.title, Question.watch_rule).where(Question.watch_rule.is_not(None))
    with database.read_session() as session:
        return [(int(i), str(t), str(r)) for i, t, r in session.execute(query.order_by(Question.id))]


# --- a question's events --------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedEvent:
    id: int
    occurred_at: datetime
    title: str
    url: str | None
    source: str
    origin: str  # source | rule | manual | cited
    linked_at: datetime
    cited_by: int  # forecasts on this question that cite it
    new: bool  # happened after the person's latest forecast (when a person is given)
    title_snippet: Snippet
    summary_snippet: Snippet
    score: float | None = None  # how well it matches the question's watch rule (None: it does not)


def _latest_forecast_at(session: Session, question_id: int, forecaster: str | None) -> datetime | None:
    if not forecaster:
        return None
    query = (
        select(func.max(Forecast.made_at))
        .join(Forecaster)
        .where(Forecast.question_id == question_id, Forecaster.name == forecaster)
    )
    return session.scalar(query)


def linked_events(
    database: Database, question_id: int, *, forecaster: str | None = None, limit: int = 500
) -> list[LinkedEvent]:
    """The question's linked events, newest first, with why each is linked and its snippet for the
    question's watch rule; ``new`` marks those after ``forecaster``'s latest forecast on it."""
    with database.read_session() as session:
        question = load_question(session, question_id)
        node = _rule_or_none(question.watch_rule)
        since = _latest_forecast_at(session, question.id, forecaster)
        cited = (
            select(ForecastEvent.event_id, func.count().label("n"))
            .join(Forecast, Forecast.id == ForecastEvent.forecast_id)
            .where(Forecast.question_id == question.id)
            .group_by(ForecastEvent.event_id)
            .subquery()
        )
        query = (
            select(
                Event.id,
                Event.occurred_at,
                Event.title,
                Event.url,
                Source.name,
                EventQuestion.origin,
                EventQuestion.created_at,
                func.coalesce(cited.c.n, 0),
                Event.summary,
            )
            .join(Source, Source.id == Event.source_id)
            .join(EventQuestion, EventQuestion.event_id == Event.id)
            .outerjoin(cited, cited.c.event_id == Event.id)
            .where(EventQuestion.question_id == question.id)
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(limit)
        )
        rows = session.execute(query).all()
        scores = _scores(session, node, question.id, len(rows))
        return [
            LinkedEvent(
                i, when, title, url, source, origin, linked_at, int(n),
                since is not None and when > since,
                snippet(node, title, 300), snippet(node, summary), scores.get(i),
            )
            for i, when, title, url, source, origin, linked_at, n, summary in rows
        ]  # fmt: skip


def _scores(session: Session, node: Node | None, question_id: int, limit: int) -> dict[int, float]:
    """Rank of the linked events under the question's watch rule."""
    if node is None or not limit:
        return {}
    linked = Event.id.in_(select(EventQuestion.event_id).where(EventQuestion.question_id == question_id))
    ranked = ranked_search(session.connection(), node, where=[linked], limit=limit)
    return {r.event_id: r.score for r in ranked}


def _rule_or_none(rule: str | None) -> Node | None:
    try:
        return compile_rule(rule)
    except RuleError:
        return None


# --- what is new ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewOnQuestion:
    question_id: int
    question_title: str
    last_forecast_at: datetime
    events: tuple[tuple[int, str], ...]  # (event id, title), newest first


def new_since_last_forecast(database: Database, forecaster: str) -> list[NewOnQuestion]:
    """For each open question ``forecaster`` has forecast, the linked events that happened after
    their latest forecast on it, most events first."""
    latest = (
        select(Forecast.question_id, func.max(Forecast.made_at).label("at"))
        .join(Forecaster)
        .where(Forecaster.name == forecaster)
        .group_by(Forecast.question_id)
        .subquery()
    )
    query = (
        select(Question, latest.c.at, Event.id, Event.title)
        .join(latest, latest.c.question_id == Question.id)
        .join(EventQuestion, EventQuestion.question_id == Question.id)
        .join(Event, Event.id == EventQuestion.event_id)
        .where(Event.occurred_at > latest.c.at)
        .order_by(Question.id, Event.occurred_at.desc(), Event.id.desc())
    )
    grouped: dict[int, tuple[Question, datetime, list[tuple[int, str]]]] = {}
    with database.read_session() as session:
        for question, at, event_id, title in session.execute(query):
            if settled_as(question) is not None or (question.closes_at and question.closes_at <= _now()):
                continue
            grouped.setdefault(question.id, (question, at, []))[2].append((int(event_id), str(title)))
    found = [NewOnQuestion(q.id, q.title, at, tuple(events)) for q, at, events in grouped.values()]
    return sorted(found, key=lambda item: (-len(item.events), item.question_title))


def count_new(items: Sequence[NewOnQuestion]) -> tuple[int, int]:
    """(new events, questions they are on)."""
    return sum(len(item.events) for item in items), len(items)


# --- what moved a forecast --------------------------------------------------------------------

CITATION_COLUMNS = [
    "forecast_id",
    "forecaster",
    "made_at",
    "probability",
    "event_id",
    "title",
    "occurred_at",
    "url",
]


def citations(database: Database, question_id: int) -> pd.DataFrame:
    """Each forecast on the question that cites an event, one row per (forecast, event): what the
    chart joins from a step to the event's rule."""
    query = (
        select(
            Forecast.id,
            Forecaster.name,
            Forecast.made_at,
            Forecast.probability,
            Event.id,
            Event.title,
            Event.occurred_at,
            Event.url,
        )
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .join(ForecastEvent, ForecastEvent.forecast_id == Forecast.id)
        .join(Event, Event.id == ForecastEvent.event_id)
        .where(Forecast.question_id == question_id)
        .order_by(Forecast.made_at, Event.occurred_at)
    )
    with database.read_session() as session:
        rows = [tuple(row) for row in session.execute(query)]
    frame = pd.DataFrame(rows, columns=CITATION_COLUMNS)
    for column in ("made_at", "occurred_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


@dataclass(frozen=True)
class CrowdMove:
    forecaster: str
    start: datetime
    end: datetime
    before: float
    after: float
    events: tuple[tuple[int, str], ...]  # linked events in the 48 hours before it, and during it


def crowd_moves(database: Database, question_id: int, *, threshold: float = 0.10) -> list[CrowdMove]:
    """For each crowd series on the question, its moves of ``threshold`` or more within 48 hours,
    each with the linked events from 48 hours before it began until it ended."""
    query = (
        select(Forecaster.name, Forecast.made_at, Forecast.probability)
        .join(Forecaster)
        .where(
            Forecast.question_id == question_id, Forecaster.kind == "crowd", Forecast.probability.is_not(None)
        )
        .order_by(Forecaster.name, Forecast.made_at)
    )
    events_query = (
        select(Event.id, Event.title, Event.occurred_at)
        .join(EventQuestion, EventQuestion.event_id == Event.id)
        .where(EventQuestion.question_id == question_id)
        .order_by(Event.occurred_at)
    )
    with database.read_session() as session:
        load_question(session, question_id)
        rows = session.execute(query).all()
        linked = session.execute(events_query).all()
    series: dict[str, list[tuple[datetime, float]]] = {}
    for name, when, p in rows:
        if p is not None:  # the query keeps yes/no forecasts only; the type checker cannot see it
            series.setdefault(str(name), []).append((when, float(p)))
    found = []
    for name, points in series.items():
        times = np.array([when.timestamp() for when, _ in points])
        for move in big_moves(times, np.array([p for _, p in points]), threshold, HOURS_48):
            start, end = (datetime.fromtimestamp(t, UTC) for t in (move.start, move.end))
            before = [
                (int(i), str(t))
                for i, t, at in linked
                if start.timestamp() - HOURS_48 <= at.timestamp() <= end.timestamp()
            ]
            found.append(CrowdMove(name, start, end, move.before, move.after, tuple(reversed(before))))
    return sorted(found, key=lambda m: m.end)


LIVELY_WINDOW = pd.Timedelta(days=60)


LIVELY_CANDIDATES = 200  # the questions most recently forecast on: where "lively" is looked for


def liveliest_question(database: Database) -> int | None:
    """Among the 200 questions most recently forecast on, the one with the most going on in the two
    months before its latest forecast: updates that changed a value, plus linked events. What
    the Timeline opens on (the demo: the December 2016 treaty question), not a line that stayed
    flat for years; the newest wins a tie."""
    newest = select(Forecast.id, Forecast.question_id).order_by(Forecast.id.desc()).limit(20_000).subquery()
    recent = (  # read from the newest rows, not a sort of every forecast
        select(newest.c.question_id)
        .group_by(newest.c.question_id)
        .order_by(func.max(newest.c.id).desc())
        .limit(LIVELY_CANDIDATES)
    )
    with database.read_session() as session:
        candidates = [int(q) for q in session.scalars(recent)]
        if not candidates:
            return None
        change = Forecast.probability - func.lag(Forecast.probability).over(
            partition_by=(Forecast.question_id, Forecast.forecaster_id), order_by=Forecast.made_at
        )
        steps = select(Forecast.question_id, Forecast.made_at, change).where(
            Forecast.probability.is_not(None), Forecast.question_id.in_(candidates)
        )
        linked = (
            select(EventQuestion.question_id, Event.occurred_at)
            .join(Event, Event.id == EventQuestion.event_id)
            .where(EventQuestion.question_id.in_(candidates))
        )
        forecasts_ = pd.DataFrame(session.execute(steps).all(), columns=["question_id", "at", "change"])
        events_ = pd.DataFrame(session.execute(linked).all(), columns=["question_id", "at"])
    for frame in (forecasts_, events_):
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
    latest = forecasts_.groupby("question_id")["at"].max()
    updates = forecasts_[forecasts_["change"].abs() > 1e-9]
    activity = _within(updates, latest).add(_within(events_, latest), fill_value=0)
    ranked = pd.DataFrame({"activity": activity, "latest": latest}).fillna({"activity": 0})
    return int(ranked.sort_values(["activity", "latest"], ascending=False).index[0])


def _within(frame: pd.DataFrame, latest: pd.Series) -> pd.Series:
    """Rows per question in the window before that question's latest forecast."""
    end = frame["question_id"].map(latest)
    inside = frame[(frame["at"] <= end) & (frame["at"] >= end - LIVELY_WINDOW)]
    return inside.groupby("question_id").size().astype(float)
