"""Other trackers' exports: Fatebook's CSV, PredictionBook's API JSON, and any CSV with a column mapping.

Imports must be safe to repeat, so each question gets a deterministic uid: a
prefix naming where it came from plus a hash of its title and creation time
(Fatebook does the same). A resolution's recorded time is its resolution time,
so re-importing finds it again. Where another tracker would guess (Fatebook
turns unknown resolution text into "ambiguous"), we report the row instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from forecasts.errors import Invalid
from services.transfer.builder import BundleBuilder
from services.transfer.cells import (
    CellError,
    parse_optional_time,
    parse_percent,
    parse_tags,
    parse_time,
    parse_unit_probability,
)
from services.transfer.reading import Row, RowProblem, require_columns
from services.transfer.records import (
    ForecastRecord,
    ImportRefused,
    MappingNeeded,
    Parsed,
    QuestionRecord,
    ResolutionRecord,
)

DEFAULT_FORECASTER = "me"
RESOLUTION_WORDS = {
    "yes": "yes",
    "y": "yes",
    "true": "yes",
    "1": "yes",
    "no": "no",
    "n": "no",
    "false": "no",
    "0": "no",
    "ja": "yes",
    "oui": "yes",
    "sí": "yes",
    "nein": "no",
    "non": "no",
    "ambiguous": "annulled",
    "annulled": "annulled",
    "n/a": "annulled",
}


def stable_uid(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{prefix}-{digest}"


def _resolution_word(text: str, options: tuple[str, ...] | None) -> str | None:
    """'' → None (not resolved); a known word → our outcome; an option's name → 'option'."""
    value = text.strip()
    if not value:
        return None
    if options is not None and value in options:
        return "option"
    outcome = RESOLUTION_WORDS.get(value.lower())
    if outcome is None or (options is not None and outcome in ("yes", "no")):
        allowed = (
            "YES, NO, AMBIGUOUS" if options is None else f"one of the options {list(options)} or AMBIGUOUS"
        )
        raise CellError(f"unknown resolution {text!r}; allowed: {allowed}, or blank for unresolved")
    return outcome


class _Question:
    """A question's rows gathered before it is built: its window depends on all its forecasts."""

    def __init__(self, uid: str, title: str, line: int) -> None:
        self.uid, self.title, self.first_line = uid, title, line
        self.created_at: datetime | None = None
        self.resolve_by: datetime | None = None
        self.description = ""
        self.tags: tuple[str, ...] = ()
        self.options: list[str] = []
        self.resolution_text = ""
        self.resolution_line = line
        self.resolved_at: datetime | None = None
        self.forecasts: list[
            tuple[int, str, datetime, float, str | None, str]
        ] = []  # line, who, when, p, option, why

    def build(self, builder: BundleBuilder, source: str) -> None:
        times = [f[2] for f in self.forecasts]
        opens = min([t for t in (self.created_at, *times) if t is not None])
        closes = max([t for t in (self.resolve_by, *times) if t is not None])
        options = tuple(self.options) if self.options else None
        try:
            outcome = _resolution_word(
                self.resolution_text, options
            )  # checked first: a bad one drops the question
            builder.question(
                QuestionRecord(
                    self.uid,
                    self.title,
                    self.description,
                    "",
                    "multiple_choice" if options else "binary",
                    options,
                    self.tags,
                    self.created_at or opens,
                    opens,
                    closes,
                    self.resolve_by,
                )
            )
        except (RowProblem, CellError) as problem:
            field = problem.field if isinstance(problem, RowProblem) else "resolution"
            builder.error(self.resolution_line, field, getattr(problem, "reason", str(problem)))
            return
        if outcome is not None:
            when = self.resolved_at or self.resolve_by
            if when is None:
                builder.error(self.resolution_line, "resolved at", "is needed when a resolution is given")
                return
            try:
                builder.resolution(
                    ResolutionRecord(
                        self.uid,
                        outcome,
                        self.resolution_text.strip() if outcome == "option" else None,
                        when,
                        when,
                        f"imported from {source}",
                        source,
                    ),
                    self.resolution_line,
                )
            except RowProblem as problem:
                builder.error(self.resolution_line, problem.field, problem.reason)
        self._forecasts(builder, options)

    def _forecasts(self, builder: BundleBuilder, options: tuple[str, ...] | None) -> None:
        if options is None:
            for line, who, when, p, _, why in self.forecasts:
                try:
                    builder.forecaster(who)
                    builder.forecast(ForecastRecord(self.uid, who, when, p, None, why, "import", when), line)
                except RowProblem as problem:
                    builder.error(line, problem.field, problem.reason)
                    builder.refuse_forecast_on(self.uid)
            return
        # Multiple choice: one row per option; the rows of one forecaster at one moment form a forecast.
        grouped: dict[tuple[str, datetime], dict[str, Any]] = {}
        for line, who, when, p, option, why in self.forecasts:
            entry = grouped.setdefault(
                (who, when), {"line": line, "p": dict.fromkeys(options, 0.0), "why": why}
            )
            entry["p"][option] = p
        for (who, when), entry in grouped.items():
            try:
                builder.forecaster(who)
                vector = tuple(entry["p"][o] for o in options)
                builder.forecast(
                    ForecastRecord(self.uid, who, when, None, vector, entry["why"], "import", when),
                    entry["line"],
                )
            except RowProblem as problem:
                builder.error(entry["line"], problem.field, problem.reason)
                builder.refuse_forecast_on(self.uid)


