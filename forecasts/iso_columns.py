"""ISO-8601 times of a whole column at once, read the way :func:`forecasts.entry.parse_time` reads one.

The input is a column of cells as one flat byte buffer with each cell's start
and length (as Arrow and CSV readers hold strings). The common shapes are read here with
integer arithmetic —

    2016-12-15   2016-12-15T06:00   2016-12-15 06:00:00   …T06:00:00.123456
    each time optionally followed by Z or ±HH:MM

— and every other cell is marked "not read" (``ok`` False), for the caller to
read with the one-cell parser. So a column gives exactly what ``parse_time``
gives cell by cell: the same accepted values, the same float seconds, and a
cell this reader does not know is never guessed at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

_DIGIT_LOW, _DIGIT_HIGH = ord("0"), ord("9")
_MAX_EXACT_MICROS = 2**53  # int64 → float64 is exact below this, so seconds round as Python's do
_MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z: the datetime range parse_time can return
_MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z


class Times(NamedTuple):
    seconds: NDArray[np.float64]  # since the epoch, UTC (nan where not ok)
    ok: NDArray[np.bool_]  # read here; False: leave the cell to the one-cell parser


class Cells:
    """A column of cells as one flat byte buffer: cell ``i`` is ``data[starts[i]:starts[i] + lengths[i]]``.

    ``char(k)`` reads byte ``k`` of every cell without looking at lengths (past a cell's end it
    sees the next cell), so every test below is guarded by a length test first.
    """

    def __init__(
        self, data: NDArray[np.uint8], starts: NDArray[np.integer], lengths: NDArray[np.int64]
    ) -> None:
        self.data = data if data.size else np.zeros(1, dtype=np.uint8)
        self.starts, self.lengths = starts.astype(np.int64), lengths
        self._cache: dict[int, NDArray[np.uint8]] = {}

    def __len__(self) -> int:
        return int(self.starts.size)

    def char(self, position: int) -> NDArray[np.uint8]:
        if position not in self._cache:
            self._cache[position] = self.at(np.int64(position))
        return self._cache[position]

    def at(self, positions: NDArray[np.int64] | np.int64) -> NDArray[np.uint8]:
        """Each cell's byte at its own position (or past its end, within the buffer: guard with lengths)."""
        index = self.starts + positions
        np.minimum(index, self.data.size - 1, out=index)
        byte: NDArray[np.uint8] = self.data[index]
        return byte

    def digit(self, position: int) -> NDArray[np.bool_]:
        return self.char(position) - np.uint8(_DIGIT_LOW) <= 9  # uint8 wraps below "0"

    def number(self, start: int, width: int) -> NDArray[np.int64]:
        value = np.zeros(len(self), dtype=np.int64)
        for position in range(start, start + width):
            value = value * 10 + (self.char(position) - np.uint8(_DIGIT_LOW))
        return value

    def is_one_of(self, position: int, chars: str) -> NDArray[np.bool_]:
        char = self.char(position)
        found = np.zeros(len(self), dtype=bool)
        for c in chars:
            found |= char == ord(c)
        return found


