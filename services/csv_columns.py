"""A CSV file as whole columns (pyarrow's multi-threaded reader), read cell for cell as Python would.

Why pyarrow: it is already installed with Streamlit, reads a million rows in a
quarter of a second on two cores, and keeps each column as one byte buffer that
numpy can check without making a Python string per cell (pandas' C engine makes
one per cell, and pandas itself takes half a second to import, which the
``score`` command would pay on every run).

The readers built on this keep the row-by-row reading as the reference: any
file Arrow reads differently (ragged rows, bad UTF-8, a cell with a shape the
vectorised parsers do not know) goes, row or file, to the one-cell parsers, so
messages and values are the same as ever.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from numpy.typing import NDArray

from forecasts.iso_columns import Cells, Times, iso_micros, iso_seconds

ASCII_SPACE = " \t\n\r\x0b\x0c"  # what str.strip() removes among ASCII; other spaces are checked below


# Arrow's fixed-width types and numpy's; anything else goes through pyarrow's to_numpy.
_NUMPY_TYPES = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.float64(): np.float64,
}


def numpy_of(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    """An Arrow column as a numpy array, read from its buffers: pyarrow's ``to_numpy`` imports
    pandas on first use (0.1-0.15 s of every ``score`` run). Columns with nulls take that path."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    parts = [_chunk_as_numpy(chunk) for chunk in chunks]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.empty(0, dtype=_NUMPY_TYPES.get(values.type, np.bool_))
    return np.concatenate(parts)


def _chunk_as_numpy(chunk: pa.Array) -> NDArray[Any]:
    start, stop = chunk.offset, chunk.offset + len(chunk)
    dtype = _NUMPY_TYPES.get(chunk.type)
    if chunk.null_count or (dtype is None and chunk.type != pa.bool_()):
        return np.asarray(chunk.to_numpy(zero_copy_only=False))
    data = chunk.buffers()[1]
    if chunk.type == pa.bool_():
        if data is None:
            return np.zeros(0, dtype=bool)
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return bits[start:stop].astype(bool)
    if data is None:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype)[start:stop]


class ArrowCannotRead(ValueError):
    """Arrow reads this file differently from Python's csv module: read it row by row instead."""


@dataclass(frozen=True)
class CsvColumns:
    names: list[str]  # the header, each name stripped
    columns: dict[str, pa.StringArray]  # by stripped name (the last of duplicates, as csv.DictReader)
    n_rows: int

    def text(self, name: str) -> pa.StringArray:
        """The column's cells stripped of spaces as ``str.strip`` strips them ('' where absent)."""
        if name not in self.columns:
            offsets = pa.py_buffer(np.zeros(self.n_rows + 1, dtype=np.int32))
            return pa.StringArray.from_buffers(self.n_rows, offsets, pa.py_buffer(b""))
        return self.columns[name]


_SPACE_BYTE = np.zeros(256, dtype=bool)
_SPACE_BYTE[list(ASCII_SPACE.encode())] = True
_OUTSIDE_PRINTABLE_ASCII = np.ones(256, dtype=bool)
_OUTSIDE_PRINTABLE_ASCII[0x21:0x7F] = False


