"""Bytes to rows: text encoding, byte-order marks, delimiters, and a row reader that
names the column when a cell is wrong."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import TypeVar

from forecasts.errors import Invalid
from forecasts.rules import MAX_CELL_LENGTH
from services.transfer.cells import CellError
from services.transfer.records import ImportRefused

T = TypeVar("T")


class RowProblem(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def decode(data: bytes, source: str) -> str:
    """UTF-8, with or without a byte-order mark (Excel writes one); else a clear refusal."""
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            break
        return text
    raise ImportRefused(f"{source} is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel) and try again")


SNIFFED_SAMPLE = 65536


class _Delimited(csv.excel):
    """Excel's quoting (``"`` doubled inside a quoted cell, as every spreadsheet and our exports
    write it) with the delimiter the sample shows."""


def sniffed_dialect(sample: str) -> type[csv.Dialect]:
    """The delimiter (',' ';' or tab) and spacing the sample shows; the quoting is always Excel's.
    The sniffer's guess at quoting comes from the sample alone: a first 64 KB without a doubled
    quote would have misread every later one."""
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel
    return type(
        "Sniffed",
        (_Delimited,),
        {"delimiter": sniffed.delimiter, "skipinitialspace": sniffed.skipinitialspace},
    )


# Python's csv module refuses cells over 128 KB with a bare csv.Error: read them, so that the
# rule below names the line and the column.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


def _refuse_huge_cell(header: list[str], row: list[str], line: int) -> None:
    position = max(range(len(row)), key=lambda i: len(row[i]))
    column = header[position] if position < len(header) else f"column {position + 1}"
    raise ImportRefused(
        f"line {line}, {column}: a cell of {len(row[position]):,} characters; "
        f"a cell holds at most {MAX_CELL_LENGTH:,}"
    )


def csv_table(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the rows, each with the line it ends on; ',' ';' or tab as found."""
    reader = csv.reader(io.StringIO(text, newline=""), sniffed_dialect(text[:SNIFFED_SAMPLE]))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportRefused("the file is empty") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for row in reader:
                if any(row):  # skip blank lines
                    if len(max(row, key=len)) > MAX_CELL_LENGTH:
                        _refuse_huge_cell(header, row, reader.line_num)
                    yield reader.line_num, row
        except csv.Error as error:  # a cell over 64 MB, a NUL where csv allows none
            raise ImportRefused(f"line {reader.line_num + 1}: cannot be read as CSV ({error})") from None

    return header, rows()


class Row:
    """One row by column name, turning cell errors into :class:`RowProblem` naming the column."""

    __slots__ = ("cells", "columns")

    def __init__(self, columns: dict[str, int], cells: list[str]) -> None:
        self.columns, self.cells = columns, cells

    def text(self, name: str) -> str:
        try:
            return self.cells[self.columns[name]]
        except (KeyError, IndexError):  # a column the file lacks, or a short row
            return ""

    def get(self, name: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(self.text(name))
        except CellError as error:
            raise RowProblem(name, str(error)) from None
        except Invalid as error:  # a rule of forecasts.rules / forecasts.entry, applied to this cell
            raise RowProblem(name, error.message) from None

    def required(self, name: str) -> str:
        value = self.text(name).strip()
        if not value:
            raise RowProblem(name, "is empty; every row needs it")
        return value


def require_columns(
    header: list[str], needed: tuple[str, ...], what: str, known: tuple[str, ...]
) -> dict[str, int]:
    missing = [name for name in needed if name not in header]
    if missing:
        raise ImportRefused(
            f"this {what} file lacks the column(s) {', '.join(missing)}; "
            f"found {', '.join(header) or 'none'}; expected {', '.join(known)}"
        )
    return {name: i for i, name in enumerate(header)}
