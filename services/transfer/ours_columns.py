"""Our forecasts CSV read as whole columns, when every row is one the row reader would take as it is.

A million-row export is read by :func:`parse_forecasts_csv` one ``Row`` at a
time (15 s). Here the columns are checked at once (:mod:`services.csv_columns`):
when every row is a plain yes/no forecast that passes every rule — comma
separated, a forecaster and a question on every row, times the vectorised
parser reads, probabilities on the 0–1 scale, known origins, no option
probabilities or citations, no forecast after its question's resolution, no
repeated (question, forecaster, time) — the same :class:`Bundle` is built
from the columns, each question and resolution still through the row
reader's own functions. Anything else returns None, and the file is read row
by row as before, so every message and every value stays the row reader's
(tests/test_import_columns.py compares the two on real exports).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from forecasts.rules import FORECAST_ORIGINS
from services.csv_columns import (
    ASCII_SPACE,
    ArrowCannotRead,
    CsvColumns,
    decimals,
    iso_times,
    read_csv_columns,
)
from services.transfer import ours
from services.transfer.builder import BundleBuilder
from services.transfer.reading import Row, RowProblem
from services.transfer.records import ForecasterRecord, ForecastRecord, Parsed

SNIFFED_SAMPLE = 65536  # as csv_table sniffs: the dialect must come out as plain commas


def _comma_separated(data: bytes) -> bool:
    sample = data[: SNIFFED_SAMPLE * 4].decode("utf-8-sig", errors="ignore")[:SNIFFED_SAMPLE]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return True  # csv_table falls back to the excel dialect
    return (dialect.delimiter, dialect.quotechar, dialect.doublequote, dialect.skipinitialspace) == (
        ",",
        '"',
        True,
        False,
    )


def _stripped(column: pa.StringArray) -> pa.StringArray:
    return pc.utf8_trim(column, characters=ASCII_SPACE)


def _filled(column: pa.StringArray) -> NDArray[np.bool_]:
    filled: NDArray[np.bool_] = pc.binary_length(_stripped(column)).to_numpy(zero_copy_only=False) > 0
    return filled


def _all_plain(columns: CsvColumns, name: str) -> bool:
    """No cell of the column has spaces a Python strip would remove that an ASCII strip would not."""
    column = columns.text(name)
    return pc.all(pc.equal(_stripped(column), pc.utf8_trim_whitespace(column))).as_py() is not False


def parse_forecasts_columns(data: bytes) -> Parsed | None:
    """The file as :func:`services.transfer.ours.parse_forecasts_csv` reads it, or None to read it so."""
    if not _comma_separated(data):
        return None
    try:
        columns = read_csv_columns(data, strip=False)
    except ArrowCannotRead:
        return None
    if columns.n_rows == 0 or any(name not in columns.columns for name in ours.REQUIRED_FORECAST_COLUMNS):
        return None
    try:
        return _parse(columns)
    except (_NotPlain, RowProblem):
        return None


class _NotPlain(Exception):
    """Something the row reader handles (or refuses) its own way."""


def _require(condition: bool) -> None:
    if not condition:
        raise _NotPlain


def _times(column: pa.StringArray) -> NDArray[np.float64]:
    times = iso_times(_stripped(column))
    _require(bool(times.ok.all()))
    return times.seconds


def _datetimes(seconds: NDArray[np.float64]) -> list[datetime]:
    micros = np.round(seconds * 1e6).astype(np.int64)
    _require(bool(np.array_equal(micros / 1e6, seconds)))  # exact, as parse_time's timestamp was
    naive = micros.astype("datetime64[us]").astype(object)
    return [moment.replace(tzinfo=UTC) for moment in naive]


def _parse(columns: CsvColumns) -> Parsed:
    names = list(columns.columns)
    text = {name: columns.text(name) for name in names}
    n = columns.n_rows
    any_filled = np.zeros(n, dtype=bool)
    for name in names:
        any_filled |= pc.binary_length(text[name]).to_numpy(zero_copy_only=False) > 0
    _require(bool(any_filled.all()))  # csv_table skips rows of empty cells: leave those to it
    for name in ("option_probabilities", "because"):
        _require(name not in text or not _filled(text[name]).any())
    for name in ("question_uid", "forecaster", "probability", "made_at"):
        _require(bool(_filled(text[name]).all()) and _all_plain(columns, name))
    _require(bool(pc.all(pc.equal(text["forecaster"], _stripped(text["forecaster"]))).as_py()))
    probability, read = decimals(_stripped(text["probability"]))
    _require(bool(read.all()) and bool(np.all((probability >= 0) & (probability <= 1))))
    made_at = _times(text["made_at"])
    builder = BundleBuilder("ours-csv")
    uids = pc.dictionary_encode(_stripped(text["question_uid"]))
    question_of_row = uids.indices.to_numpy(zero_copy_only=False)
    _questions_and_resolutions(builder, columns, names, uids.dictionary, question_of_row)
    question_order = [str(uid) for uid in uids.dictionary.to_pylist()]
    return _finish(builder, columns, text, question_order, question_of_row, probability, made_at)


def _row(columns: CsvColumns, names: list[str], i: int) -> Row:
    index = {name: j for j, name in enumerate(names)}
    return Row(index, [str(columns.columns[name][i].as_py()) for name in names])


def _first_rows(groups: NDArray[np.intp], rows: NDArray[np.bool_] | None = None) -> dict[int, int]:
    chosen = np.flatnonzero(rows) if rows is not None else np.arange(groups.size)
    found, first = np.unique(groups[chosen], return_index=True)
    return dict(zip(found.tolist(), chosen[first].tolist(), strict=True))


def _questions_and_resolutions(
    builder: BundleBuilder,
    columns: CsvColumns,
    names: list[str],
    uids: pa.StringArray,
    question_of_row: NDArray[np.intp],
) -> None:
    """Each question from its first row and its resolution from its first row with an outcome, by the
    row reader's own functions (in file order, as it meets them)."""
    outcome = columns.text("resolution_outcome")
    with_outcome = (
        _filled(outcome) if "resolution_outcome" in columns.columns else np.zeros(len(question_of_row), bool)
    )
    first = _first_rows(question_of_row)
    settled = _first_rows(question_of_row, with_outcome)
    events = sorted([(row, 0, q) for q, row in first.items()] + [(row, 1, q) for q, row in settled.items()])
    for row, kind, q in events:
        cells = _row(columns, names, row)
        if kind == 0:
            question = builder.question(ours.question_of_row(cells))
            _require(question.type == "binary" and question.uid == uids[q].as_py())
        else:
            builder.resolution(ours.resolution_of_row(cells, str(uids[q].as_py())), row + 2)  # raises if bad


