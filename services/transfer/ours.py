"""Reading our own exports back: the forecasts CSV, the events CSV and the JSON dump."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from forecasts.errors import Invalid
from forecasts.rules import LINK_ORIGINS, MAX_CELL_LENGTH
from services.transfer.builder import BundleBuilder
from services.transfer.cells import (
    parse_bool,
    parse_citations,
    parse_cited_by,
    parse_list,
    parse_names,
    parse_optional_number,
    parse_optional_time,
    parse_quantiles,
    parse_tags,
    parse_time,
    parse_unit_probability,
    unescaped,
)
from services.transfer.export import EVENT_COLUMNS, FORECAST_COLUMNS, FORMAT_NAME, FORMAT_VERSION
from services.transfer.reading import Row, RowProblem, require_columns
from services.transfer.records import (
    Bundle,
    EventRecord,
    ForecastRecord,
    ImportRefused,
    Parsed,
    QuestionRecord,
    ResolutionRecord,
    RowError,
    SourceRecord,
)

# Enough to rebuild questions and forecasts; the rest default when absent. (A forecast's value is in
# probability, option_probabilities or quantiles, as its question's type asks: checked row by row.)
REQUIRED_FORECAST_COLUMNS = (
    "question_uid",
    "question_title",
    "opens_at",
    "forecaster",
    "made_at",
)
REQUIRED_EVENT_COLUMNS = ("source", "dedupe_key", "occurred_at", "title")


def _known_kind(kind: str) -> None:
    """Imported only when a file has sources: the kinds load httpx and feedparser, 0.1 s that a
    forecasts-only import need not wait for."""
    from services.sources import known_kind

    known_kind(kind)


def _options(text: str) -> tuple[str, ...] | None:
    return tuple(str(o) for o in parse_list(text, "options")) if text.strip() else None


def question_of_row(row: Row) -> QuestionRecord:
    opens = row.get("opens_at", parse_time)
    created = row.get("question_created_at", parse_optional_time) or opens
    return QuestionRecord(
        uid=row.required("question_uid"),
        title=row.required("question_title"),
        description=row.text("question_description"),
        resolution_criteria=row.text("resolution_criteria"),
        type=row.text("question_type").strip() or "binary",
        options=row.get("options", _options),
        tags=row.get("tags", parse_tags),
        created_at=created,
        opens_at=opens,
        closes_at=row.get("closes_at", parse_optional_time),
        resolve_by=row.get("resolve_by", parse_optional_time),
        watch_rule=row.text("watch_rule").strip() or None,
        options_ordered=_ordered(row),
        **_range(row),
    )


def _ordered(row: Row) -> bool:
    return row.get("options_ordered", parse_bool) if row.text("options_ordered").strip() else False


def _range(row: Row) -> dict[str, Any]:
    """A numeric or date question's unit and range; blank cells on the other kinds."""
    return {
        "unit": row.text("unit").strip(),
        "range_lower": row.get("range_lower", parse_optional_number),
        "range_upper": row.get("range_upper", parse_optional_number),
        **{name: row.get(name, parse_bool) for name in ("lower_open", "upper_open", "log_scale")},
    }


def _links(row: Row, questions: tuple[str, ...]) -> tuple[str, ...]:
    origins = row.get("link_origins", lambda t: parse_names(t, "link_origins"))
    if origins and len(origins) != len(questions):
        raise RowProblem("link_origins", f"names {len(origins)} origins for {len(questions)} questions")
    unknown = sorted(set(origins) - set(LINK_ORIGINS))
    if unknown:
        raise RowProblem("link_origins", f"{unknown[0]!r} is not one of {', '.join(LINK_ORIGINS)}")
    return origins


def _forecast(row: Row, uid: str) -> ForecastRecord:
    made_at = row.get("made_at", parse_time)
    options_text = row.text("option_probabilities")
    same_time = row.text("recorded_at") == row.text("made_at")  # usual: entered as it was made
    return ForecastRecord(
        uid,
        row.required("forecaster"),
        made_at,
        row.get("probability", parse_unit_probability) if row.text("probability").strip() else None,
        row.get("option_probabilities", lambda t: parse_list(t, "option_probabilities"))
        if options_text.strip()
        else None,
        row.text("rationale"),
        row.text("origin").strip() or "import",
        made_at if same_time else row.get("recorded_at", parse_optional_time) or made_at,
        row.get("because", parse_citations),
        row.get("quantiles", parse_quantiles),
    )


