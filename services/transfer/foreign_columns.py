"""Fatebook's CSV and any mapped CSV read as columns, a batch at a time, when every row is one the
row reader would take as it is.

Both are one row per forecast with the question's fields repeated on each row
(``foreign.parse_fatebook``, ``foreign.parse_generic``). Here the columns are
checked at once; each question is built from its first row (and its first row
with a resolution) by the row reader's own cell parsers, its window from all its
forecasts' times as arrays, and each distinct probability text is read once by
the row reader's own parser (a column holds a few hundred distinct texts, not a
million). Multiple-choice rows, a time the vectorised parser does not know, a
bad cell, a repeated or late forecast: None, and the file is read row by row,
so every message and value is the row reader's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from forecasts.iso_columns import datetimes_of
from forecasts.rules import FORECAST_ORIGINS
from services.csv_columns import ArrowCannotRead, CsvColumns, csv_batches, iso_microseconds
from services.transfer.builder import BundleBuilder
from services.transfer.cells import (
    CellError,
    parse_optional_time,
    parse_percent,
    parse_tags,
    parse_unit_probability,
)
from services.transfer.columns import (
    Codes,
    NotPlain,
    all_plain,
    bundled,
    filled,
    first_rows,
    no_huge_cells,
    no_repeats_or_late_forecasts,
    require,
    rows_of,
    stripped,
)
from services.transfer.foreign import (
    DEFAULT_FORECASTER,
    FATEBOOK_QUESTION,
    _above_one,
    _fatebook_probability,
    _resolution_word,
    stable_uid,
)
from services.transfer.reading import Row, RowProblem
from services.transfer.records import ForecastColumns, Parsed, QuestionRecord, ResolutionRecord

FIELDS = ("title", "created_at", "resolve_by", "notes", "tags", "resolution", "resolved_at")
NONE = np.iinfo(np.int64).min  # no time in the cell


@dataclass(frozen=True)
class Layout:
    """Where a row-per-forecast file keeps each field, and how its probabilities are read."""

    format: str  # the uid prefix and the bundle's format: fatebook | csv
    columns: dict[str, str]  # our field → the file's column
    probability: Callable[[list[str]], Callable[[str], float]]  # the parser, chosen from all cells
    notes: Callable[[Callable[[str], float]], list[str]] = lambda _: []


def fatebook_layout() -> Layout:
    columns = dict(zip(FIELDS, (getattr(FATEBOOK_QUESTION, name) for name in FIELDS), strict=True))
    columns |= {
        "probability": "Forecast (scale = 0-1)",
        "made_at": "Forecast created at",
        "forecaster": "Forecast created by",
        "option": "Multiple choice option",
    }
    return Layout("fatebook", columns, lambda _: _fatebook_probability)


def _percent_or_unit(cells: list[str]) -> Callable[[str], float]:
    """As parse_generic decides: a '%' or any value above 1 in the column means percent."""
    percent = any(c.strip().endswith("%") or _above_one(c.strip()) for c in cells)
    return parse_percent if percent else parse_unit_probability


def mapped_layout(mapping: dict[str, str]) -> Layout:
    def notes(parser: Callable[[str], float]) -> list[str]:
        scale = "percent (0–100)" if parser is parse_percent else "decimals (0–1)"
        return [f"probabilities read as {scale}"]

    return Layout("csv", dict(mapping), _percent_or_unit, notes)


def parse_forecast_rows_columns(source: Path | bytes, layout: Layout) -> Parsed | None:
    """The file as the row reader of ``layout`` reads it, or None to read it so."""
    try:
        collected = _Collected(layout)
        for batch in csv_batches(source):
            collected.take(batch)
        return collected.finish() if collected.n_rows else None
    except (ArrowCannotRead, NotPlain, RowProblem, CellError):
        return None


def _times(column: pa.StringArray, *, required: bool) -> NDArray[np.int64]:
    """Microseconds per cell, NONE where the cell is blank (not allowed when ``required``)."""
    cells = stripped(column)
    given = filled(column)
    require(not required or bool(given.all()))
    micros, ok = iso_microseconds(cells)
    require(bool(ok[given].all()))
    return np.where(given, micros, NONE)


@dataclass
class _Collected:
    layout: Layout
    n_rows: int = 0
    titles: Codes = field(default_factory=Codes)
    people: Codes = field(default_factory=Codes)
    probabilities: Codes = field(default_factory=Codes)
    question_of_key: dict[tuple[int, int], int] = field(default_factory=dict)
    first_row: dict[int, tuple[int, Row]] = field(default_factory=dict)  # question → (file row, row)
    resolution_row: dict[int, tuple[int, Row]] = field(default_factory=dict)
    parts: dict[str, list[NDArray[np.generic]]] = field(default_factory=dict)

    def text(self, columns: CsvColumns, name: str) -> pa.StringArray:
        return columns.text(self.layout.columns.get(name, "\x00 not in the file"))

    def take(self, columns: CsvColumns) -> None:
        no_huge_cells(columns)
        title = self.text(columns, "title")
        require(bool(filled(title).all()) and all_plain(title))
        require(not filled(self.text(columns, "option")).any())  # multiple choice: the row reader's
        created = _times(self.text(columns, "created_at"), required=False)
        made = _times(self.text(columns, "made_at"), required=self.layout.format == "fatebook")
        made = np.where(made == NONE, created, made)  # a mapped file's made_at falls back to created_at
        require(not np.any(made == NONE))
        forecaster = self.text(columns, "forecaster")
        require(all_plain(forecaster))
        who = pc.if_else(pc.equal(stripped(forecaster), ""), DEFAULT_FORECASTER, stripped(forecaster))
        titles, _ = self.titles.encode(stripped(title))
        question = self._questions(columns, titles, created)
        person, _ = self.people.encode(who)
        probability, _ = self.probabilities.encode(self.text(columns, "probability"))
        for name, values in (("question", question), ("person", person), ("made", made), ("p", probability)):
            self.parts.setdefault(name, []).append(values)
        self.n_rows += columns.n_rows

    def _questions(
        self, columns: CsvColumns, titles: NDArray[np.int32], created: NDArray[np.int64]
    ) -> NDArray[np.int32]:
        """Each row's question (a title and a creation time), numbered in order of first appearance."""
        keys = np.stack([titles.astype(np.int64), created], axis=1)
        unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        codes = np.empty(len(unique), dtype=np.int32)
        new: list[tuple[int, int]] = []
        for k in np.argsort(first).tolist():
            key = (int(unique[k, 0]), int(unique[k, 1]))
            if key not in self.question_of_key:
                self.question_of_key[key] = len(self.question_of_key)
                new.append((self.question_of_key[key], int(first[k])))
            codes[k] = self.question_of_key[key]
        question = codes[inverse.ravel()]
        resolution = self.text(columns, "resolution")
        require(all_plain(resolution))  # "filled" must mean what the row reader's strip() means
        resolved = filled(resolution)
        settles = [(q, i) for q, i in first_rows(question, resolved).items() if q not in self.resolution_row]
        wanted = new + settles
        cells = rows_of(self._fields(columns), [i for _, i in wanted])
        for n, ((q, i), row) in enumerate(zip(wanted, cells, strict=True)):
            (self.first_row if n < len(new) else self.resolution_row)[q] = (self.n_rows + i, row)
        return question

    def _fields(self, columns: CsvColumns) -> CsvColumns:
        """The question's fields of the batch under our names (as the row reader's Row names them)."""
        by_field = {name: self.text(columns, name) for name in FIELDS}
        return CsvColumns(names=list(FIELDS), columns=by_field, n_rows=columns.n_rows)

    def _column(self, name: str) -> NDArray[np.generic]:
        return np.concatenate(self.parts[name])

    def finish(self) -> Parsed:
        builder = BundleBuilder(self.layout.format)
        parser = self.layout.probability(self.probabilities.names)
        for note in self.layout.notes(parser):
            builder.note(note)
        value_of = np.array([parser(text) for text in self.probabilities.names], dtype=np.float64)
        question, made = self._column("question"), self._column("made").astype(np.int64)
        in_order = np.argsort(question, kind="stable")  # as the row reader lists them: by question
        forecasts = ForecastColumns(
            question_uids=tuple(self._build_questions(builder, question.astype(np.intp), made)),
            forecasters=tuple(self._checked_names(builder)),
            question=question[in_order].astype(np.int32),
            forecaster=self._column("person")[in_order].astype(np.int32),
            made_at=made[in_order].astype(np.int64),
            probability=value_of[self._column("p")[in_order]],
            rationale=[""] * self.n_rows,
            origin=np.full(self.n_rows, FORECAST_ORIGINS.index("import"), dtype=np.int8),
            recorded_at=made[in_order].astype(np.int64),
        )
        require(not builder.parsed.errors)
        no_repeats_or_late_forecasts(builder, forecasts)
        return bundled(builder, forecasts)

    def _checked_names(self, builder: BundleBuilder) -> list[str]:
        for name in self.people.names:
            require(builder.forecaster(name) == name)  # a name the rules would trim: the row reader's
        return self.people.names

    def _build_questions(
        self, builder: BundleBuilder, question: NDArray[np.intp], made: NDArray[np.int64]
    ) -> list[str]:
        """Each question and its resolution through the builder, as foreign._Question.build does."""
        n = len(self.question_of_key)
        earliest, latest = np.full(n, np.iinfo(np.int64).max), np.full(n, np.iinfo(np.int64).min)
        np.minimum.at(earliest, question, made)
        np.maximum.at(latest, question, made)
        uids = []
        for q, first, last in zip(range(n), datetimes_of(earliest), datetimes_of(latest), strict=True):
            uids.append(self._question(builder, q, first, last))
        return uids

    def _question(self, builder: BundleBuilder, q: int, first: datetime, last: datetime) -> str:
        _, row = self.first_row[q]
        title = row.required("title")
        created = row.get("created_at", parse_optional_time)
        resolve_by = row.get("resolve_by", parse_optional_time)
        uid = stable_uid(self.layout.format, title, created.isoformat() if created else "")
        opens = min(first, created) if created is not None else first
        closes = max(last, resolve_by) if resolve_by is not None else last
        outcome_row = self.resolution_row.get(q)
        text = outcome_row[1].text("resolution") if outcome_row else ""
        outcome = _resolution_word(text, None)
        tags = row.get("tags", parse_tags)
        record = QuestionRecord(
            uid,
            title,
            row.text("notes"),
            "",
            "binary",
            None,
            tags,
            created or opens,
            opens,
            closes,
            resolve_by,
        )
        builder.question(record)
        if outcome is not None and outcome_row is not None:
            resolved_at = outcome_row[1].get("resolved_at", parse_optional_time)
            when = resolved_at or resolve_by
            if when is None:
                raise NotPlain  # "resolved at is needed": the row reader's to say
            source = self.layout.format
            note = f"imported from {source}"
            resolution = ResolutionRecord(uid, outcome, None, when, when, note, source)
            builder.resolution(resolution, outcome_row[0] + 2)
        return uid
