"""Score a CSV of forecasts (``python -m tracker score``): good rows in, bad rows named; no database.

Columns: ``question_id, forecaster, made_at, probability, outcome`` and
optionally ``opens_at, closes_at, resolved_at``. ``outcome`` is 1 or 0 (also
yes/no, true/false); blank means unresolved and the row is left out, not
reported as an error. Times are ISO-8601; a time without a zone is UTC.

The file is read as whole columns (:mod:`services.csv_columns`) and checked
with numpy; a row any check fails, or with a cell written in a shape the
vectorised parsers leave alone, is read again by ``_row_values``, the
row-by-row reading that words every message. A file Arrow cannot read the way
Python's csv module does is read row by row throughout. Both ways give the same
table and the same messages (tests/test_score_file.py checks them against each other).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from forecasts.entry import parse_time
from forecasts.errors import Invalid, Refused
from forecasts.rules import check_probability
from forecasts.scoring.samples import SampleMode
from forecasts.scoring.scorecard import ForecastTable, Scorecard, score_forecasts
from services.csv_columns import (
    ASCII_SPACE,
    ArrowCannotRead,
    CsvColumns,
    decimals,
    iso_times,
    numpy_of,
    read_csv_columns,
)

REQUIRED = ("question_id", "forecaster", "made_at", "probability", "outcome")
OPTIONAL = ("opens_at", "closes_at", "resolved_at")
_OUTCOMES = {"1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str


class ScoreFileError(Refused):
    """The file as a whole cannot be scored (missing columns, no resolved rows); ``skipped`` lists
    the rows already found bad."""

    def __init__(self, message: str, skipped: list[SkippedRow] | None = None) -> None:
        super().__init__(message)
        self.skipped = list(skipped or [])


@dataclass
class ScoreFile:
    table: ForecastTable
    skipped: list[SkippedRow] = field(default_factory=list)
    n_unresolved: int = 0


def _timestamp(text: str, column: str) -> float:
    try:
        return parse_time(text).timestamp()  # the importers' reading: ISO 8601, UTC when no zone
    except Invalid:
        raise ValueError(f"{column} {text!r} is not an ISO-8601 time (e.g. 2016-12-15T06:00:00Z)") from None


def _probability(text: str) -> float:
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip()) / (100 if percent else 1)
    except ValueError:
        raise ValueError(f"probability {text!r} is not a number (write 0.7 or 70%)") from None
    try:
        return check_probability(value, shown=text)
    except Invalid as error:
        raise ValueError(f"probability {error.message} (write 0.7 or 70%)") from None


Row = tuple[str, str, float, float, float, float, float, float]  # question … resolved_at, as the table


def _row_values(row: dict[str, str]) -> Row | None:
    """One row's values (None: unresolved), or ValueError saying what is wrong and what is allowed."""
    question, forecaster = row["question_id"], row["forecaster"]
    if not question or not forecaster:
        raise ValueError("question_id and forecaster must not be empty")
    outcome_text = row["outcome"].lower()
    if outcome_text == "":
        return None
    if outcome_text not in _OUTCOMES:
        raise ValueError(f"outcome {row['outcome']!r} is not 1 or 0 (blank = unresolved)")
    outcome = _OUTCOMES[outcome_text]
    made_at = _timestamp(row["made_at"], "made_at")
    probability = _probability(row["probability"])
    window = [_timestamp(row[c], c) if row.get(c) else float("nan") for c in OPTIONAL]
    opens_at, closes_at, resolved_at = window
    if math.isfinite(resolved_at) and made_at > resolved_at:
        raise ValueError("made_at is after resolved_at: a forecast made after the answer is known")
    if math.isfinite(opens_at) and math.isfinite(closes_at) and closes_at <= opens_at:
        raise ValueError("closes_at must be after opens_at")
    return (question, forecaster, made_at, probability, outcome, opens_at, closes_at, resolved_at)


def _missing_columns(path: Path, columns: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ScoreFileError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}. "
            f"Needed: {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})"
        )


def _contradiction(outcome: float, first_line: int, question: str) -> str:
    return f"outcome {int(outcome)} contradicts line {first_line} for question {question!r}"


