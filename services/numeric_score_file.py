"""Score a CSV of numeric forecasts (``python -m tracker score`` on a file with quantile columns).

Columns: ``question_id, forecaster, made_at, outcome`` and quantile columns
``qNN`` (the NN % quantile: ``q05, q25, q50, q75, q95``, or any other levels,
``q2.5`` too), at least three per row, values rising with their levels.
Optional: ``lower`` and ``upper``, the question's closed range (the CDF's tails
end there; blank means that side is open), and the window columns of the
yes/no file (``opens_at, closes_at, resolved_at``). ``outcome`` is a number;
blank means unresolved and the row is left out, not reported as an error.

As for yes/no files, the file is read as whole columns and checked with numpy;
a row any check fails is read again by ``_row_values``, the row-by-row reading
that words every message, and a file Arrow cannot read as Python's csv module
does is read row by row throughout (``read_rows``, the reference).
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from forecasts.errors import Refused
from forecasts.scoring.numeric_card import NumericCard, NumericTable, score_numeric
from forecasts.scoring.samples import SampleMode
from services.csv_columns import (
    ArrowCannotRead,
    CsvColumns,
    decimals,
    header,
    iso_times,
    numpy_of,
    read_csv_columns,
)
from services.score_file import OPTIONAL, ScoreFileError, SkippedRow, _contradictions, _labels, _timestamp

REQUIRED = ("question_id", "forecaster", "made_at", "outcome")
RANGE = ("lower", "upper")
_QUANTILE_COLUMN = re.compile(r"q(\d{1,2}(?:\.\d+)?)")
NEEDED = (
    f"Needed: {', '.join(REQUIRED)} and at least 3 quantile columns qNN (e.g. q05, q25, q50, q75, q95) "
    f"(optional: {', '.join((*RANGE, *OPTIONAL))})"
)


def quantile_columns(names: list[str]) -> dict[str, float]:
    """The quantile columns of a header and their levels, lowest level first."""
    levels: dict[str, float] = {}
    for name in names:
        match = _QUANTILE_COLUMN.fullmatch(name)
        if match is None or not 0 < float(match.group(1)) < 100:
            continue
        level = float(match.group(1)) / 100
        twin = next((other for other, known in levels.items() if known == level), None)
        if twin is not None:
            raise ScoreFileError(f"columns {twin} and {name} both give the {level:.1%} quantile: keep one")
        levels[name] = level
    return dict(sorted(levels.items(), key=lambda item: item[1]))


def is_numeric_file(path: Path) -> bool:
    """Does the header have quantile columns (and no probability column)?"""
    try:
        names = [name.strip() for name in header(path)]
    except ArrowCannotRead:
        return False  # the yes/no reading says what is wrong with it
    quantiles = quantile_columns(names)
    if quantiles and "probability" in names:
        raise ScoreFileError(
            f"{path}: has both a probability column and quantile columns ({', '.join(quantiles)}); "
            "a file holds yes/no forecasts (probability) or numeric ones (qNN), not both"
        )
    return bool(quantiles)


@dataclass
class NumericScoreFile:
    table: NumericTable
    skipped: list[SkippedRow] = field(default_factory=list)
    n_unresolved: int = 0


def _shown(value: float) -> str:
    return f"{value:.15g}"


def _number(text: str, column: str, hint: str = "") -> float:
    try:
        value = float(text)
    except ValueError:
        advice = " (write 12000, without thousands separators)" if "," in text else hint
        raise ValueError(f"{column} {text!r} is not a number{advice}") from None
    if not math.isfinite(value):
        raise ValueError(f"{column} {text!r} is not a finite number{hint}")
    return value


def _quantiles(row: dict[str, str], levels: dict[str, float]) -> list[float]:
    values = [_number(row[c], c) if row.get(c) else math.nan for c in levels]
    stated = [(c, v) for c, v in zip(levels, values, strict=True) if not math.isnan(v)]
    if len(stated) < 3:
        given = ", ".join(c for c, _ in stated) or "none"
        raise ValueError(f"needs at least 3 quantiles, got {given} (fill 3 or more of {', '.join(levels)})")
    for (below, low), (column, value) in itertools.pairwise(stated):
        if value <= low:
            raise ValueError(
                f"{column} {_shown(value)} is not above {below} {_shown(low)}: "
                "quantiles rise with their levels"
            )
    return values


def _range(row: dict[str, str], values: list[float], outcome: float) -> tuple[float, float]:
    lower, upper = (_number(row[c], c) if row.get(c) else math.nan for c in RANGE)
    if lower >= upper:
        raise ValueError(f"lower {_shown(lower)} must be below upper {_shown(upper)}")
    lowest, highest = min(v for v in values if not math.isnan(v)), max(v for v in values if not math.isnan(v))
    if lower >= lowest:
        raise ValueError(f"lower {_shown(lower)} must be below the lowest quantile ({_shown(lowest)})")
    if upper <= highest:
        raise ValueError(f"upper {_shown(upper)} must be above the highest quantile ({_shown(highest)})")
    for side, bound, outside in (("lower", lower, outcome < lower), ("upper", upper, outcome > upper)):
        if outside:
            raise ValueError(
                f"outcome {_shown(outcome)} is outside the closed range at {side} {_shown(bound)} "
                f"(leave {side} blank if the range is open there)"
            )
    return lower, upper


@dataclass(frozen=True)
class Row:
    question: str
    forecaster: str
    numbers: dict[str, float]  # made_at, outcome, lower, upper and the window, as the table's columns
    values: list[float]  # by level, NaN where not stated


def _row_values(row: dict[str, str], levels: dict[str, float]) -> Row | None:
    """One row's values (None: unresolved), or ValueError saying what is wrong and what is allowed."""
    question, forecaster = row["question_id"], row["forecaster"]
    if not question or not forecaster:
        raise ValueError("question_id and forecaster must not be empty")
    if row["outcome"] == "":
        return None
    outcome = _number(row["outcome"], "outcome", " (blank = unresolved)")
    made_at = _timestamp(row["made_at"], "made_at")
    values = _quantiles(row, levels)
    lower, upper = _range(row, values, outcome)
    opens_at, closes_at, resolved_at = (_timestamp(row[c], c) if row.get(c) else math.nan for c in OPTIONAL)
    if math.isfinite(resolved_at) and made_at > resolved_at:
        raise ValueError("made_at is after resolved_at: a forecast made after the answer is known")
    if math.isfinite(opens_at) and math.isfinite(closes_at) and closes_at <= opens_at:
        raise ValueError("closes_at must be after opens_at")
    numbers = {"made_at": made_at, "outcome": outcome, "lower": lower, "upper": upper}
    numbers |= {"opens_at": opens_at, "closes_at": closes_at, "resolved_at": resolved_at}
    return Row(question, forecaster, numbers, values)


