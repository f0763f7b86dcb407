"""Export: the database as a :class:`Bundle`, and a bundle as our CSV or JSON.

The output is deterministic (fixed row order, fixed time format, shortest
round-trip floats), so export → import into an empty database → export gives
the same bytes.

- **CSV**: one row per forecast with every question, forecast and current
  resolution field (a question without forecasts gets one row with the forecast
  columns empty), plus an events CSV. Lists are JSON arrays inside the cell (a
  numeric forecast's quantiles as [[level, value], …]; a date as seconds since 1970).
- **JSON**: a full dump: forecasters, questions, forecasts, every resolution
  ever recorded (undos included), sources and events.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Event,
    EventQuestion,
    EventTag,
    EventUnlink,
    Forecast,
    Forecaster,
    ForecastEvent,
    Question,
    QuestionTag,
    Resolution,
    Source,
)
from services.transfer.cells import spreadsheet_safe
from services.transfer.records import (
    Bundle,
    EventRecord,
    ForecasterRecord,
    ForecastRecord,
    QuestionRecord,
    ResolutionRecord,
    SourceRecord,
)

FORMAT_NAME = "summit-watch"
FORMAT_VERSION = 1

FORECAST_COLUMNS = (
    "question_uid",
    "question_title",
    "question_description",
    "resolution_criteria",
    "question_type",
    "options",
    "options_ordered",
    "unit",
    "range_lower",
    "range_upper",
    "lower_open",
    "upper_open",
    "log_scale",
    "tags",
    "question_created_at",
    "opens_at",
    "closes_at",
    "resolve_by",
    "watch_rule",
    "forecaster",
    "forecaster_kind",
    "made_at",
    "probability",
    "option_probabilities",
    "quantiles",
    "rationale",
    "because",
    "origin",
    "recorded_at",
    "resolution_outcome",
    "resolution_option",
    "resolution_value",
    "resolved_at",
    "resolution_recorded_at",
    "resolution_note",
    "resolution_source",
)
EVENT_COLUMNS = (
    "source",
    "source_kind",
    "dedupe_key",
    "occurred_at",
    "occurred_at_estimated",
    "title",
    "summary",
    "url",
    "content_hash",
    "tags",
    "questions",
    "link_origins",
    "unlinked_questions",
    "cited_by",
    "created_at",
    "updated_at",
)


def iso(when: datetime | None) -> str:
    """ISO 8601 in UTC with microseconds and a Z: one spelling for every time we write."""
    if when is None:
        return ""
    utc = when.astimezone(UTC)
    return f"{utc.year:04d}{utc:-%m-%dT%H:%M:%S.%fZ}"  # %Y writes year 5 as "5", not "0005"


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _quantiles(pairs: tuple[tuple[float, float], ...] | None) -> str:
    """[[level, value], …] with shortest round-trip floats, so a re-export gives the same bytes."""
    return "" if pairs is None else json.dumps([[float(level), float(value)] for level, value in pairs])


def _json_list(values: Iterable[Any] | None) -> str:
    return "" if values is None else json.dumps(list(values), ensure_ascii=False)


# --- the database as a bundle ----------------------------------------------------------


def _grouped(rows: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for key, value in rows:
        grouped.setdefault(key, []).append(value)
    return grouped


def _questions(session: Session) -> list[QuestionRecord]:
    tags = _grouped(
        session.execute(select(QuestionTag.question_id, QuestionTag.tag).order_by(QuestionTag.tag))
    )
    return [
        QuestionRecord(
            q.uid,
            q.title,
            q.description,
            q.resolution_criteria,
            q.type,
            tuple(q.options) if q.options is not None else None,
            tuple(tags.get(q.id, ())),
            q.created_at,
            q.opens_at,
            q.closes_at,
            q.resolve_by,
            q.watch_rule,
            q.options_ordered,
            q.unit,
            q.range_lower,
            q.range_upper,
            q.lower_open,
            q.upper_open,
            q.log_scale,
        )
        for q in session.scalars(select(Question).order_by(Question.uid))
    ]


def _citations(session: Session) -> dict[int, list[tuple[str, str]]]:
    rows = session.execute(
        select(ForecastEvent.forecast_id, Source.name, Event.dedupe_key)
        .join(Event, Event.id == ForecastEvent.event_id)
        .join(Source, Source.id == Event.source_id)
        .order_by(Source.name, Event.dedupe_key)
    )
    cited: dict[int, list[tuple[str, str]]] = {}
    for forecast_id, name, key in rows:
        cited.setdefault(int(forecast_id), []).append((str(name), str(key)))
    return cited


def _forecasts(session: Session) -> list[ForecastRecord]:
    cited = _citations(session)
    rows = session.execute(
        select(
            Forecast.id,
            Question.uid,
            Forecaster.name,
            Forecast.made_at,
            Forecast.probability,
            Forecast.option_probabilities,
            Forecast.rationale,
            Forecast.origin,
            Forecast.recorded_at,
            Forecast.quantiles,
        )
        .join(Question, Question.id == Forecast.question_id)
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .order_by(Question.uid, Forecaster.name, Forecast.made_at)
    )
    return [
        ForecastRecord(
            uid,
            name,
            made_at,
            p,
            tuple(options) if options is not None else None,
            why,
            origin,
            at,
            tuple(cited.get(forecast_id, ())),
            _pairs(quantiles),
        )
        for forecast_id, uid, name, made_at, p, options, why, origin, at, quantiles in rows
    ]


def _pairs(stored: list[list[float]] | None) -> tuple[tuple[float, float], ...] | None:
    return tuple((float(level), float(value)) for level, value in stored) if stored is not None else None


def _resolutions(session: Session) -> list[ResolutionRecord]:
    rows = session.execute(
        select(Question.uid, Resolution)
        .join(Question, Question.id == Resolution.question_id)
        .order_by(Question.uid, Resolution.recorded_at, Resolution.id)
    )
    return [
        ResolutionRecord(uid, r.outcome, r.option, r.resolved_at, r.recorded_at, r.note, r.source, r.value)
        for uid, r in rows
    ]


def _sources(session: Session) -> list[SourceRecord]:
    return [
        SourceRecord(
            s.name,
            s.kind,
            s.url,
            dict(s.settings or {}),
            s.every_seconds,
            s.enabled,
            s.match_rule,
            s.created_at,
        )
        for s in session.scalars(select(Source).order_by(Source.name))
    ]


def _events(session: Session) -> list[EventRecord]:
    uids = {int(i): str(uid) for i, uid in session.execute(select(Question.id, Question.uid))}
    tags = _grouped(session.execute(select(EventTag.event_id, EventTag.tag).order_by(EventTag.tag)))
    links: dict[int, list[tuple[str, str]]] = {}
    for event_id, question_id, origin in session.execute(
        select(EventQuestion.event_id, EventQuestion.question_id, EventQuestion.origin)
    ):
        if question_id in uids:
            links.setdefault(event_id, []).append((uids[question_id], origin))
    unlinked = _grouped(
        (event_id, uids[question_id])
        for event_id, question_id in session.execute(select(EventUnlink.event_id, EventUnlink.question_id))
        if question_id in uids
    )
    rows = session.execute(
        select(Source.name, Event)
        .join(Source, Source.id == Event.source_id)
        .order_by(Source.name, Event.dedupe_key)
    )
    return [
        EventRecord(
            name,
            e.dedupe_key,
            e.occurred_at,
            e.occurred_at_estimated,
            e.title,
            e.summary,
            e.url,
            e.content_hash,
            tuple(tags.get(e.id, ())),
            tuple(uid for uid, _ in sorted(links.get(e.id, ()))),
            e.created_at,
            e.updated_at,
            tuple(origin for _, origin in sorted(links.get(e.id, ()))),
            tuple(sorted(unlinked.get(e.id, ()))),
        )
        for name, e in rows
    ]


def read_bundle(session: Session) -> Bundle:
    """Everything worth keeping, in a fixed order."""
    return Bundle(
        forecasters=[
            ForecasterRecord(f.name, f.kind, f.description, f.created_at)
            for f in session.scalars(select(Forecaster).order_by(Forecaster.name))
        ],
        questions=_questions(session),
        forecasts=_forecasts(session),
        resolutions=_resolutions(session),
        sources=_sources(session),
        events=_events(session),
    )


# --- a bundle as files ---------------------------------------------------------------------


def current_resolutions(bundle: Bundle) -> dict[str, ResolutionRecord]:
    """Each question's latest resolution (resolutions are in recorded order)."""
    return {r.question_uid: r for r in bundle.resolutions}