def read_rows(path: Path) -> ScoreFile:
    """The file read row by row with Python's csv module: the reference reading."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        _missing_columns(path, [c.strip() for c in reader.fieldnames or []])
        rows: list[Row] = []
        skipped: list[SkippedRow] = []
        n_unresolved = 0
        outcome_of: dict[str, tuple[float, int]] = {}
        for line, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            try:
                values = _row_values(row)
                if values is None:
                    n_unresolved += 1
                    continue
                known = outcome_of.setdefault(values[0], (values[4], line))
                if known[0] != values[4]:
                    raise ValueError(_contradiction(values[4], known[1], values[0]))
            except ValueError as error:
                skipped.append(SkippedRow(line, str(error)))
                continue
            rows.append(values)
    return ScoreFile(table=_table_of_rows(rows), skipped=skipped, n_unresolved=n_unresolved)


def _table_of_rows(rows: list[Row]) -> ForecastTable:
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(8)]
    made_at, probability, outcome, opens_at, closes_at, resolved_at = (
        np.asarray(values, dtype=np.float64) for values in columns[2:]
    )
    return ForecastTable(
        question=np.asarray(columns[0], dtype=str),
        forecaster=np.asarray(columns[1], dtype=str),
        made_at=made_at,
        probability=probability,
        outcome=outcome,
        opens_at=opens_at,
        closes_at=closes_at,
        resolved_at=resolved_at,
    )


_NUMBERS = ("made_at", "probability", "outcome", "opens_at", "closes_at", "resolved_at")


def read_score_file(path: Path) -> ScoreFile:
    """Good rows as a table, bad rows with their line and reason, unresolved rows counted."""
    try:
        columns = read_csv_columns(path)
    except ArrowCannotRead:
        return read_rows(path)
    _missing_columns(path, columns.names)
    scored = _read_columns(columns)
    del columns
    pa.default_memory_pool().release_unused()  # Arrow's pool keeps freed pages; scoring needs them
    return scored


@dataclass
class _Checked:
    """What the vectorised checks made of every row: values where they could, and which rows."""

    numbers: dict[str, NDArray[np.float64]]
    unresolved: NDArray[np.bool_]
    good: NDArray[np.bool_]  # every check passed (the outcome's agreement with other rows aside)


def _outcomes(column: pa.StringArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    encoded = pc.dictionary_encode(pc.utf8_lower(column))  # a handful of distinct words
    value_of = np.array([_OUTCOMES.get(str(word), np.nan) for word in encoded.dictionary.to_pylist()])
    values = value_of[numpy_of(encoded.indices)] if len(value_of) else np.empty(0)
    known = ~np.isnan(values)
    return values, known


def _probabilities(column: pa.StringArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """As ``_probability`` reads each cell: 0.7 or 70% (rows outside the fast shapes: not ok)."""
    percent = numpy_of(pc.ends_with(column, "%"))
    if percent.any():
        column = pc.utf8_trim(pc.utf8_rtrim(column, characters="%"), characters=ASCII_SPACE)
    values, ok = decimals(column)
    values = np.where(percent, values / 100, values)
    return values, ok & (values >= 0) & (values <= 1)


def _check_columns(columns: CsvColumns) -> _Checked:
    text = {name: columns.text(name) for name in (*REQUIRED, *OPTIONAL)}
    filled = {name: numpy_of(pc.binary_length(column)) > 0 for name, column in text.items()}
    outcome, outcome_known = _outcomes(text["outcome"])
    probability, probability_ok = _probabilities(text["probability"])
    made = iso_times(text["made_at"])
    numbers = {"made_at": made.seconds, "probability": probability, "outcome": outcome}
    good = filled["question_id"] & filled["forecaster"] & outcome_known & made.ok & probability_ok
    for name in OPTIONAL:
        if not filled[name].any():  # the column is absent or empty
            numbers[name] = np.full(columns.n_rows, np.nan)
            continue
        times = iso_times(text[name])
        good &= times.ok | ~filled[name]
        numbers[name] = np.where(filled[name], times.seconds, np.nan)
    with np.errstate(invalid="ignore"):
        good &= ~(numbers["made_at"] > numbers["resolved_at"])
        good &= ~(numbers["closes_at"] <= numbers["opens_at"])
    unresolved = filled["question_id"] & filled["forecaster"] & ~filled["outcome"]
    return _Checked(numbers, unresolved, good)


def _read_columns(columns: CsvColumns) -> ScoreFile:
    checked = _check_columns(columns)
    numbers, good = checked.numbers, checked.good.copy()
    skipped: dict[int, str] = {}
    for i in np.flatnonzero(~good & ~checked.unresolved).tolist():  # the few rows to read one by one
        row = {name: str(columns.text(name)[i].as_py()) for name in columns.columns}
        try:
            values = _row_values(row)
        except ValueError as error:
            skipped[i] = str(error)
            continue
        if values is not None:
            for name, value in zip(_NUMBERS, values[2:], strict=True):
                numbers[name][i] = value
            good[i] = True
    questions = pc.dictionary_encode(columns.text("question_id"))
    question_index = numpy_of(questions.indices)
    _contradictions(question_index, numbers["outcome"], good, questions.dictionary, skipped)
    for i in skipped:
        good[i] = False
    forecasters = pc.dictionary_encode(columns.text("forecaster"))
    question_labels, question_codes = _labels(questions.dictionary, question_index[good])
    forecaster_index = numpy_of(forecasters.indices)
    forecaster_labels, forecaster_codes = _labels(forecasters.dictionary, forecaster_index[good])
    everything = bool(good.all())  # the usual file: no copies
    kept = {name: numbers[name] if everything else numbers[name][good] for name in _NUMBERS}
    table = ForecastTable(
        question=question_labels,
        forecaster=forecaster_labels,
        made_at=kept["made_at"],
        probability=kept["probability"],
        outcome=kept["outcome"],
        opens_at=kept["opens_at"],
        closes_at=kept["closes_at"],
        resolved_at=kept["resolved_at"],
        question_codes=question_codes,
        forecaster_codes=forecaster_codes,
    )
    reasons = [SkippedRow(i + 2, skipped[i]) for i in sorted(skipped)]  # line 1 is the header
    return ScoreFile(table=table, skipped=reasons, n_unresolved=int(checked.unresolved.sum()))


def _contradictions(
    question: NDArray[np.intp],
    outcome: NDArray[np.float64],
    good: NDArray[np.bool_],
    labels: pa.StringArray,
    skipped: dict[int, str],
    describe: Callable[[float, int, str], str] = _contradiction,
) -> None:
    """A good row whose outcome differs from the first good row of its question is skipped, naming
    that line."""
    rows = np.flatnonzero(good)
    first = np.full(len(labels), rows.size and rows[-1], dtype=np.int64)
    np.minimum.at(first, question[rows], rows)  # each question's first good row
    expected = outcome[first[question[rows]]]
    for i in rows[outcome[rows] != expected].tolist():
        line = int(first[question[i]]) + 2
        skipped[i] = describe(outcome[i], line, str(labels[question[i]].as_py()))


def _labels(dictionary: pa.StringArray, index: NDArray[np.intp]) -> tuple[NDArray[np.str_], NDArray[np.intp]]:
    """The labels of ``index`` (positions in ``dictionary``) and integer codes numbered in sorted-label
    order, as np.unique numbers them (so forecasters come out in the same order either way)."""
    used = np.flatnonzero(np.bincount(index, minlength=len(dictionary)))
    names = np.asarray(dictionary.to_pylist(), dtype=str)[used]
    order = np.argsort(names, kind="stable")
    code_of = np.zeros(len(dictionary), dtype=np.intp)
    code_of[used[order]] = np.arange(used.size)
    codes = code_of[index]
    return names[order][codes], codes


@dataclass(frozen=True)
class ScoredFile:
    card: Scorecard
    skipped: list[SkippedRow]
    n_unresolved: int


def score_file(path: Path, samples: SampleMode = "last") -> ScoredFile:
    """Score a CSV of resolved binary forecasts; bad rows are skipped and listed."""
    parsed = read_score_file(path)
    if len(parsed.table) == 0:
        raise ScoreFileError(
            f"{path}: no resolved forecasts to score "
            f"(needs rows with {', '.join(REQUIRED)} and outcome 1 or 0)",
            skipped=parsed.skipped,
        )
    try:
        card = score_forecasts(parsed.table, samples=samples)
    except ValueError as error:
        raise Refused(str(error)) from error
    return ScoredFile(card, parsed.skipped, parsed.n_unresolved)