def _origins(columns: CsvColumns, n: int) -> list[str]:
    """``origin`` as the row reader reads it (blank: import); a name outside the rules is not plain."""
    if "origin" not in columns.columns:
        return ["import"] * n
    origin = _stripped(columns.text("origin"))
    origins = pc.if_else(pc.equal(origin, ""), "import", origin)
    _require(set(pc.unique(origins).to_pylist()) <= set(FORECAST_ORIGINS))
    return [str(o) for o in origins.to_pylist()]


def _recorded(columns: CsvColumns, made_text: pa.StringArray, made: list[datetime]) -> list[datetime]:
    """``recorded_at``: made_at when the two cells are the same text (the usual export), else its own."""
    if "recorded_at" not in columns.columns:
        return made
    recorded_text = columns.text("recorded_at")
    same = pc.equal(recorded_text, made_text).to_numpy(zero_copy_only=False)
    later = ~same & _filled(recorded_text)
    if not later.any():
        return made
    moments = list(made)
    for i, moment in zip(
        np.flatnonzero(later).tolist(),
        _datetimes(_times(pc.filter(recorded_text, pa.array(later)))),
        strict=True,
    ):
        moments[i] = moment
    return moments


def _finish(
    builder: BundleBuilder,
    columns: CsvColumns,
    text: dict[str, pa.StringArray],
    question_order: list[str],
    question_of_row: NDArray[np.intp],
    probability: NDArray[np.float64],
    made_at: NDArray[np.float64],
) -> Parsed:
    people = pc.dictionary_encode(text["forecaster"])
    person_of_row = people.indices.to_numpy(zero_copy_only=False)
    person_names = [str(name) for name in people.dictionary.to_pylist()]
    kinds = _stripped(columns.text("forecaster_kind"))
    for person, row in sorted(_first_rows(person_of_row).items(), key=lambda item: item[1]):
        builder.forecaster(person_names[person], str(kinds[row].as_py()) or "person")
    _require(not builder.parsed.errors)
    _no_repeats_or_late_forecasts(builder, question_order, question_of_row, person_of_row, made_at)
    made = _datetimes(made_at)
    bundle = builder.parsed.bundle
    bundle.forecasts = [
        ForecastRecord(uid, name, when, p, None, why, source, stamp)
        for uid, name, when, p, why, source, stamp in zip(
            np.asarray(question_order, dtype=object)[question_of_row].tolist(),
            np.asarray(person_names, dtype=object)[person_of_row].tolist(),
            made,
            probability.tolist(),
            columns.text("rationale").to_pylist(),
            _origins(columns, columns.n_rows),
            _recorded(columns, text["made_at"], made),
            strict=True,
        )
    ]
    bundle.questions = sorted(builder.questions.values(), key=lambda q: q.uid)
    taken = [record for record, _ in builder.resolutions]
    bundle.resolutions = sorted(taken, key=lambda r: (r.question_uid, r.recorded_at))
    # Each forecaster's earliest forecast is when they first appear: one sort, first row per person.
    by_time = np.lexsort((made_at, person_of_row))
    people_by_time = person_of_row[by_time]
    firsts = by_time[np.r_[True, people_by_time[1:] != people_by_time[:-1]]]
    earliest = {person_names[int(person_of_row[i])]: made[i] for i in firsts.tolist()}
    for name, (kind, description, created_at) in sorted(builder.forecaster_details.items()):
        bundle.forecasters.append(ForecasterRecord(name, kind, description, created_at or earliest[name]))
    return builder.parsed


def _no_repeats_or_late_forecasts(
    builder: BundleBuilder,
    question_order: list[str],
    question_of_row: NDArray[np.intp],
    person_of_row: NDArray[np.intp],
    made_at: NDArray[np.float64],
) -> None:
    order = np.lexsort((made_at, person_of_row, question_of_row))
    same = np.ones(order.size - 1, dtype=bool)
    for key in (question_of_row, person_of_row, made_at):
        same &= key[order][1:] == key[order][:-1]
    _require(not same.any())  # a repeat is the row reader's to report
    current = {}
    for record, _ in sorted(builder.resolutions, key=lambda item: item[0].recorded_at):
        current[record.question_uid] = record
    limit = np.full(len(question_order), np.inf)
    for q, uid in enumerate(question_order):
        settled = current.get(uid)
        if settled is not None and settled.outcome != "unresolved" and settled.resolved_at is not None:
            limit[q] = settled.resolved_at.timestamp()
    _require(not np.any(made_at > limit[question_of_row]))  # a late forecast is the row reader's to report
