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

from forecasts.rules import FORECAST_ORIGINS
from services.csv_columns import (
    ArrowCannotRead,
    CsvColumns,
    csv_batches,
    decimals,
    head,
    numpy_of,
)
from services.csv_columns import header as csv_header
from services.transfer import ours
from services.transfer.builder import BundleBuilder
from services.transfer.columns import (
    Codes,
    NotPlain,
    all_plain,
    bundled,
    filled,
    first_rows,
    micros,
    no_escaped_cells,
    no_huge_cells,
    no_repeats_or_late_forecasts,
    require,
    rows_of,
    stripped,
)
from services.transfer.reading import SNIFFED_SAMPLE, Row, RowProblem, sniffed_dialect
from services.transfer.records import ForecastColumns, Parsed


def comma_separated(source: Path | bytes) -> bool:
    """Does csv_table read this file as plain commas (as Arrow reads it)?"""
    sample = head(source, SNIFFED_SAMPLE * 4)  # bytes enough for SNIFFED_SAMPLE characters
    dialect = sniffed_dialect(sample.decode("utf-8-sig", errors="ignore")[:SNIFFED_SAMPLE])
    return dialect.delimiter == "," and not dialect.skipinitialspace


def parse_forecasts_columns(source: Path | bytes) -> Parsed | None:
    """The file as :func:`services.transfer.ours.parse_forecasts_csv` reads it, or None to read it so."""
    try:
        if not comma_separated(source):
            return None
        names = {name.strip() for name in csv_header(source)}
        if any(name not in names for name in (*ours.REQUIRED_FORECAST_COLUMNS, "probability")):
            return None
        collected = _Collected()
        for batch in csv_batches(source):
            collected.take(batch)
        return collected.finish() if collected.n_rows else None
    except (ArrowCannotRead, NotPlain, RowProblem):
        return None


def _check_plain(columns: CsvColumns) -> None:
    """Every row of the batch is one the columns can take as it is (a row of empty cells, which
    csv_table skips, has no question_uid, so it is not plain)."""
    for name in ("option_probabilities", "because", "quantiles"):
        require(not filled(columns.text(name)).any())
    for name in ("question_uid", "forecaster", "probability", "made_at"):
        require(bool(filled(columns.text(name)).all()) and all_plain(columns.text(name)))
    forecaster = columns.text("forecaster")
    require(bool(pc.all(pc.equal(forecaster, stripped(forecaster))).as_py()))
    no_escaped_cells(columns)
    no_huge_cells(columns)


def _origins(columns: CsvColumns) -> NDArray[np.int8]:
    """``origin`` as codes into FORECAST_ORIGINS (blank: import); a name outside them is not plain."""
    if "origin" not in columns.columns:
        return np.full(columns.n_rows, FORECAST_ORIGINS.index("import"), dtype=np.int8)
    origin = stripped(columns.text("origin"))
    codes = pc.index_in(
        pc.if_else(pc.equal(origin, ""), "import", origin), value_set=pa.array(FORECAST_ORIGINS)
    )
    require(codes.null_count == 0)
    origins: NDArray[np.int8] = numpy_of(codes).astype(np.int8)
    return origins


def _recorded(columns: CsvColumns, made: NDArray[np.int64]) -> NDArray[np.int64]:
    """``recorded_at``: made_at when the two cells are the same text (the usual export) or it is blank."""
    if "recorded_at" not in columns.columns:
        return made
    recorded_text = columns.text("recorded_at")
    same = numpy_of(pc.equal(recorded_text, columns.text("made_at")))
    later = ~same & filled(recorded_text)
    if not later.any():
        return made
    recorded = made.copy()
    recorded[later] = micros(pc.filter(recorded_text, pa.array(later)))
    return recorded


@dataclass
class _Collected:
    """What the batches so far hold: the forecasts' columns and the rows the row reader must see."""

    n_rows: int = 0
    questions: Codes = field(default_factory=Codes)
    people: Codes = field(default_factory=Codes)
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
        probability, read = decimals(stripped(columns.text("probability")))
        require(bool(read.all()) and bool(np.all((probability >= 0) & (probability <= 1))))
        made = micros(columns.text("made_at"))
        question, new_questions = self.questions.encode(stripped(columns.text("question_uid")))
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
        wanted = [(i, 0, code) for code, i in first_rows(question).items() if code in new_questions]
        outcome = filled(columns.text("resolution_outcome"))
        settles = [
            (i, 1, code) for code, i in first_rows(question, outcome).items() if code not in self.settled
        ]
        self.settled.update(code for _, _, code in settles)
        wanted += settles
        for (i, kind, code), row in zip(wanted, rows_of(columns, [i for i, _, _ in wanted]), strict=True):
            self.rows.append((self.n_rows + i, kind, code, row))
        kinds = stripped(columns.text("forecaster_kind"))
        for code, i in first_rows(person).items():
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
                require(question.type == "binary" and question.uid == uids[code])
            else:
                builder.resolution(ours.resolution_of_row(cells, uids[code]), row + 2)  # raises if bad
        for _, name, kind_name in sorted(self.kinds):
            builder.forecaster(name, kind_name or "person")
        require(not builder.parsed.errors)
        forecasts = ForecastColumns(
            question_uids=tuple(uids),
            forecasters=tuple(self.people.names),
            question=self._column("question").astype(np.int32),
            forecaster=self._column("person").astype(np.int32),
            made_at=self._column("made").astype(np.int64),
            probability=self._column("probability").astype(np.float64),
            rationale=self.rationale,
            origin=self._column("origin").astype(np.int8),
            recorded_at=self._column("recorded").astype(np.int64),
        )
        self.parts.clear()
        no_repeats_or_late_forecasts(builder, forecasts)
        return bundled(builder, forecasts)
