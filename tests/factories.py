"""Small factories for tests, in the style of Metaculus' F / A / S helpers.

Each writes through the services (so the rules apply) with defaults for
everything, and takes times as days after a fixed epoch, so a line reads like a
sentence: ``F(db, q, 0.7, by="ana", at=5)`` is Ana's 70 % on day 5.

    q = Q(db, opens=0, closes=60)
    F(db, q, 0.2, at=1); F(db, q, 0.9, by="bo", at=2)
    R(db, q, "no", at=30)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import select

from db import Database
from db.events import EventValues, upsert_events
from db.models import Event
from forecasts.scoring.numeric import NumericRange
from services import forecasts, questions, resolutions, sources
from services.forecasts import ForecastInput, SavedForecast
from services.questions import NewQuestion
from services.resolutions import RecordedResolution
from services.sources import NewSource, SourceStatus

EPOCH = datetime(2016, 10, 1, tzinfo=UTC)
_serial = count(1)


def day(n: float) -> datetime:
    """``n`` days after the epoch (1 Oct 2016, UTC)."""
    return EPOCH + timedelta(days=n)


def Q(  # noqa: N802 - a factory named like the thing it makes, as in the Metaculus tests
    database: Database,
    title: str | None = None,
    *,
    opens: float = 0,
    closes: float | None = 90,
    resolve_by: float | None = None,
    options: Sequence[str] | None = None,
    tags: Sequence[str] = (),
    criteria: str = "",
) -> int:
    """A question (yes/no, or multiple choice when ``options`` are given); returns its id."""
    new = NewQuestion(
        title=title or f"Will test question {next(_serial)} resolve yes?",
        resolution_criteria=criteria,
        type="multiple_choice" if options else "binary",
        options=options,
        opens_at=day(opens),
        closes_at=day(closes) if closes is not None else None,
        resolve_by=day(resolve_by) if resolve_by is not None else None,
        tags=tags,
    )
    return questions.create_question(database, new).id


def F(  # noqa: N802
    database: Database,
    question_id: int,
    p: float | Sequence[float] = 0.5,
    *,
    by: str = "ana",
    at: float = 1,
    why: str = "",
) -> SavedForecast:
    """A forecast: P(yes), or one probability per option."""
    values = {"probability": p} if isinstance(p, float | int) else {"option_probabilities": list(p)}
    given = ForecastInput(by, made_at=day(at), rationale=why, **values)
    return forecasts.add_forecast(database, question_id, given)


def R(  # noqa: N802
    database: Database, question_id: int, outcome: str = "yes", *, at: float = 60, note: str = ""
) -> RecordedResolution:
    """A resolution: yes / no / annulled, or an option's name for multiple choice."""
    is_option = outcome not in ("yes", "no", "annulled")
    return resolutions.resolve(
        database,
        question_id,
        outcome="option" if is_option else outcome,
        option=outcome if is_option else None,
        resolved_at=day(at),
        note=note,
    )


def NQ(  # noqa: N802
    database: Database,
    title: str = "Brent on 2016-12-30 (USD a barrel)",
    *,
    lower: float = 20.0,
    upper: float = 120.0,
    open_lower: bool = False,
    open_upper: bool = False,
    log_scale: bool = False,
    unit: str = "USD",
    opens: float = 0,
    closes: float | None = 90,
    tags: Sequence[str] = (),
) -> int:
    """A numeric question over [lower, upper]; returns its id."""
    scale = NumericRange(lower, upper, lower_open=open_lower, upper_open=open_upper, log_scale=log_scale)
    new = NewQuestion(
        title=title,
        type="numeric",
        scale=scale,
        unit=unit,
        opens_at=day(opens),
        closes_at=day(closes) if closes is not None else None,
        tags=tags,
    )
    return questions.create_question(database, new).id


def NF(  # noqa: N802
    database: Database,
    question_id: int,
    median: float,
    low: float,
    high: float,
    *,
    by: str = "ana",
    at: float = 1,
) -> SavedForecast:
    """A numeric forecast: a median and its 90 % interval, as quick entry writes ``55 (48–62)``."""
    pairs = ((0.05, low), (0.5, median), (0.95, high))
    return forecasts.add_forecast(database, question_id, ForecastInput(by, quantiles=pairs, made_at=day(at)))


def NR(database: Database, question_id: int, value: float, *, at: float = 60) -> RecordedResolution:  # noqa: N802
    """A numeric question resolved to ``value``."""
    return resolutions.resolve(database, question_id, outcome="value", value=value, resolved_at=day(at))


def S(  # noqa: N802
    database: Database,
    name: str = "wire",
    *,
    kind: str = "rss",
    url: str | None = "http://127.0.0.1:9/feed",
    **more: object,
) -> SourceStatus:
    """A source, enabled, with whatever else ``NewSource`` takes."""
    return sources.add_source(database, NewSource(name=name, kind=kind, url=url, **more))


def E(  # noqa: N802
    database: Database,
    source_id: int,
    title: str,
    *,
    at: float = 10,
    key: str | None = None,
    url: str | None = None,
    summary: str = "",
    questions: Sequence[int] = (),
    tags: Sequence[str] = (),
) -> int:
    """An event from ``source_id``, stored through the one event upsert (linked to ``questions`` as
    their source's events are); returns its id."""
    key = key or f"event-{next(_serial)}"
    values = EventValues(
        key,
        day(at),
        False,
        title,
        summary,
        url,
        None,
        tuple(tags),
        tuple((q, "source") for q in questions),
    )
    with database.write_session() as session:
        upsert_events(session.connection(), source_id, [values])
        return int(
            session.scalar(select(Event.id).where(Event.source_id == source_id, Event.dedupe_key == key))
        )
