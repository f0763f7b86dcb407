"""The demo's numeric and date questions (``demo_data/numeric.toml``): real outcomes with their
sources, illustrative forecasts that react to the demo's events.

Our transfer files do not carry numeric questions yet, so these are written through the
services, after the rest of the demo, each question with its forecasts, links and resolution
in one transaction; a question already there is left as it is (loading twice adds nothing).
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import Database
from db.models import Event, EventQuestion, Question, Source
from forecasts.entry import date_value
from forecasts.scoring.numeric import NumericRange
from services.demo_common import (
    CLOSES_TIME,
    DEMO_DATA,
    DEMO_RESOLUTION_SOURCE,
    DEMO_SOURCE_NAME,
    FORECAST_TIME,
    OPENS_TIME,
    RESOLVED_TIME,
    as_utc,
)
from services.forecasts import ForecastInput, add_forecast_in
from services.questions import NewQuestion, create_question_in
from services.resolutions import resolve_in
from services.transfer import ImportCounts

NUMERIC_FILE = DEMO_DATA / "numeric.toml"
CROWD_PREFIX = "crowd:"


def read_numeric(path: Any = NUMERIC_FILE) -> list[dict[str, Any]]:
    with open(path, "rb") as handle:
        return list(tomllib.load(handle)["question"])


def _value(entry: dict[str, Any], key: str) -> float:
    raw = entry[key]
    return date_value(raw) if isinstance(raw, date) else float(raw)


def _event_ids(session: Session, keys: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(Event.dedupe_key, Event.id)
        .join(Source, Source.id == Event.source_id)
        .where(Source.name == DEMO_SOURCE_NAME, Event.dedupe_key.in_(keys))
    )
    return {str(key): int(event_id) for key, event_id in rows}


def _new_question(entry: dict[str, Any]) -> NewQuestion:
    scale = NumericRange(
        _value(entry, "lower"),
        _value(entry, "upper"),
        lower_open=bool(entry.get("lower_open", False)),
        upper_open=bool(entry.get("upper_open", False)),
    )
    return NewQuestion(
        title=entry["title"],
        resolution_criteria=entry.get("criteria", ""),
        type=entry["type"],
        scale=scale,
        unit=entry.get("unit", ""),
        opens_at=as_utc(entry["opens"], OPENS_TIME),
        closes_at=as_utc(entry["closes"], CLOSES_TIME),
        tags=tuple(entry.get("tags", ())),
    )


def _forecast(entry: dict[str, Any], events: dict[str, int]) -> ForecastInput:
    crowd = entry["by"].startswith(CROWD_PREFIX)
    pairs = ((0.05, _value(entry, "low")), (0.5, _value(entry, "median")), (0.95, _value(entry, "high")))
    return ForecastInput(
        entry["by"],
        quantiles=pairs,
        made_at=as_utc(entry["at"], FORECAST_TIME),
        rationale=entry.get("why", ""),
        origin="crowd" if crowd else "import",
        forecaster_kind="crowd" if crowd else "person",
        because=[events[key] for key in entry.get("because", ())],
    )


def _write_question(session: Session, entry: dict[str, Any], now: datetime) -> None:
    question = create_question_in(session, _new_question(entry), now=now)
    question.uid = entry["uid"]
    events = _event_ids(session, list(entry.get("events", ())))
    for event_id in events.values():
        session.add(EventQuestion(event_id=event_id, question_id=question.id, origin="manual"))
    session.flush()
    for forecast in entry["forecasts"]:
        add_forecast_in(session, question.id, _forecast(forecast, events), now=now)
    resolve_in(
        session,
        question.id,
        outcome="value",
        value=_value(entry, "value"),
        resolved_at=as_utc(entry["resolved"], RESOLVED_TIME),
        note=f"Real outcome. Source: {entry['source']}",
        source=DEMO_RESOLUTION_SOURCE,
        now=now,
    )


def load_numeric_demo(database: Database, counts: ImportCounts, *, now: datetime | None = None) -> None:
    """Add the demo's numeric and date questions that are missing, counting them into ``counts``."""
    current = now or datetime.now(UTC)
    for entry in read_numeric():
        with database.write_session() as session:
            known = session.scalar(select(Question.id).where(Question.uid == entry["uid"])) is not None
            if not known:
                _write_question(session, entry, current)
        n_forecasts = len(entry["forecasts"])
        counts.add("questions", new=int(not known), unchanged=int(known))
        counts.add("forecasts", new=0 if known else n_forecasts, unchanged=n_forecasts if known else 0)
        counts.add("resolutions", new=int(not known), unchanged=int(known))
