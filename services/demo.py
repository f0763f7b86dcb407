"""The demo scenario: the December 2016 Abe–Putin summit and what followed.

The data lives beside this module in ``demo_data/`` (questions and forecasters
in TOML, events and forecasts in CSV) so it can be read and corrected without
touching code. Outcomes and dates are real; the forecasts are illustrative.

The demo is read into a :class:`~services.transfer.records.Bundle`, checked by
the same rules as any import, and stored by the same writer, in its
"only what is missing" mode: a second load changes nothing and a user's own
edits (and undos) of demo rows are never overwritten.
"""

from __future__ import annotations

import csv
import os
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from db import Database
from db.models import AppSetting, Event, Forecast, Forecaster, Question, Source
from forecasts.errors import Refused
from services.demo_common import (
    CLOSES_TIME,
    DEMO_DATA,
    DEMO_RESOLUTION_SOURCE,
    DEMO_SOURCE_NAME,
    EVENT_TIME,
    FORECAST_TIME,
    OPENS_TIME,
    RESOLVED_TIME,
    as_utc,
)
from services.demo_numeric import load_numeric_demo
from services.transfer import ImportCounts, import_bundle
from services.transfer.builder import BundleBuilder
from services.transfer.reading import RowProblem
from services.transfer.records import (
    Bundle,
    EventRecord,
    ForecastRecord,
    QuestionRecord,
    ResolutionRecord,
    SourceRecord,
)

DEMO_UID_PREFIX = "demo-"
FIRST_OPEN_SETTING = "first_open_done"
# Set TRACKER_DEMO=0 to start the dashboard on an empty database.
DEMO_ENV = "TRACKER_DEMO"
DEMO_NOTE = (
    "Demo scenario: the December 2016 Abe–Putin summit. Outcomes and dates are real, "
    "with sources; the demo forecasts are illustrative."
)


class DemoDataError(Refused):
    """A demo data file breaks a rule; the message names the file and row."""


def read_scenario(data_dir: Path = DEMO_DATA) -> dict[str, Any]:
    with open(data_dir / "scenario.toml", "rb") as handle:
        return tomllib.load(handle)


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers (the header is line 1)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [(line, row) for line, row in enumerate(csv.DictReader(handle), start=2)]