def resolution_of_row(row: Row, uid: str) -> ResolutionRecord:
    resolved_at = row.get("resolved_at", parse_optional_time)
    return ResolutionRecord(
        question_uid=uid,
        outcome=row.text("resolution_outcome").strip().lower(),
        option=row.text("resolution_option") or None,
        resolved_at=resolved_at,
        recorded_at=row.get("resolution_recorded_at", parse_optional_time)
        or resolved_at
        or parse_time("1970-01-01"),
        note=row.text("resolution_note"),
        source=row.text("resolution_source") or "import",
        value=row.get("resolution_value", parse_optional_number),
    )


def parse_forecasts_csv(header: list[str], rows: Iterator[tuple[int, list[str]]]) -> Parsed:
    columns = require_columns(header, REQUIRED_FORECAST_COLUMNS, "Summit Watch forecasts", FORECAST_COLUMNS)
    builder = BundleBuilder("ours-csv")
    resolved: set[str] = set()
    for line, cells in rows:
        row = Row(columns, [unescaped(cell) for cell in cells])
        question = None
        try:
            # A question's columns repeat on each of its rows: read them the first time only.
            question = builder.questions.get(row.required("question_uid")) or builder.question(
                question_of_row(row)
            )
            if question.uid not in resolved and row.text("resolution_outcome").strip():
                builder.resolution(resolution_of_row(row, question.uid), line)
                resolved.add(question.uid)
            if row.text("forecaster").strip():
                builder.forecaster(row.text("forecaster"), row.text("forecaster_kind").strip() or "person")
                builder.forecast(_forecast(row, question.uid), line)
        except RowProblem as problem:
            builder.error(line, problem.field, problem.reason)
            if question is not None and row.text("forecaster").strip():
                builder.refuse_forecast_on(question.uid)
    return builder.finish()


def parse_events_csv(header: list[str], rows: Iterator[tuple[int, list[str]]]) -> Parsed:
    columns = require_columns(header, REQUIRED_EVENT_COLUMNS, "Summit Watch events", EVENT_COLUMNS)
    parsed = Parsed("ours-events-csv", Bundle())
    sources: dict[str, SourceRecord] = {}
    seen: set[tuple[str, str]] = set()
    for line, cells in rows:
        row = Row(columns, [unescaped(cell) for cell in cells])
        try:
            name = row.required("source")
            occurred = row.get("occurred_at", parse_time)
            created = row.get("created_at", parse_optional_time) or occurred
            linked = row.get("questions", lambda t: parse_names(t, "questions"))
            record = EventRecord(
                source=name,
                dedupe_key=row.required("dedupe_key"),
                occurred_at=occurred,
                occurred_at_estimated=row.get("occurred_at_estimated", parse_bool),
                title=row.required("title"),
                summary=row.text("summary"),
                url=row.text("url") or None,
                content_hash=row.text("content_hash") or None,
                tags=row.get("tags", parse_tags),
                questions=linked,
                created_at=created,
                updated_at=row.get("updated_at", parse_optional_time) or created,
                link_origins=_links(row, linked),
                unlinked=row.get("unlinked_questions", lambda t: parse_names(t, "unlinked_questions")),
                cited_by=row.get("cited_by", parse_cited_by),
            )
        except RowProblem as problem:
            parsed.errors.append(RowError(line, problem.field, problem.reason))
            continue
        if (record.source, record.dedupe_key) in seen:
            parsed.errors.append(RowError(line, "dedupe_key", "appears twice for this source"))
            continue
        seen.add((record.source, record.dedupe_key))
        if name not in sources:
            try:
                _known_kind(row.text("source_kind").strip() or "manual")
            except Invalid as error:
                parsed.errors.append(RowError(line, "source_kind", error.message))
                continue
        sources.setdefault(
            name,
            SourceRecord(
                name, row.text("source_kind").strip() or "manual", None, {}, None, False, None, created
            ),
        )
        parsed.bundle.events.append(record)
    parsed.bundle.sources = sorted(sources.values(), key=lambda s: s.name)
    return parsed


