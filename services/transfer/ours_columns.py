"""Our forecasts CSV read as columns, a batch at a time, when every row is one the row reader would
take as it is.

A million-row export is read by :func:`parse_forecasts_csv` one ``Row`` at a
time (15 s, and a record with two datetimes per forecast). Here the file is
read in batches of columns (:func:`services.csv_columns.csv_batches`), each
checked at once: when every row is a plain yes/no forecast that passes every
rule — comma separated, a forecaster and a question on every row, times the
vectorised parser reads, probabilities on the 0–1 scale, known origins, no
option probabilities or citations, no forecast after its question's
resolution, no repeated (question, forecaster, time) — the forecasts become
one :class:`ForecastColumns` (a few arrays), and each question and resolution
is still built from its row by the row reader's own functions. Anything else
returns None, and the file is read row by row as before, so every message and
every value stays the row reader's (tests/test_import_columns.py compares the
two on real exports). Only one batch of the file is in memory at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from forecasts.iso_columns import datetimes_of, micros_of
from forecasts.rules import FORECAST_ORIGINS
from services.csv_columns import (
    ASCII_SPACE,
    ArrowCannotRead,
    CsvColumns,
    csv_batches,
    decimals,
    iso_microseconds,
)
from services.csv_columns import header as csv_header
from services.transfer import ours
from services.transfer.builder import BundleBuilder
from services.transfer.reading import SNIFFED_SAMPLE, Row, RowProblem, sniffed_dialect
from services.transfer.records import ForecastColumns, ForecasterRecord, Parsed


def _sample(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source[: SNIFFED_SAMPLE * 4]
    with source.open("rb") as handle:
        return handle.read(SNIFFED_SAMPLE * 4)


def _comma_separated(source: Path | bytes) -> bool:
    """Does csv_table read this file as plain commas (as Arrow reads it)?"""
    dialect = sniffed_dialect(_sample(source).decode("utf-8-sig", errors="ignore")[:SNIFFED_SAMPLE])
    return dialect.delimiter == "," and not dialect.skipinitialspace


def parse_forecasts_columns(source: Path | bytes) -> Parsed | None:
    """The file as :func:`services.transfer.ours.parse_forecasts_csv` reads it, or None to read it so."""
    try:
        if not _comma_separated(source):
            return None
        names = {name.strip() for name in csv_header(source)}
        if any(name not in names for name in ours.REQUIRED_FORECAST_COLUMNS):
            return None
        collected = _Collected()
        for batch in csv_batches(source):
            collected.take(batch)
        return collected.finish() if collected.n_rows else None
    except (ArrowCannotRead, _NotPlain, RowProblem):
        return None


class _NotPlain(Exception):
    """Something the row reader handles (or refuses) its own way."""


def _require(condition: bool) -> None:
    if not condition:
        raise _NotPlain


def _stripped(column: pa.StringArray) -> pa.StringArray:
    return pc.utf8_trim(column, characters=ASCII_SPACE)


def _filled(column: pa.StringArray) -> NDArray[np.bool_]:
    filled: NDArray[np.bool_] = pc.binary_length(_stripped(column)).to_numpy(zero_copy_only=False) > 0
    return filled


def _all_plain(column: pa.StringArray) -> bool:
    """No cell has spaces a Python strip would remove that an ASCII strip would not."""
    return pc.all(pc.equal(_stripped(column), pc.utf8_trim_whitespace(column))).as_py() is not False


def _micros(column: pa.StringArray) -> NDArray[np.int64]:
    micros, ok = iso_microseconds(_stripped(column))
    _require(bool(ok.all()))
    return micros


def _rows(columns: CsvColumns, positions: list[int]) -> list[Row]:
    """These rows of the batch as the row reader's ``Row`` (one take per column, not one per cell)."""
    index = {name: j for j, name in enumerate(columns.names)}
    taken = pa.array(positions, type=pa.int64())
    by_column = [columns.text(name).take(taken).to_pylist() for name in columns.names]
    return [Row(index, [str(cell) for cell in cells]) for cells in zip(*by_column, strict=True)]


def _first_rows(groups: NDArray[np.integer], rows: NDArray[np.bool_] | None = None) -> dict[int, int]:
    chosen = np.flatnonzero(rows) if rows is not None else np.arange(groups.size)
    found, first = np.unique(groups[chosen], return_index=True)
    return dict(zip(found.tolist(), chosen[first].tolist(), strict=True))