@dataclass(frozen=True)
class _QuestionColumns:
    """Where a row-per-forecast file keeps the question's own fields (repeated on each row)."""

    title: str
    created_at: str
    resolve_by: str
    notes: str
    tags: str
    resolution: str
    resolved_at: str


def _question_of(
    row: Row,
    line: int,
    prefix: str,
    names: _QuestionColumns,
    questions: dict[str, _Question],
    read_time: Callable[[str], datetime | None] = parse_optional_time,
) -> _Question:
    """The question of this row, read on its first row; its resolution from the first row giving one."""
    title = row.required(names.title)
    created = row.get(names.created_at, read_time)
    uid = stable_uid(prefix, title, created.isoformat() if created else "")
    question = questions.get(uid)
    if question is None:
        question = questions[uid] = _Question(uid, title, line)
        question.created_at = created
        question.resolve_by = row.get(names.resolve_by, read_time)
        question.description = row.text(names.notes)
        question.tags = row.get(names.tags, parse_tags)
    if not question.resolution_text and row.text(names.resolution).strip():
        question.resolution_text, question.resolution_line = row.text(names.resolution), line
        question.resolved_at = row.get(names.resolved_at, read_time)
    return question


def _build_all(questions: dict[str, _Question], builder: BundleBuilder, source: str) -> Parsed:
    for question in questions.values():
        if question.forecasts:
            question.build(builder, source)
    return builder.finish()


# --- Fatebook -----------------------------------------------------------------------------

FATEBOOK_COLUMNS = (
    "Question title",
    "Multiple choice option",
    "Forecast created by",
    "Forecast (scale = 0-1)",
    "Forecast created at",
    "Question created by",
    "Question created at",
    "Question resolve by",
    "Resolution",
    "Resolved at",
    "Question notes",
    "Question tags",
)
FATEBOOK_REQUIRED = ("Question title", "Forecast (scale = 0-1)", "Forecast created at")
FATEBOOK_QUESTION = _QuestionColumns(
    "Question title",
    "Question created at",
    "Question resolve by",
    "Question notes",
    "Question tags",
    "Resolution",
    "Resolved at",
)


# Fatebook writes times as YYYY-MM-DD HH:MM:S in UTC: the seconds not zero-padded, no zone.
_FATEBOOK_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})")


