"""What the columnar readers share: checks over a batch's columns, and names numbered across batches.

A columnar reader gives up (raises :class:`NotPlain`) wherever the row reader
would read a cell its own way; the file is then read row by row, so the row
reader stays the one reference for values and messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from forecasts import rules
from forecasts.iso_columns import datetimes_of, micros_of
from services.csv_columns import ASCII_SPACE, CsvColumns, cells, iso_microseconds, numpy_of
from services.transfer.builder import BundleBuilder
from services.transfer.reading import Row
from services.transfer.records import ForecastColumns, ForecasterRecord, Parsed


class NotPlain(Exception):
    """Something the row reader handles (or refuses) its own way."""


def require(condition: bool) -> None:
    if not condition:
        raise NotPlain


def stripped(column: pa.StringArray) -> pa.StringArray:
    return pc.utf8_trim(column, characters=ASCII_SPACE)


def filled(column: pa.StringArray) -> NDArray[np.bool_]:
    filled: NDArray[np.bool_] = numpy_of(pc.binary_length(stripped(column))) > 0
    return filled


def all_plain(column: pa.StringArray) -> bool:
    """No cell has spaces a Python strip would remove that an ASCII strip would not."""
    data = cells(column).data  # the bytes of the column (and perhaps of its neighbours)
    if not np.any((data >= 0x80) | ((data >= 0x1C) & (data <= 0x1F))):
        return True  # no byte of a space beyond ASCII_SPACE (\x1c-\x1f, or any non-ASCII one)
    return pc.all(pc.equal(stripped(column), pc.utf8_trim_whitespace(column))).as_py() is not False


def no_escaped_cells(columns: CsvColumns) -> None:
    """No cell starts with ``'``: such a cell may be one our export made spreadsheet-safe, which
    the row reader reads back (services.transfer.cells.unescaped)."""
    for name in columns.names:
        column = columns.text(name)
        if np.any(cells(column).data == ord("'")):  # rare: look closer only then
            require(not pc.any(pc.starts_with(column, "'")).as_py())


def no_huge_cells(columns: CsvColumns) -> None:
    """No cell over the longest a cell may be: the row reader refuses such a file by line and column.
    (Bytes bound characters from above, so a column within the limit in bytes is within it.)"""
    for name in columns.names:
        longest = pc.max(pc.binary_length(columns.text(name))).as_py()
        require(longest is None or longest <= rules.MAX_CELL_LENGTH)


def micros(column: pa.StringArray) -> NDArray[np.int64]:
    micros, ok = iso_microseconds(stripped(column))
    require(bool(ok.all()))
    return micros


def rows_of(columns: CsvColumns, positions: list[int]) -> list[Row]:
    """These rows of the batch as the row reader's ``Row`` (one take per column, not one per cell)."""
    index = {name: j for j, name in enumerate(columns.names)}
    taken = pa.array(positions, type=pa.int64())
    by_column = [columns.text(name).take(taken).to_pylist() for name in columns.names]
    return [Row(index, [str(cell) for cell in cells]) for cells in zip(*by_column, strict=True)]


def first_rows(groups: NDArray[np.integer], rows: NDArray[np.bool_] | None = None) -> dict[int, int]:
    chosen = np.flatnonzero(rows) if rows is not None else np.arange(groups.size)
    found, first = np.unique(groups[chosen], return_index=True)
    return dict(zip(found.tolist(), chosen[first].tolist(), strict=True))


@dataclass
class Codes:
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
        codes = np.asarray(mapping, dtype=np.int32)[numpy_of(encoded.indices)]
        return codes, set(range(known, len(self.names)))


def no_repeats_or_late_forecasts(builder: BundleBuilder, forecasts: ForecastColumns) -> None:
    """No (question, forecaster, time) twice and no forecast after its question's resolution: both
    are the row reader's to report."""
    question, made = forecasts.question, forecasts.made_at
    pair = question.astype(np.int64) * len(forecasts.forecasters) + forecasts.forecaster
    require(not _any_repeated(pair, made))  # a repeat is the row reader's to report
    current = {}
    for record, _ in sorted(builder.resolutions, key=lambda item: item[0].recorded_at):
        current[record.question_uid] = record
    limit = np.full(len(forecasts.question_uids), np.iinfo(np.int64).max, dtype=np.int64)
    for code, uid in enumerate(forecasts.question_uids):
        settled = current.get(uid)
        if settled is not None and settled.outcome != "unresolved" and settled.resolved_at is not None:
            limit[code] = micros_of(settled.resolved_at)
    require(not np.any(made > limit[question]))  # a late forecast is the row reader's to report
    # so is a forecast from the future, or from before its question opened
    require(not np.any(made > micros_of(builder.now + rules.CLOCK_SLACK)))
    opens = np.array([micros_of(builder.questions[uid].opens_at) for uid in forecasts.question_uids])
    require(not np.any(made < opens[question]))


_MIXER = np.int64(-7046029254386353131)  # 2**64 / golden ratio, as a signed 64-bit number


def _any_repeated(pair: NDArray[np.int64], made: NDArray[np.int64]) -> bool:
    """Is any (pair, made) there twice? Sorting one hash of both is 20 times faster than sorting by
    the two: a repeat hashes alike, so when no two hashes are alike there is none; when two are,
    the exact sort decides."""
    with np.errstate(over="ignore"):  # the hash wraps around, as it should
        hashes = np.sort((made * _MIXER) ^ pair)
    if not np.any(hashes[1:] == hashes[:-1]):
        return False
    order = np.lexsort((made, pair))
    pair, made = pair[order], made[order]
    return bool(np.any((pair[1:] == pair[:-1]) & (made[1:] == made[:-1])))


def bundled(builder: BundleBuilder, forecasts: ForecastColumns) -> Parsed:
    """The bundle as BundleBuilder.finish leaves it, with the forecasts as columns."""
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