def _check_plain(columns: CsvColumns) -> None:
    """Every row of the batch is one the columns can take as it is (a row of empty cells, which
    csv_table skips, has no question_uid, so it is not plain)."""
    for name in ("option_probabilities", "because"):
        _require(not _filled(columns.text(name)).any())
    for name in ("question_uid", "forecaster", "probability", "made_at"):
        _require(bool(_filled(columns.text(name)).all()) and _all_plain(columns.text(name)))
    forecaster = columns.text("forecaster")
    _require(bool(pc.all(pc.equal(forecaster, _stripped(forecaster))).as_py()))


def _origins(columns: CsvColumns) -> NDArray[np.int8]:
    """``origin`` as codes into FORECAST_ORIGINS (blank: import); a name outside them is not plain."""
    if "origin" not in columns.columns:
        return np.full(columns.n_rows, FORECAST_ORIGINS.index("import"), dtype=np.int8)
    origin = _stripped(columns.text("origin"))
    codes = pc.index_in(
        pc.if_else(pc.equal(origin, ""), "import", origin), value_set=pa.array(FORECAST_ORIGINS)
    )
    _require(codes.null_count == 0)
    origins: NDArray[np.int8] = codes.to_numpy(zero_copy_only=False).astype(np.int8)
    return origins


def _recorded(columns: CsvColumns, made: NDArray[np.int64]) -> NDArray[np.int64]:
    """``recorded_at``: made_at when the two cells are the same text (the usual export) or it is blank."""
    if "recorded_at" not in columns.columns:
        return made
    recorded_text = columns.text("recorded_at")
    same = pc.equal(recorded_text, columns.text("made_at")).to_numpy(zero_copy_only=False)
    later = ~same & _filled(recorded_text)
    if not later.any():
        return made
    recorded = made.copy()
    recorded[later] = _micros(pc.filter(recorded_text, pa.array(later)))
    return recorded


@dataclass
class _Codes:
    """Names numbered in the order the file first shows them, across batches."""

    names: list[str] = field(default_factory=list)
    code: dict[str, int] = field(default_factory=dict)

    def encode(self, column: pa.StringArray) -> tuple[NDArray[np.int32], set[int]]:
        """The column as codes, and the codes new in it."""
        encoded = pc.dictionary_encode(column)
        known = len(self.names)
        mapping = []
        for name in encoded.dictionary.to_pylist():  # in the batch's order of first appearance
            code = self.code.get(name)
            if code is None:
                code = self.code[name] = len(self.names)
                self.names.append(str(name))
            mapping.append(code)
        codes = np.asarray(mapping, dtype=np.int32)[encoded.indices.to_numpy(zero_copy_only=False)]
        return codes, set(range(known, len(self.names)))