class _SafeWriter:
    """csv.writer, with each cell made spreadsheet-safe unless ``raw``."""

    def __init__(self, out: io.StringIO, raw: bool) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        self.raw = raw

    def writerow(self, cells: Sequence[str]) -> None:
        self.writer.writerow(cells if self.raw else [spreadsheet_safe(cell) for cell in cells])


def forecasts_csv(bundle: Bundle, *, raw: bool = False) -> str:
    """Our forecasts CSV. Cells a spreadsheet would run as formulas get a leading ``'`` (which
    our importer takes off again) unless ``raw``."""
    out = io.StringIO()
    writer = _SafeWriter(out, raw)
    writer.writerow(FORECAST_COLUMNS)
    kinds = {f.name: f.kind for f in bundle.forecasters}
    resolved = current_resolutions(bundle)
    by_question: dict[str, list[ForecastRecord]] = {}
    for forecast in bundle.forecasts:
        by_question.setdefault(forecast.question_uid, []).append(forecast)
    for q in sorted(bundle.questions, key=lambda q: q.uid):
        r = resolved.get(q.uid)
        question_cells = [
            q.uid,
            q.title,
            q.description,
            q.resolution_criteria,
            q.type,
            _json_list(q.options),
            "true" if q.options_ordered else "",
            q.unit,
            _number(q.range_lower),
            _number(q.range_upper),
            "true" if q.lower_open else "",
            "true" if q.upper_open else "",
            "true" if q.log_scale else "",
            _json_list(q.tags),
            iso(q.created_at),
            iso(q.opens_at),
            iso(q.closes_at),
            iso(q.resolve_by),
            q.watch_rule or "",
        ]
        resolution_cells = (
            [
                r.outcome,
                r.option or "",
                _number(r.value),
                iso(r.resolved_at),
                iso(r.recorded_at),
                r.note,
                r.source,
            ]
            if r
            else [""] * 7
        )
        forecasts: list[ForecastRecord | None] = list(by_question.get(q.uid, ())) or [None]
        for f in forecasts:
            forecast_cells = (
                [
                    f.forecaster,
                    kinds.get(f.forecaster, "person"),
                    iso(f.made_at),
                    _number(f.probability),
                    _json_list(f.option_probabilities),
                    _quantiles(f.quantiles),
                    f.rationale,
                    json.dumps([list(pair) for pair in f.because], ensure_ascii=False) if f.because else "",
                    f.origin,
                    iso(f.recorded_at),
                ]
                if f is not None
                else [""] * 10
            )
            writer.writerow(question_cells + forecast_cells + resolution_cells)
    return out.getvalue()