_NUMBERS = ("made_at", "outcome", "lower", "upper", *OPTIONAL)


def _contradiction(outcome: float, first_line: int, question: str) -> str:
    return f"outcome {_shown(outcome)} contradicts line {first_line} for question {question!r}"


def _missing_columns(path: Path, names: list[str]) -> dict[str, float]:
    missing = [c for c in REQUIRED if c not in names]
    levels = quantile_columns(names)
    if missing or len(levels) < 3:
        what = ", ".join(missing) if missing else f"quantiles (only {', '.join(levels)})"
        raise ScoreFileError(f"{path}: missing column(s) {what}; found {', '.join(names)}. {NEEDED}")
    return levels


def read_rows(path: Path) -> NumericScoreFile:
    """The file read row by row with Python's csv module: the reference reading."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        levels = _missing_columns(path, [c.strip() for c in reader.fieldnames or []])
        rows: list[Row] = []
        skipped: list[SkippedRow] = []
        n_unresolved = 0
        outcome_of: dict[str, tuple[float, int]] = {}
        for line, raw in enumerate(reader, start=2):
            cells = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            try:
                values = _row_values(cells, levels)
                if values is None:
                    n_unresolved += 1
                    continue
                outcome = values.numbers["outcome"]
                known = outcome_of.setdefault(values.question, (outcome, line))
                if known[0] != outcome:
                    raise ValueError(_contradiction(outcome, known[1], values.question))
            except ValueError as error:
                skipped.append(SkippedRow(line, str(error)))
                continue
            rows.append(values)
    return NumericScoreFile(_table_of_rows(rows, levels), skipped, n_unresolved)


def _table_of_rows(rows: list[Row], levels: dict[str, float]) -> NumericTable:
    numbers = {name: np.array([r.numbers[name] for r in rows], dtype=np.float64) for name in _NUMBERS}
    values = np.array([r.values for r in rows], dtype=np.float64).reshape(len(rows), len(levels))
    return NumericTable(
        question=np.asarray([r.question for r in rows], dtype=str),
        forecaster=np.asarray([r.forecaster for r in rows], dtype=str),
        levels=np.array(list(levels.values())),
        values=values,
        made_at=numbers["made_at"],
        outcome=numbers["outcome"],
        lower=numbers["lower"],
        upper=numbers["upper"],
        opens_at=numbers["opens_at"],
        closes_at=numbers["closes_at"],
        resolved_at=numbers["resolved_at"],
    )


def read_numeric_file(path: Path) -> NumericScoreFile:
    """Good rows as a table, bad rows with their line and reason, unresolved rows counted."""
    try:
        columns = read_csv_columns(path)
    except ArrowCannotRead:
        return read_rows(path)
    levels = _missing_columns(path, columns.names)
    read = _read_columns(columns, levels)
    del columns
    pa.default_memory_pool().release_unused()
    return read


@dataclass
class _Checked:
    numbers: dict[str, NDArray[np.float64]]
    values: NDArray[np.float64]
    unresolved: NDArray[np.bool_]
    good: NDArray[np.bool_]


def _numbers(
    column: pa.StringArray, filled: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each filled cell's number (NaN where blank) and whether it is fine (blank counts as fine)."""
    values, read = decimals(column)
    finite = read & np.isfinite(values)
    return np.where(filled, values, np.nan), finite | ~filled