def fatebook_time(text: str) -> datetime | None:
    """A Fatebook export's time (``2024-12-09 01:12:2``), or any ISO 8601 time; blank: None."""
    found = _FATEBOOK_TIME.fullmatch(text.strip())
    if found is None:
        return parse_optional_time(text)
    try:
        year, month, day, hour, minute, second = map(int, found.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise CellError(f"{text!r} is not a date and time (Fatebook writes 2024-12-09 01:12:2)") from None


def _fatebook_required_time(text: str) -> datetime:
    return fatebook_time(text) or parse_time(text)  # blank: parse_time says what is wanted


def parse_fatebook(header: list[str], rows: Iterator[tuple[int, list[str]]]) -> Parsed:
    columns = require_columns(header, FATEBOOK_REQUIRED, "Fatebook", FATEBOOK_COLUMNS)
    builder = BundleBuilder("fatebook")
    questions: dict[str, _Question] = {}
    verdicts: dict[str, dict[str, tuple[str, int, datetime | None]]] = {}  # uid → option → verdict
    for line, cells in rows:
        row = Row(columns, cells)
        try:
            question = _question_of(row, line, "fatebook", FATEBOOK_QUESTION, questions, fatebook_time)
            option = row.text("Multiple choice option").strip() or None
            if option and option not in question.options:
                question.options.append(option)
            verdict = row.text("Resolution").strip().upper()
            if option and verdict in ("YES", "NO"):  # an option row holds that option's own verdict
                when = row.get("Resolved at", fatebook_time)
                verdicts.setdefault(question.uid, {}).setdefault(option, (verdict, line, when))
            probability = row.get("Forecast (scale = 0-1)", _fatebook_probability)
            question.forecasts.append(
                (
                    line,
                    row.text("Forecast created by").strip() or DEFAULT_FORECASTER,
                    row.get("Forecast created at", _fatebook_required_time),
                    probability,
                    option,
                    "",
                )
            )
        except RowProblem as problem:
            builder.error(line, problem.field, problem.reason)
    for uid, by_option in verdicts.items():
        _settle_by_option_verdicts(questions[uid], by_option)
    return _build_all(questions, builder, "fatebook")


def _settle_by_option_verdicts(
    question: _Question, by_option: dict[str, tuple[str, int, datetime | None]]
) -> None:
    """Fatebook resolves a multiple-choice question option by option (YES for one, NO for the
    rest): the question resolves to the option that says YES. None yet: unresolved."""
    winners = [(option, line, when) for option, (said, line, when) in by_option.items() if said == "YES"]
    if len(winners) == 1:
        option, line, when = winners[0]
        question.resolution_text, question.resolution_line, question.resolved_at = option, line, when
    elif not winners:
        question.resolution_text = ""  # every option it has a verdict for is NO: not settled yet
    else:
        names = ", ".join(repr(option) for option, _, _ in winners)
        question.resolution_text = f"YES for {len(winners)} options ({names})"
        question.resolution_line = winners[1][1]


def _fatebook_probability(text: str) -> float:
    try:
        return parse_unit_probability(text)
    except CellError:
        value = text.strip()
        raise CellError(
            f"{value!r} is outside 0–1; Fatebook's export is on the 0–1 scale (70 % is 0.7)"
        ) from None


# --- PredictionBook -------------------------------------------------------------------------


def _pb_owner(document: Any) -> str | None:
    """The account the file was exported from (/api/my_predictions gives {"user": {...}})."""
    user = document.get("user") if isinstance(document, dict) else None
    owner = user.get("user_id") if isinstance(user, dict) else None
    return str(owner) if owner is not None else None


def parse_predictionbook(document: Any, *, all_responders: bool = False) -> Parsed:
    """The API's JSON: a list of predictions (or {"user": …, "predictions": [...]}) with their
    responses. Its responses include other people's: only the account owner's (the file's user,
    else each prediction's creator) are imported unless ``all_responders``."""
    predictions = document.get("predictions") if isinstance(document, dict) else document
    if not isinstance(predictions, list):
        raise ImportRefused("a PredictionBook file is a list of predictions (from /api/my_predictions)")
    builder = BundleBuilder("predictionbook", unit="prediction")
    owner, others = _pb_owner(document), 0
    for position, item in enumerate(predictions, start=1):
        try:
            if not isinstance(item, dict):
                raise RowProblem("prediction", "must be an object")
            key = str(item.get("uuid") or item.get("id") or "")
            # description_with_group: the title as PredictionBook shows it (with its group's name)
            title = str(item.get("description_with_group") or item.get("description") or "").strip()
            mine = owner or (str(item["creator_id"]) if item.get("creator_id") is not None else None)
            if not key or not title:
                raise RowProblem("id", "each prediction needs an id (or uuid) and a description")
            question = _Question(f"predictionbook-{key}", title, position)
            question.created_at = _pb_time(item, "created_at", required=True)
            question.resolve_by = _pb_time(item, "deadline")
            for response in item.get("responses") or []:
                confidence = response.get("confidence")
                if confidence is None:
                    continue  # a comment, not a forecast
                responder = response.get("user_id")
                if not all_responders and mine is not None and str(responder) != mine:
                    others += 1
                    continue
                try:
                    p = parse_percent(str(confidence))
                except CellError as error:
                    raise RowProblem("responses.confidence", str(error)) from None
                who = str(response.get("user_label") or response.get("user_id") or "predictionbook")
                question.forecasts.append(
                    (
                        position,
                        who,
                        _pb_required_time(response, "created_at"),
                        p,
                        None,
                        str(response.get("comment") or ""),
                    )
                )
            outcome = item.get("outcome")
            if item.get("withdrawn"):
                question.resolution_text = "ambiguous"
            elif outcome is not None:
                question.resolution_text = "yes" if outcome in (True, 1, "true", "right") else "no"
            if question.resolution_text:
                # PredictionBook's rule as Fatebook imports it: the last judgement, else a day after the
                # last update or the deadline, whichever is later.
                judged = _pb_time(item, "last_judgement_at")
                updated = _pb_time(item, "updated_at")
                fallback = [t for t in (updated and updated + timedelta(days=1), question.resolve_by) if t]
                question.resolved_at = judged or (max(fallback) if fallback else None)
        except RowProblem as problem:
            builder.error(position, problem.field, problem.reason)
            continue
        if question.forecasts:
            question.build(builder, "predictionbook")
        elif not others:
            builder.error(position, "responses", "no response with a confidence; nothing to import")
    if others:
        builder.note(
            f"{others} responses by other people were left out (only the account owner's are "
            "imported; --all-responders imports everyone's)"
        )
    return builder.finish()


def _pb_required_time(item: dict[str, Any], name: str) -> datetime:
    when = _pb_time(item, name)
    if when is None:
        raise RowProblem(name, "is missing")
    return when


def _pb_time(item: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    value = item.get(name)
    if value in (None, ""):
        if required:
            raise RowProblem(name, "is missing")
        return None
    try:
        return parse_time(str(value))
    except Invalid as error:
        raise RowProblem(name, error.message) from None


# --- any CSV, with a column mapping ----------------------------------------------------------

MAPPED_QUESTION = _QuestionColumns(
    "title", "created_at", "resolve_by", "notes", "tags", "resolution", "resolved_at"
)
MAPPABLE = (
    "title",
    "probability",
    "made_at",
    "forecaster",
    "created_at",
    "resolve_by",
    "resolution",
    "resolved_at",
    "tags",
    "notes",
)


def parse_mapping(text: str) -> dict[str, str]:
    """``title=Question,probability=P`` → {our field: their column}."""
    mapping = {}
    for part in (p for p in text.split(",") if p.strip()):
        ours, _, theirs = part.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if ours not in MAPPABLE or not theirs:
            raise ImportRefused(
                f"bad mapping {part.strip()!r}; write field=Column with a field among {', '.join(MAPPABLE)}"
            )
        mapping[ours] = theirs
    return mapping


def checked_mapping(mapping: str | Mapping[str, str]) -> dict[str, str]:
    """A mapping as typed (``title=Question,…``) or as chosen on a form ({field: column})."""
    if isinstance(mapping, str):
        return parse_mapping(mapping)
    unknown = sorted(set(mapping) - set(MAPPABLE))
    if unknown:
        raise ImportRefused(f"unknown field(s) {', '.join(unknown)}; the fields are {', '.join(MAPPABLE)}")
    return {ours: theirs for ours, theirs in mapping.items() if theirs}


def parse_generic(
    header: list[str], rows: Iterator[tuple[int, list[str]]], mapping: dict[str, str]
) -> Parsed:
    for needed in ("title", "probability"):
        if needed not in mapping:
            raise MappingNeeded(
                f"a plain CSV needs a column mapping with at least title and probability, e.g. "
                f"title={header[0] if header else 'Question'},probability=Forecast; "
                f"its columns: {', '.join(header)}",
                header,
            )
    columns = require_columns(header, tuple(mapping.values()), "CSV", tuple(header))
    named = {ours: columns[theirs] for ours, theirs in mapping.items()}
    builder = BundleBuilder("csv")
    table = list(rows)
    # The scale is read off the whole column: a '%' or any value above 1 means percent.
    cells = [Row(named, c).text("probability").strip() for _, c in table]
    percent = any(c.endswith("%") or _above_one(c) for c in cells)
    builder.note(f"probabilities read as {'percent (0–100)' if percent else 'decimals (0–1)'}")
    questions: dict[str, _Question] = {}
    for line, cells_of_row in table:
        row = Row(named, cells_of_row)
        try:
            question = _question_of(row, line, "csv", MAPPED_QUESTION, questions)
            made_at = row.get("made_at", parse_optional_time) or question.created_at
            if made_at is None:
                raise RowProblem("made_at", "is needed (map made_at or created_at to a date column)")
            p = row.get("probability", parse_percent if percent else parse_unit_probability)
            question.forecasts.append(
                (line, row.text("forecaster").strip() or DEFAULT_FORECASTER, made_at, p, None, "")
            )
        except RowProblem as problem:
            builder.error(line, mapping.get(problem.field, problem.field), problem.reason)
    return _build_all(questions, builder, "csv")


def _above_one(text: str) -> bool:
    try:
        return float(text) > 1
    except ValueError:
        return False  # unreadable: reported on its own row