# --- JSON ------------------------------------------------------------------------------------


class _Item(Row):
    """A JSON object read like a CSV row: the same parsers, the same messages."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item

    def text(self, name: str) -> str:
        value = self.item.get(name)
        if value is None:
            return ""
        if isinstance(value, list | dict):
            text = json.dumps(value)
        elif isinstance(value, bool):
            return "true" if value else "false"
        else:
            text = str(value) if not isinstance(value, float) else repr(value)
        if len(text) > MAX_CELL_LENGTH:
            raise RowProblem(name, f"{len(text):,} characters; a field holds at most {MAX_CELL_LENGTH:,}")
        return text


def _each(
    document: dict[str, Any],
    name: str,
    builder: BundleBuilder,
    read: Callable[[BundleBuilder, _Item, int], None],
) -> None:
    for position, item in enumerate(_entries(document, name), start=1):
        try:
            if not isinstance(item, dict):
                raise RowProblem(name, "each entry must be an object")
            read(builder, _Item(item), position)
        except RowProblem as problem:
            builder.error(position, f"{name}.{problem.field}", problem.reason)


def _forecaster_item(builder: BundleBuilder, item: _Item, _: int) -> None:
    builder.forecaster(
        item.required("name"),
        item.text("kind") or "person",
        item.text("description"),
        item.get("created_at", parse_optional_time),
    )


def _question_item(builder: BundleBuilder, item: _Item, _: int) -> None:
    uid = item.required("uid")
    if uid in builder.questions:  # a CSV repeats a question on each row; an export lists it once
        raise RowProblem("uid", f"a second question with uid {uid!r}; each question is listed once")
    opens = item.get("opens_at", parse_time)
    builder.question(
        QuestionRecord(
            uid=uid,
            title=item.required("title"),
            description=item.text("description"),
            resolution_criteria=item.text("resolution_criteria"),
            type=item.text("type") or "binary",
            options=item.get("options", _options),
            tags=item.get("tags", parse_tags),
            created_at=item.get("created_at", parse_optional_time) or opens,
            opens_at=opens,
            closes_at=item.get("closes_at", parse_optional_time),
            resolve_by=item.get("resolve_by", parse_optional_time),
            watch_rule=item.text("watch_rule").strip() or None,
            options_ordered=_ordered(item),
            **_range(item),
        )
    )


def _known_question(builder: BundleBuilder, item: _Item) -> str:
    uid = item.required("question_uid")
    if uid not in builder.questions:
        raise RowProblem("question_uid", f"{uid!r} is not among the questions")
    return uid


def _forecast_item(builder: BundleBuilder, item: _Item, position: int) -> None:
    uid = _known_question(builder, item)
    name = builder.forecaster(item.required("forecaster"))
    made_at = item.get("made_at", parse_time)
    builder.forecast(
        ForecastRecord(
            uid,
            name,
            made_at,
            item.get("probability", lambda t: parse_unit_probability(t) if t.strip() else None),
            item.get(
                "option_probabilities", lambda t: parse_list(t, "option_probabilities") if t.strip() else None
            ),
            item.text("rationale"),
            item.text("origin") or "import",
            item.get("recorded_at", parse_optional_time) or made_at,
            item.get("because", parse_citations),
            item.get("quantiles", parse_quantiles),
        ),
        position,
    )


def _resolution_item(builder: BundleBuilder, item: _Item, position: int) -> None:
    uid = _known_question(builder, item)
    builder.resolution(
        ResolutionRecord(
            uid,
            item.text("outcome").lower(),
            item.text("option") or None,
            item.get("resolved_at", parse_optional_time),
            item.get("recorded_at", parse_time),
            item.text("note"),
            item.text("source") or "import",
            item.get("value", parse_optional_number),
        ),
        position,
    )


JSON_SECTIONS = (
    ("forecasters", _forecaster_item),
    ("questions", _question_item),
    ("forecasts", _forecast_item),
    ("resolutions", _resolution_item),
)


def parse_json_dump(document: dict[str, Any]) -> Parsed:
    if document.get("format") != FORMAT_NAME:
        raise ImportRefused(f"not a Summit Watch export (its 'format' is {document.get('format')!r})")
    if document.get("version") != FORMAT_VERSION:
        raise ImportRefused(
            f"export version {document.get('version')!r}; this Summit Watch reads version {FORMAT_VERSION}"
        )
    builder = BundleBuilder("ours-json", unit="item")
    for name, read in JSON_SECTIONS:
        _each(document, name, builder, read)
    parsed = builder.finish()
    events = parse_events_from_json(document)
    parsed.bundle.sources, parsed.bundle.events = events.bundle.sources, events.bundle.events
    parsed.errors.extend(events.errors)
    return parsed


def _entries(document: dict[str, Any], name: str) -> list[Any]:
    """A section of the export: a list, or refused whole (its items cannot be counted)."""
    items = document.get(name, [])
    if not isinstance(items, list):
        raise ImportRefused(f"'{name}' must be a list of objects, got {type(items).__name__}")
    return items


def _every_seconds(item: dict[str, Any]) -> int | None:
    value = item.get("every_seconds")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RowProblem("every_seconds", f"must be a whole number of seconds, got {value!r}")
    return value


def _source_item(item: Any) -> SourceRecord:
    if not isinstance(item, dict):
        raise RowProblem("", "each entry must be an object")
    row = _Item(item)
    settings = item.get("settings") or {}
    if not isinstance(settings, dict):
        raise RowProblem("settings", "must be an object")
    from services.sources import check_imported_source  # see _known_kind

    every_seconds = _every_seconds(item)
    try:
        checked = check_imported_source(
            row.required("name"),
            row.required("kind"),
            row.text("url") or None,
            settings,
            every_seconds,
            row.text("match_rule") or None,
        )
    except Invalid as error:
        raise RowProblem("every_seconds" if error.field == "every" else error.field, error.message) from None
    return SourceRecord(
        checked.name,
        checked.kind,
        checked.url,
        checked.settings,
        every_seconds,
        row.get("enabled", parse_bool),
        checked.match_rule,
        row.get("created_at", parse_time),
    )


def _sources_of(document: dict[str, Any], parsed: Parsed) -> None:
    first: dict[str, int] = {}
    for position, item in enumerate(_entries(document, "sources"), start=1):
        try:
            record = _source_item(item)
            if record.name in first:
                raise RowProblem(
                    "name", f"a second source called {record.name!r} (first is item {first[record.name]})"
                )
        except RowProblem as problem:
            field = f"sources.{problem.field}" if problem.field else "sources"
            parsed.errors.append(RowError(position, field, problem.reason, "item"))
            continue
        first[record.name] = position
        parsed.bundle.sources.append(record)


def parse_events_from_json(document: dict[str, Any]) -> Parsed:
    parsed = Parsed("ours-json", Bundle())
    _sources_of(document, parsed)
    names = {s.name for s in parsed.bundle.sources}
    for position, item in enumerate(_entries(document, "events"), start=1):
        try:
            if not isinstance(item, dict):
                raise RowProblem("", "each entry must be an object")
            row = _Item(item)
            if row.text("source") not in names:
                raise RowProblem("source", f"{row.text('source')!r} is not among the sources")
            occurred = row.get("occurred_at", parse_time)
            linked = row.get("questions", lambda t: parse_names(t, "questions"))
            parsed.bundle.events.append(
                EventRecord(
                    row.required("source"),
                    row.required("dedupe_key"),
                    occurred,
                    row.get("occurred_at_estimated", parse_bool),
                    row.required("title"),
                    row.text("summary"),
                    row.text("url") or None,
                    row.text("content_hash") or None,
                    row.get("tags", parse_tags),
                    linked,
                    row.get("created_at", parse_time),
                    row.get("updated_at", parse_time),
                    _links(row, linked),
                    row.get("unlinked", lambda t: parse_names(t, "unlinked")),
                )
            )
        except RowProblem as problem:
            field = f"events.{problem.field}" if problem.field else "events"
            parsed.errors.append(RowError(position, field, problem.reason, "item"))
    return parsed