def events_csv(bundle: Bundle, *, raw: bool = False) -> str:
    """Our events CSV, spreadsheet-safe as :func:`forecasts_csv` unless ``raw``."""
    out = io.StringIO()
    writer = _SafeWriter(out, raw)
    writer.writerow(EVENT_COLUMNS)
    kinds = {s.name: s.kind for s in bundle.sources}
    citing: dict[tuple[str, str], list[list[str]]] = {}
    for f in bundle.forecasts:
        for ref in f.because:
            citing.setdefault(ref, []).append([f.question_uid, f.forecaster, iso(f.made_at)])
    for e in bundle.events:
        cited_by = sorted(citing.get((e.source, e.dedupe_key), []))
        writer.writerow(
            [
                e.source,
                kinds.get(e.source, "manual"),
                e.dedupe_key,
                iso(e.occurred_at),
                "true" if e.occurred_at_estimated else "false",
                e.title,
                e.summary,
                e.url or "",
                e.content_hash or "",
                _json_list(e.tags),
                _json_list(e.questions),
                _json_list(e.link_origins) if e.link_origins else "",
                _json_list(e.unlinked) if e.unlinked else "",
                json.dumps(cited_by, ensure_ascii=False) if cited_by else "",
                iso(e.created_at),
                iso(e.updated_at),
            ]
        )
    return out.getvalue()


class _Record(Protocol):
    def _asdict(self) -> dict[str, Any]: ...


# Written once in JSON (a forecast's ``because``); only the events CSV repeats them.
NOT_IN_JSON = frozenset({"cited_by"})


def _plain(record: _Record) -> dict[str, Any]:
    def value(v: Any) -> Any:
        if isinstance(v, datetime):
            return iso(v)
        if isinstance(v, tuple):
            return list(v)
        return v

    return {name: value(v) for name, v in record._asdict().items() if name not in NOT_IN_JSON}


def bundle_json(bundle: Bundle) -> str:
    document = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    for name in ("forecasters", "questions", "forecasts", "resolutions", "sources", "events"):
        document[name] = [_plain(record) for record in getattr(bundle, name)]
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