def _edges(column: pa.StringArray) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per cell: does it start or end with an ASCII space; does it start or end with a byte outside
    printable ASCII (there str.strip() may remove more: a no-break space, U+001F…)."""
    held = cells(column)
    filled = held.lengths > 0
    first, last = held.at(np.zeros_like(held.lengths)), held.at(np.maximum(held.lengths - 1, 0))
    spaced = filled & (_SPACE_BYTE[first] | _SPACE_BYTE[last])
    return spaced, filled & (_OUTSIDE_PRINTABLE_ASCII[first] | _OUTSIDE_PRINTABLE_ASCII[last])


def _strip(column: pa.StringArray) -> pa.StringArray:
    spaced, outside = _edges(column)
    stripped = column
    if spaced.any():
        stripped = pc.utf8_trim(column, characters=ASCII_SPACE)
        outside = _edges(stripped)[1]
    odd = np.flatnonzero(outside)
    if odd.size == 0:
        return stripped
    values = stripped.to_pylist()
    for i in odd.tolist():
        values[i] = values[i].strip()
    return pa.array(values, type=pa.string())


def head(source: Path | bytes, size: int) -> bytes:
    """The first ``size`` bytes of a file, given as its path or its bytes."""
    if isinstance(source, bytes):
        return source[:size]
    with source.open("rb") as handle:
        return handle.read(size)


def header(source: Path | bytes) -> list[str]:
    """The first record, as csv.reader reads it (Arrow needs the names to read every column as text)."""
    try:
        handle = io.TextIOWrapper(io.BytesIO(head(source, 1 << 20)), encoding="utf-8-sig", newline="")
        first = next(csv.reader(handle), None)
    except (UnicodeDecodeError, csv.Error):
        first = None
    if not first:
        raise ArrowCannotRead(f"{source if isinstance(source, Path) else 'the file'}: no header to read")
    return first


def _convert_options(raw_names: list[str]) -> pa_csv.ConvertOptions:
    return pa_csv.ConvertOptions(
        column_types=dict.fromkeys(raw_names, pa.string()), strings_can_be_null=False
    )


_PARSE_OPTIONS = pa_csv.ParseOptions(newlines_in_values=True)  # a ragged row raises ArrowInvalid


def _input(source: Path | bytes) -> Path | pa.BufferReader:
    return source if isinstance(source, Path) else pa.BufferReader(source)


def _checked_names(source: Path | bytes, schema: pa.Schema, raw_names: list[str]) -> list[str]:
    if schema.names != raw_names or any(t != pa.string() for t in schema.types):
        where = source if isinstance(source, Path) else "the file"
        raise ArrowCannotRead(f"{where}: the header reads differently as columns")
    return [name.strip() for name in raw_names]


def read_csv_columns(source: Path | bytes, *, strip: bool = True) -> CsvColumns:
    """Every column of a file (its path, or its bytes) as text, each cell stripped as ``str.strip``
    strips it unless ``strip`` is False; or ArrowCannotRead."""
    raw_names = header(source)
    try:
        table = pa_csv.read_csv(
            _input(source),
            read_options=pa_csv.ReadOptions(encoding="utf8"),
            parse_options=_PARSE_OPTIONS,
            convert_options=_convert_options(raw_names),
        )
    except pa.ArrowInvalid:  # ragged rows, bad UTF-8: Python's csv module decides what they mean
        raise ArrowCannotRead(
            f"{source if isinstance(source, Path) else 'the file'}: not read as columns"
        ) from None
    names, n_rows = _checked_names(source, table.schema, raw_names), table.num_rows
    chunked: list[pa.ChunkedArray | None] = list(table.columns)
    del table  # each column's chunks are freed as soon as it is combined: at most one copy at a time
    columns = {}
    for i, name in enumerate(names):
        combined = chunked[i].combine_chunks()  # type: ignore[union-attr]
        chunked[i] = None
        columns[name] = _strip(combined) if strip else combined
    pa.default_memory_pool().release_unused()  # the reader's buffers, back to the system before numpy
    return CsvColumns(names=names, columns=columns, n_rows=n_rows)


BLOCK_BYTES = 2 << 20  # of the file per batch: one batch in memory, not the file (8 MB blocks: +200 MB)


def csv_batches(source: Path | bytes) -> Iterator[CsvColumns]:
    """The file's rows a batch at a time, every column as text (not stripped), in file order; raises
    ArrowCannotRead at the first batch Arrow reads differently from Python's csv module."""
    raw_names = header(source)
    try:
        reader = pa_csv.open_csv(
            _input(source),
            read_options=pa_csv.ReadOptions(encoding="utf8", block_size=BLOCK_BYTES),
            parse_options=_PARSE_OPTIONS,
            convert_options=_convert_options(raw_names),
        )
        names = _checked_names(source, reader.schema, raw_names)
        for batch in reader:
            columns = dict(zip(names, batch.columns, strict=True))  # the last of duplicate names
            yield CsvColumns(names=names, columns=columns, n_rows=batch.num_rows)
    except pa.ArrowInvalid:
        raise ArrowCannotRead(
            f"{source if isinstance(source, Path) else 'the file'}: not read as columns"
        ) from None


def cells(column: pa.StringArray) -> Cells:
    """The column's bytes and offsets, shared with Arrow (no copy)."""
    _, offsets_buffer, data_buffer = column.buffers()
    width = np.int64 if column.type == pa.large_string() else np.int32
    offsets: NDArray[np.integer] = np.frombuffer(offsets_buffer, dtype=width)
    offsets = offsets[column.offset : column.offset + len(column) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return Cells(data, offsets[:-1], np.diff(offsets).astype(np.int64))


CHUNK_ROWS = 1 << 16  # rows per vectorised step: its temporaries stay in the CPU's cache


def iso_times(column: pa.StringArray) -> Times:
    held = cells(column)
    seconds, ok = np.empty(len(held)), np.empty(len(held), dtype=bool)
    for start in range(0, len(held), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        seconds[part], ok[part] = iso_seconds(Cells(held.data, held.starts[part], held.lengths[part]))
    return Times(seconds, ok)


def iso_microseconds(column: pa.StringArray) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Each cell as microseconds since 1970 UTC, and which cells were read (the rest: 0)."""
    held = cells(column)
    micros, ok = np.zeros(len(held), dtype=np.int64), np.zeros(len(held), dtype=bool)
    for start in range(0, len(held), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        micros[part], ok[part] = iso_micros(Cells(held.data, held.starts[part], held.lengths[part]))
    return micros, ok


def decimals(column: pa.StringArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each cell as Python's float(cell) reads it, and which cells were read here (the rest are left
    to float() itself, one by one). Arrow's parse is correctly rounded and accepts a subset of what
    float() accepts (no spaces, underscores or non-ASCII digits), with the same value."""
    try:
        values = pc.cast(column, pa.float64())  # the usual column: a number in every cell
        return numpy_of(values), np.ones(len(column), dtype=bool)
    except pa.ArrowInvalid:
        pass
    plain = pc.match_substring_regex(column, r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
    values = pc.cast(pc.if_else(plain, column, "0"), pa.float64())
    return numpy_of(values), numpy_of(plain)