def _days_from_civil(
    year: NDArray[np.int64], month: NDArray[np.int64], day: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: NDArray[np.int64] = era * 146_097 + day_of_era - 719_468
    return days


def _days_in_month(year: NDArray[np.int64], month: NDArray[np.int64]) -> NDArray[np.int64]:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    days: NDArray[np.int64] = lengths[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    return days


def _fraction(
    cells: Cells, timed: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Microseconds, the width of ``.123`` or ``,123`` at column 19 (0 if none) and whether it is
    well formed (a mark needs at least one digit)."""
    marked = timed & (cells.lengths > 19) & cells.is_one_of(19, ".,")
    micros = np.zeros(len(cells), dtype=np.int64)
    run = np.zeros(len(cells), dtype=np.int64)
    going = marked.copy()
    for position in range(20, 26):  # the digits present, then zeros: ".5" is 500,000 µs
        going &= (position < cells.lengths) & cells.digit(position)
        micros = micros * 10 + np.where(going, cells.char(position) - np.uint8(_DIGIT_LOW), 0)
        run += going
    return micros, np.where(marked, 1 + run, 0), ~marked | (run > 0)


def _zone(cells: Cells, start: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The zone's offset in seconds east of UTC and whether what follows ``start`` is a zone we read."""
    rest = cells.lengths - start
    first = cells.at(start)
    if not np.any(rest > 1):  # no offsets in this column: "Z" or nothing
        return np.zeros(len(cells), dtype=np.int64), (rest == 0) | ((rest == 1) & (first == ord("Z")))
    parts = [cells.at(start + k).astype(np.int64) for k in range(1, 6)]
    shaped = (rest == 6) & ((first == ord("+")) | (first == ord("-"))) & (parts[2] == ord(":"))
    for part in (parts[0], parts[1], parts[3], parts[4]):
        shaped &= (part >= _DIGIT_LOW) & (part <= _DIGIT_HIGH)
    hours = (parts[0] - _DIGIT_LOW) * 10 + parts[1] - _DIGIT_LOW
    minutes = (parts[3] - _DIGIT_LOW) * 10 + parts[4] - _DIGIT_LOW
    offset = np.where(first == ord("-"), -1, 1) * (hours * 3600 + minutes * 60)
    offset_ok = shaped & (hours <= 23) & (minutes <= 59)
    utc = (rest == 1) & (first == ord("Z"))
    return np.where(offset_ok, offset, 0), (rest == 0) | utc | offset_ok


def iso_seconds(cells: Cells) -> Times:
    """Seconds since the epoch of each cell that has a shape we read."""
    micros, ok = iso_micros(cells)
    return Times(np.where(ok, micros.astype(np.float64) / 1e6, np.nan), ok)


def iso_micros(cells: Cells) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Microseconds since the epoch of each cell that has a shape we read (0 where not), and which."""
    n, lengths = len(cells), cells.lengths
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    dated = (lengths >= 10) & (cells.char(4) == ord("-")) & (cells.char(7) == ord("-"))
    for position in (0, 1, 2, 3, 5, 6, 8, 9):
        dated &= cells.digit(position)
    timed = dated & (lengths >= 16) & cells.is_one_of(10, "T ") & (cells.char(13) == ord(":"))
    for position in (11, 12, 14, 15):
        timed &= cells.digit(position)
    with_seconds = timed & (lengths >= 19) & (cells.char(16) == ord(":")) & cells.digit(17) & cells.digit(18)
    micros, fraction_width, fraction_ok = _fraction(cells, with_seconds)
    zone_start = np.where(with_seconds, 19 + fraction_width, np.where(timed, 16, 10)).astype(np.int64)
    offset, zone_ok = _zone(cells, zone_start)
    zone_ok &= timed | (lengths == 10)  # a bare date has no zone
    year, month, day = cells.number(0, 4), cells.number(5, 2), cells.number(8, 2)
    hour = np.where(timed, cells.number(11, 2), 0)
    minute = np.where(timed, cells.number(14, 2), 0)
    second = np.where(with_seconds, cells.number(17, 2), 0)
    calendar_ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    calendar_ok &= (day <= _days_in_month(year, month)) & (hour <= 23) & (minute <= 59) & (second <= 59)
    whole = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    total_micros = whole * 1_000_000 + micros
    ok = dated & fraction_ok & zone_ok & calendar_ok & (whole >= _MIN_SECONDS) & (whole <= _MAX_SECONDS)
    ok &= np.abs(total_micros) < _MAX_EXACT_MICROS
    return np.where(ok, total_micros, 0), ok


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetimes_of(micros: NDArray[np.int64]) -> list[datetime]:
    """Microseconds since 1970-01-01 UTC as aware datetimes."""
    return [moment.replace(tzinfo=UTC) for moment in micros.astype("datetime64[us]").astype(object)]


def micros_of(moment: datetime) -> int:
    """An aware datetime as whole microseconds since 1970-01-01 UTC (exactly: no float on the way)."""
    return (moment - EPOCH) // timedelta(microseconds=1)
