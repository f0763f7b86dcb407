"""The demo scenario: the December 2016 Abe–Putin summit and what followed.

The data lives beside this module in ``demo_data/`` (questions and forecasters
in TOML, events and forecasts in CSV) so it can be read and corrected without
touching code. Outcomes and dates are real; the forecasts are illustrative.

Loading is idempotent: rows are matched on their natural keys (question uid,
forecaster name, source + event key, question + forecaster + time) and only
missing rows are added, so a second load changes nothing and a user's own
edits are never overwritten.
"""

from __future__ import annotations

import csv
import os
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import (
    AppSetting,
    Event,
    EventQuestion,
    Forecast,
    Forecaster,
    Question,
    Resolution,
    Source,
)

DEMO_DATA = Path(__file__).with_name("demo_data")
DEMO_UID_PREFIX = "demo-"
DEMO_SOURCE_NAME = "demo-timeline"
DEMO_RESOLUTION_SOURCE = "demo"
FIRST_OPEN_SETTING = "first_open_done"
# Set TRACKER_DEMO=0 to start the dashboard on an empty database.
DEMO_ENV = "TRACKER_DEMO"

# Bare dates in the data files become these UTC times of day.
OPENS_TIME = time(0, 0)
CLOSES_TIME = time(23, 59)
RESOLVED_TIME = time(12, 0)
FORECAST_TIME = time(12, 0)
EVENT_TIME = time(6, 0)  # before same-day forecasts, which react to it


class DemoDataError(ValueError):
    """A demo data file breaks a rule; the message names the file and row."""


@dataclass
class LoadReport:
    """What a demo load added; everything else was already there."""

    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        self.added[kind] = self.added.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.added.values())