def _check_quantiles(
    columns: CsvColumns, levels: dict[str, float]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    cells = [columns.text(name) for name in levels]
    read = [_numbers(c, numpy_of(pc.binary_length(c)) > 0) for c in cells]
    values = np.column_stack([v for v, _ in read])
    ok = np.logical_and.reduce([k for _, k in read])
    stated = ~np.isnan(values)
    running_max = np.fmax.accumulate(values, axis=1)
    previous = np.column_stack([np.full(len(values), -np.inf), running_max[:, :-1]])
    with np.errstate(invalid="ignore"):
        rising = np.all(~stated | (values > previous), axis=1)
    return values, ok & rising & (stated.sum(axis=1) >= 3)


def _check_columns(columns: CsvColumns, levels: dict[str, float]) -> _Checked:
    text = {name: columns.text(name) for name in (*REQUIRED, *RANGE, *OPTIONAL)}
    filled = {name: numpy_of(pc.binary_length(column)) > 0 for name, column in text.items()}
    values, good = _check_quantiles(columns, levels)
    numbers: dict[str, NDArray[np.float64]] = {}
    for name in ("outcome", *RANGE):
        numbers[name], fine = _numbers(text[name], filled[name])
        good &= fine
    made = iso_times(text["made_at"])
    numbers["made_at"] = made.seconds
    good &= filled["question_id"] & filled["forecaster"] & filled["outcome"] & made.ok
    for name in OPTIONAL:
        times = iso_times(text[name])
        good &= times.ok | ~filled[name]
        numbers[name] = np.where(filled[name], times.seconds, np.nan)
    lower, upper, outcome = numbers["lower"], numbers["upper"], numbers["outcome"]
    lowest, highest = np.fmin.reduce(values, axis=1), np.fmax.reduce(values, axis=1)  # NaN ignored
    with np.errstate(invalid="ignore"):
        good &= ~(lower >= upper) & ~(lower >= lowest) & ~(upper <= highest)
        good &= ~(outcome < lower) & ~(outcome > upper)
        good &= ~(numbers["made_at"] > numbers["resolved_at"]) & ~(
            numbers["closes_at"] <= numbers["opens_at"]
        )
    unresolved = filled["question_id"] & filled["forecaster"] & ~filled["outcome"]
    return _Checked(numbers, values, unresolved, good)


def _read_columns(columns: CsvColumns, levels: dict[str, float]) -> NumericScoreFile:
    checked = _check_columns(columns, levels)
    numbers, values, good = checked.numbers, checked.values, checked.good.copy()
    skipped: dict[int, str] = {}
    for i in np.flatnonzero(~good & ~checked.unresolved).tolist():  # the few rows to read one by one
        cells = {name: str(columns.text(name)[i].as_py()) for name in columns.columns}
        try:
            row = _row_values(cells, levels)
        except ValueError as error:
            skipped[i] = str(error)
            continue
        if row is not None:
            for name in _NUMBERS:
                numbers[name][i] = row.numbers[name]
            values[i] = row.values
            good[i] = True
    questions = pc.dictionary_encode(columns.text("question_id"))
    question_index = numpy_of(questions.indices)
    _contradictions(question_index, numbers["outcome"], good, questions.dictionary, skipped, _contradiction)
    for i in skipped:
        good[i] = False
    forecasters = pc.dictionary_encode(columns.text("forecaster"))
    question_labels, question_codes = _labels(questions.dictionary, question_index[good])
    forecaster_labels, forecaster_codes = _labels(forecasters.dictionary, numpy_of(forecasters.indices)[good])
    table = NumericTable(
        question=question_labels,
        forecaster=forecaster_labels,
        levels=np.array(list(levels.values())),
        values=values[good],
        question_codes=question_codes,
        forecaster_codes=forecaster_codes,
        **{name: numbers[name][good] for name in _NUMBERS},
    )
    reasons = [SkippedRow(i + 2, skipped[i]) for i in sorted(skipped)]
    return NumericScoreFile(table, reasons, int(checked.unresolved.sum()))


@dataclass(frozen=True)
class ScoredNumericFile:
    card: NumericCard
    skipped: list[SkippedRow]
    n_unresolved: int


def score_numeric_file(path: Path, samples: SampleMode = "last") -> ScoredNumericFile:
    """Score a CSV of resolved numeric forecasts; bad rows are skipped and listed."""
    parsed = read_numeric_file(path)
    if len(parsed.table) == 0:
        raise ScoreFileError(
            f"{path}: no resolved forecasts to score (needs rows with a number in outcome). {NEEDED}",
            skipped=parsed.skipped,
        )
    try:
        card = score_numeric(parsed.table, samples=samples)
    except ValueError as error:
        raise Refused(str(error)) from error
    return ScoredNumericFile(card, parsed.skipped, parsed.n_unresolved)