@dataclass
class _Collected:
    """What the batches so far hold: the forecasts' columns and the rows the row reader must see."""

    n_rows: int = 0
    questions: _Codes = field(default_factory=_Codes)
    people: _Codes = field(default_factory=_Codes)
    settled: set[int] = field(default_factory=set)  # questions whose first row with an outcome was taken
    # (file row, 0 for a question's first row or 1 for its first row with an outcome, code, the row)
    rows: list[tuple[int, int, int, Row]] = field(default_factory=list)
    kinds: list[tuple[int, str, str]] = field(default_factory=list)  # (file row, forecaster, kind)
    parts: dict[str, list[NDArray[np.generic]]] = field(default_factory=dict)
    rationale: list[str] = field(default_factory=list)

    def _keep(self, **columns: NDArray[np.generic]) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(values)

    def take(self, columns: CsvColumns) -> None:
        _check_plain(columns)
        probability, read = decimals(_stripped(columns.text("probability")))
        _require(bool(read.all()) and bool(np.all((probability >= 0) & (probability <= 1))))
        made = _micros(columns.text("made_at"))
        question, new_questions = self.questions.encode(_stripped(columns.text("question_uid")))
        person, new_people = self.people.encode(columns.text("forecaster"))
        self._first_rows_of(columns, question, new_questions, person, new_people)
        self._keep(
            question=question,
            person=person,
            made=made,
            probability=probability,
            origin=_origins(columns),
            recorded=_recorded(columns, made),
        )
        self.rationale.extend(columns.text("rationale").to_pylist())  # str, or the row would not be read
        self.n_rows += columns.n_rows

    def _first_rows_of(
        self,
        columns: CsvColumns,
        question: NDArray[np.int32],
        new_questions: set[int],
        person: NDArray[np.int32],
        new_people: set[int],
    ) -> None:
        """Each question's first row, its first row with an outcome, each forecaster's first kind."""
        wanted = [(i, 0, code) for code, i in _first_rows(question).items() if code in new_questions]
        outcome = _filled(columns.text("resolution_outcome"))
        settles = [
            (i, 1, code) for code, i in _first_rows(question, outcome).items() if code not in self.settled
        ]
        self.settled.update(code for _, _, code in settles)
        wanted += settles
        for (i, kind, code), row in zip(wanted, _rows(columns, [i for i, _, _ in wanted]), strict=True):
            self.rows.append((self.n_rows + i, kind, code, row))
        kinds = _stripped(columns.text("forecaster_kind"))
        for code, i in _first_rows(person).items():
            if code in new_people:
                self.kinds.append((self.n_rows + i, self.people.names[code], str(kinds[i].as_py())))

    def _column(self, name: str) -> NDArray[np.generic]:
        return np.concatenate(self.parts[name])

    def finish(self) -> Parsed:
        builder = BundleBuilder("ours-csv")
        uids = self.questions.names
        for row, kind, code, cells in sorted(self.rows, key=lambda item: item[:2]):
            if kind == 0:
                question = builder.question(ours.question_of_row(cells))
                _require(question.type == "binary" and question.uid == uids[code])
            else:
                builder.resolution(ours.resolution_of_row(cells, uids[code]), row + 2)  # raises if bad
        for _, name, kind_name in sorted(self.kinds):
            builder.forecaster(name, kind_name or "person")
        _require(not builder.parsed.errors)
        forecasts = ForecastColumns(
            question_uids=tuple(uids),
            forecasters=tuple(self.people.names),
            origins=FORECAST_ORIGINS,
            question=self._column("question").astype(np.int32),
            forecaster=self._column("person").astype(np.int32),
            made_at=self._column("made").astype(np.int64),
            probability=self._column("probability").astype(np.float64),
            rationale=self.rationale,
            origin=self._column("origin").astype(np.int8),
            recorded_at=self._column("recorded").astype(np.int64),
        )
        self.parts.clear()
        _no_repeats_or_late_forecasts(builder, forecasts)
        return _bundled(builder, forecasts)


def _no_repeats_or_late_forecasts(builder: BundleBuilder, forecasts: ForecastColumns) -> None:
    question, made = forecasts.question, forecasts.made_at
    pair = question.astype(np.int64) * len(forecasts.forecasters) + forecasts.forecaster
    order = np.lexsort((made, pair))
    pair, made_in_order = pair[order], made[order]
    same = (pair[1:] == pair[:-1]) & (made_in_order[1:] == made_in_order[:-1])
    _require(not same.any())  # a repeat is the row reader's to report
    current = {}
    for record, _ in sorted(builder.resolutions, key=lambda item: item[0].recorded_at):
        current[record.question_uid] = record
    limit = np.full(len(forecasts.question_uids), np.iinfo(np.int64).max, dtype=np.int64)
    for code, uid in enumerate(forecasts.question_uids):
        settled = current.get(uid)
        if settled is not None and settled.outcome != "unresolved" and settled.resolved_at is not None:
            limit[code] = micros_of(settled.resolved_at)
    _require(not np.any(made > limit[question]))  # a late forecast is the row reader's to report


def _bundled(builder: BundleBuilder, forecasts: ForecastColumns) -> Parsed:
    bundle = builder.parsed.bundle
    bundle.forecasts = forecasts
    bundle.questions = sorted(builder.questions.values(), key=lambda q: q.uid)
    taken = [record for record, _ in builder.resolutions]
    bundle.resolutions = sorted(taken, key=lambda r: (r.question_uid, r.recorded_at))
    # Each forecaster's earliest forecast is when they first appear.
    first = np.full(len(forecasts.forecasters), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, forecasts.forecaster, forecasts.made_at)
    earliest = dict(zip(forecasts.forecasters, datetimes_of(first), strict=True))
    for name, (kind, description, created_at) in sorted(builder.forecaster_details.items()):
        bundle.forecasters.append(ForecasterRecord(name, kind, description, created_at or earliest[name]))
    return builder.parsed