def as_utc(value: date | datetime | str, default_time: time) -> datetime:
    """A TOML/CSV date or local datetime, read as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, default_time, tzinfo=UTC)


def read_scenario(data_dir: Path = DEMO_DATA) -> dict[str, Any]:
    with open(data_dir / "scenario.toml", "rb") as handle:
        return tomllib.load(handle)


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers (the header is line 1)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(line, row) for line, row in enumerate(csv.DictReader(handle), start=2)]


def _split(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def _load_forecasters(
    session: Session, scenario: dict[str, Any], report: LoadReport
) -> dict[str, Forecaster]:
    by_name = {f.name: f for f in session.scalars(select(Forecaster))}
    for entry in scenario["forecaster"]:
        if entry["name"] not in by_name:
            forecaster = Forecaster(
                name=entry["name"], kind=entry["kind"], description=entry.get("description", "")
            )
            session.add(forecaster)
            by_name[forecaster.name] = forecaster
            report.count("forecasters")
    return by_name


def _load_questions(session: Session, scenario: dict[str, Any], report: LoadReport) -> dict[str, Question]:
    existing = {
        q.uid: q for q in session.scalars(select(Question).where(Question.uid.like(f"{DEMO_UID_PREFIX}%")))
    }
    for entry in scenario["question"]:
        uid = entry["uid"]
        question = existing.get(uid)
        if question is None:
            question = Question(
                uid=uid,
                title=entry["title"],
                description=entry.get("description", ""),
                resolution_criteria=entry.get("criteria", ""),
                type=entry.get("type", "binary"),
                options=entry.get("options"),
                created_at=as_utc(entry["opens"], OPENS_TIME),
                opens_at=as_utc(entry["opens"], OPENS_TIME),
                closes_at=as_utc(entry["closes"], CLOSES_TIME),
                resolve_by=as_utc(entry["closes"], CLOSES_TIME),
            )
            question.tags.extend(entry.get("tags", []))
            session.add(question)
            existing[uid] = question
            report.count("questions")
        if "outcome" in entry and not question.resolutions:
            question.resolutions.append(
                Resolution(
                    outcome=entry["outcome"],
                    option=entry.get("option"),
                    resolved_at=as_utc(entry["resolved"], RESOLVED_TIME),
                    note=f"Real outcome. Source: {entry['source']}",
                    source=DEMO_RESOLUTION_SOURCE,
                )
            )
            report.count("resolutions")
    session.flush()
    return existing


def _load_forecasts(
    session: Session,
    path: Path,
    questions: dict[str, Question],
    forecasters: dict[str, Forecaster],
    report: LoadReport,
) -> None:
    question_ids = [q.id for q in questions.values()]
    seen: set[tuple[int, int, datetime]] = set(
        session.execute(
            select(Forecast.question_id, Forecast.forecaster_id, Forecast.made_at).where(
                Forecast.question_id.in_(question_ids)
            )
        ).all()
    )
    for line, row in _read_csv(path):
        question = questions.get(row["question"])
        forecaster = forecasters.get(row["forecaster"])
        if question is None or forecaster is None:
            raise DemoDataError(
                f"{path.name} line {line}: unknown question {row['question']!r} "
                f"or forecaster {row['forecaster']!r}"
            )
        made_at = as_utc(row["made_at"], FORECAST_TIME)
        if (question.id, forecaster.id, made_at) in seen:
            continue
        values = [float(v) for v in _split(row["probability"], "|")]
        is_binary = question.type == "binary"
        session.add(
            Forecast(
                question=question,
                forecaster=forecaster,
                made_at=made_at,
                probability=values[0] if is_binary else None,
                option_probabilities=None if is_binary else values,
                rationale=row["rationale"],
                origin="crowd" if forecaster.kind == "crowd" else "import",
            )
        )
        seen.add((question.id, forecaster.id, made_at))
        report.count("forecasts")


def _demo_source(session: Session, report: LoadReport) -> Source:
    source = session.scalar(select(Source).where(Source.name == DEMO_SOURCE_NAME))
    if source is None:
        source = Source(
            name=DEMO_SOURCE_NAME,
            kind="manual",
            enabled=False,
            settings={"note": "Hand-curated timeline shipped with the demo; nothing to poll."},
        )
        session.add(source)
        session.flush()
        report.count("sources")
    return source


def _load_events(session: Session, path: Path, questions: dict[str, Question], report: LoadReport) -> None:
    source = _demo_source(session, report)
    known = set(session.scalars(select(Event.dedupe_key).where(Event.source_id == source.id)))
    for line, row in _read_csv(path):
        if row["key"] in known:
            continue
        linked = _split(row["questions"], " ")
        unknown = [uid for uid in linked if uid not in questions]
        if unknown:
            raise DemoDataError(f"{path.name} line {line}: unknown question uid(s) {', '.join(unknown)}")
        event = Event(
            source=source,
            dedupe_key=row["key"],
            occurred_at=as_utc(row["occurred_on"], EVENT_TIME),
            title=row["title"],
            summary=row["summary"],
            url=row["url"] or None,
        )
        event.tags.extend(_split(row["tags"], ";"))
        event.question_links.extend(EventQuestion(question_id=questions[uid].id) for uid in linked)
        session.add(event)
        known.add(row["key"])
        report.count("events")


def _load_sources(session: Session, scenario: dict[str, Any], report: LoadReport) -> None:
    """Live sources for the topic, added switched off: the demo must work offline."""
    known = set(session.scalars(select(Source.name)))
    for entry in scenario.get("source", []):
        if entry["name"] in known:
            continue
        settings = dict(entry.get("settings", {}))
        if entry.get("tags"):
            settings["tags"] = list(entry["tags"])
        if entry.get("tag_rules"):
            settings["tag_rules"] = dict(entry["tag_rules"])
        session.add(
            Source(
                name=entry["name"],
                kind=entry["kind"],
                url=entry.get("url"),
                every_seconds=entry.get("every"),
                match_rule=entry.get("match"),
                settings=settings,
                enabled=False,
            )
        )
        report.count("sources")


def load_demo(session: Session, data_dir: Path = DEMO_DATA) -> LoadReport:
    """Add whatever part of the demo scenario is missing; return what was added."""
    report = LoadReport()
    scenario = read_scenario(data_dir)
    forecasters = _load_forecasters(session, scenario, report)
    questions = _load_questions(session, scenario, report)
    _load_forecasts(session, data_dir / "forecasts.csv", questions, forecasters, report)
    _load_events(session, data_dir / "events.csv", questions, report)
    _load_sources(session, scenario, report)
    session.flush()
    return report


def remove_demo(session: Session) -> int:
    """Delete the demo's questions (with their forecasts and resolutions), events and
    forecasters; a forecaster who also forecast on the user's own questions is kept."""
    n_questions = session.execute(delete(Question).where(Question.uid.like(f"{DEMO_UID_PREFIX}%"))).rowcount
    source_id = session.scalar(select(Source.id).where(Source.name == DEMO_SOURCE_NAME))
    if source_id is not None:
        session.execute(delete(Event).where(Event.source_id == source_id))
        session.execute(delete(Source).where(Source.id == source_id))
    scenario = read_scenario()
    # The demo's live sources go too, unless the user enabled one and it logged events.
    with_events = select(Event.source_id).distinct()
    session.execute(
        delete(Source).where(
            Source.name.in_([entry["name"] for entry in scenario.get("source", [])]),
            Source.id.not_in(with_events),
        )
    )
    demo_names = [entry["name"] for entry in scenario["forecaster"]]
    still_used = select(Forecast.forecaster_id).distinct()
    session.execute(
        delete(Forecaster).where(Forecaster.name.in_(demo_names), Forecaster.id.not_in(still_used))
    )
    return n_questions


def demo_wanted() -> bool:
    return os.environ.get(DEMO_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def load_demo_on_first_open(session: Session, *, wanted: bool | None = None) -> LoadReport | None:
    """On the very first open of an empty database, load the demo (unless TRACKER_DEMO=0).

    Remembered in ``app_setting``, so a user who removes the demo does not get it back.
    """
    if session.get(AppSetting, FIRST_OPEN_SETTING) is not None:
        return None
    session.add(AppSetting(key=FIRST_OPEN_SETTING, value=datetime.now(UTC).isoformat()))
    wanted = demo_wanted() if wanted is None else wanted
    if not wanted or session.scalar(select(func.count()).select_from(Question)):
        session.flush()
        return None
    return load_demo(session)