def _split(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def _questions(builder: BundleBuilder, scenario: dict[str, Any]) -> None:
    for position, entry in enumerate(scenario["question"], start=1):
        opens, closes = as_utc(entry["opens"], OPENS_TIME), as_utc(entry["closes"], CLOSES_TIME)
        options = tuple(entry["options"]) if entry.get("options") else None
        record = QuestionRecord(
            entry["uid"],
            entry["title"],
            entry.get("description", ""),
            entry.get("criteria", ""),
            entry.get("type", "binary"),
            options,
            tuple(entry.get("tags", [])),
            opens,
            opens,
            closes,
            closes,
            entry.get("watch"),
            bool(entry.get("ordered", False)),
        )
        builder.question(record)
        if "outcome" in entry:
            resolved = as_utc(entry["resolved"], RESOLVED_TIME)
            note = f"Real outcome. Source: {entry['source']}"
            builder.resolution(
                ResolutionRecord(
                    record.uid,
                    entry["outcome"],
                    entry.get("option"),
                    resolved,
                    resolved,
                    note,
                    DEMO_RESOLUTION_SOURCE,
                ),
                position,
            )


def _forecasts(builder: BundleBuilder, path: Path, crowds: set[str]) -> None:
    for line, row in _read_csv(path):
        question = builder.questions.get(row["question"])
        if question is None:
            raise RowProblem("question", f"unknown question {row['question']!r}")
        values = tuple(float(v) for v in _split(row["probability"], "|"))
        made_at = as_utc(row["made_at"], FORECAST_TIME)
        binary = question.type == "binary"
        origin = "crowd" if row["forecaster"] in crowds else "import"
        builder.forecast(
            ForecastRecord(
                question.uid,
                row["forecaster"],
                made_at,
                values[0] if binary else None,
                None if binary else values,
                row["rationale"],
                origin,
                made_at,
                tuple((DEMO_SOURCE_NAME, key) for key in _split(row.get("because", ""), " ")),
            ),
            line,
        )


def _events(bundle: Bundle, path: Path, known_uids: set[str], now: datetime) -> None:
    for line, row in _read_csv(path):
        linked = _split(row["questions"], " ")
        unknown = [uid for uid in linked if uid not in known_uids]
        if unknown:
            raise DemoDataError(f"{path.name} line {line}: unknown question uid(s) {', '.join(unknown)}")
        occurred = as_utc(row["occurred_on"], EVENT_TIME)
        bundle.events.append(
            EventRecord(
                DEMO_SOURCE_NAME,
                row["key"],
                occurred,
                False,
                row["title"],
                row["summary"],
                row["url"] or None,
                None,
                tuple(sorted(_split(row["tags"], ";"))),
                tuple(sorted(linked)),
                now,
                now,
                ("manual",) * len(linked),  # the demo's links were chosen by hand
            )
        )


def _sources(scenario: dict[str, Any], now: datetime) -> list[SourceRecord]:
    """The hand-kept timeline, and live sources for the topic, switched off: the demo works offline."""
    note = {"note": "Hand-curated timeline shipped with the demo; nothing to poll."}
    records = [SourceRecord(DEMO_SOURCE_NAME, "manual", None, note, None, False, None, now)]
    for entry in scenario.get("source", []):
        settings = dict(entry.get("settings", {}))
        if entry.get("tags"):
            settings["tags"] = list(entry["tags"])
        if entry.get("tag_rules"):
            settings["tag_rules"] = dict(entry["tag_rules"])
        records.append(
            SourceRecord(
                entry["name"],
                entry["kind"],
                entry.get("url"),
                settings,
                entry.get("every"),
                False,
                entry.get("match"),
                now,
            )
        )
    return records


def demo_bundle(data_dir: Path = DEMO_DATA, *, now: datetime | None = None) -> Bundle:
    """The whole scenario as one bundle, checked by the import rules (a broken file is refused)."""
    now = now or datetime.now(UTC)
    scenario = read_scenario(data_dir)
    builder = BundleBuilder("demo")
    crowds = {f["name"] for f in scenario["forecaster"] if f["kind"] == "crowd"}
    for entry in scenario["forecaster"]:
        builder.forecaster(entry["name"], entry["kind"], entry.get("description", ""), now)
    try:
        _questions(builder, scenario)
        _forecasts(builder, data_dir / "forecasts.csv", crowds)
    except RowProblem as problem:
        raise DemoDataError(f"demo data: {problem}") from None
    parsed = builder.finish()
    if parsed.errors:
        raise DemoDataError("demo data: " + "; ".join(map(str, parsed.errors)))
    bundle = parsed.bundle
    _events(bundle, data_dir / "events.csv", {q.uid for q in bundle.questions}, now)
    bundle.sources = _sources(scenario, now)
    return bundle


def load_demo(database: Database, data_dir: Path = DEMO_DATA) -> ImportCounts:
    """Add whatever part of the demo scenario is missing; the counts say what was added. The
    numeric and date questions follow the rest (they cite its events)."""
    counts = import_bundle(database, demo_bundle(data_dir), only_missing=True)
    load_numeric_demo(database, counts)
    return counts


def remove_demo(database: Database) -> int:
    """Delete the demo's questions (with their forecasts and resolutions), events and
    forecasters; a forecaster who also forecast on the user's own questions is kept."""
    scenario = read_scenario()
    with database.write_session() as session:
        removed = session.execute(delete(Question).where(Question.uid.like(f"{DEMO_UID_PREFIX}%")))
        source_id = session.scalar(select(Source.id).where(Source.name == DEMO_SOURCE_NAME))
        if source_id is not None:
            session.execute(delete(Event).where(Event.source_id == source_id))
            session.execute(delete(Source).where(Source.id == source_id))
        # The demo's live sources go too, unless the user enabled one and it logged events.
        live = [entry["name"] for entry in scenario.get("source", [])]
        with_events = select(Event.source_id).distinct()
        session.execute(delete(Source).where(Source.name.in_(live), Source.id.not_in(with_events)))
        names = [entry["name"] for entry in scenario["forecaster"]]
        still_used = select(Forecast.forecaster_id).distinct()
        session.execute(
            delete(Forecaster).where(Forecaster.name.in_(names), Forecaster.id.not_in(still_used))
        )
        return int(getattr(removed, "rowcount", 0) or 0)


def demo_loaded(database: Database) -> bool:
    """Are the demo's questions in this database?"""
    with database.read_session() as session:
        found = session.scalar(select(Question.id).where(Question.uid.startswith(DEMO_UID_PREFIX)).limit(1))
    return found is not None


def demo_wanted() -> bool:
    return os.environ.get(DEMO_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def load_demo_on_first_open(database: Database, *, wanted: bool | None = None) -> ImportCounts | None:
    """On the very first open of an empty database, load the demo (unless TRACKER_DEMO=0).

    Remembered in ``app_setting``, so a user who removes the demo does not get it back.
    """
    with database.write_session() as session:
        if session.get(AppSetting, FIRST_OPEN_SETTING) is not None:
            return None
        session.add(AppSetting(key=FIRST_OPEN_SETTING, value=datetime.now(UTC).isoformat()))
        empty = not session.scalar(select(func.count()).select_from(Question))
    if not (demo_wanted() if wanted is None else wanted) or not empty:
        return None
    return load_demo(database)
