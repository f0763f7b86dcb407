"""Import and export: our CSV and JSON, Fatebook's CSV, PredictionBook's JSON, any CSV by mapping.

``read_file`` turns bytes into a :class:`Parsed` bundle (nothing is written);
``import_bundle`` stores one in a write transaction (or dry-runs it);
``export_bundle`` reads the database as a bundle and the ``*_csv`` /
``bundle_json`` functions write it out. The CLI, the dashboard and the demo
all go through these, so a file behaves the same everywhere.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from db import Database
from db.forecast_keys import StoredLookup, stored_forecasts_ahead
from services.csv_columns import ArrowCannotRead
from services.csv_columns import head as csv_head
from services.csv_columns import header as csv_header
from services.transfer import receipts
from services.transfer.export import (
    EVENT_COLUMNS,
    FORMAT_NAME,
    bundle_json,
    events_csv,
    forecasts_csv,
    read_bundle,
)
from services.transfer.foreign import (
    FATEBOOK_REQUIRED,
    checked_mapping,
    parse_fatebook,
    parse_generic,
    parse_predictionbook,
)
from services.transfer.foreign_columns import fatebook_layout, mapped_layout, parse_forecast_rows_columns
from services.transfer.ours import parse_events_csv, parse_forecasts_csv, parse_json_dump
from services.transfer.ours_columns import comma_separated, parse_forecasts_columns
from services.transfer.reading import csv_table, decode
from services.transfer.receipts import AlreadyImported, ReadFile, already_imported, receipt_meanwhile
from services.transfer.records import Bundle, ForecastColumns, ImportRefused, MappingNeeded, Parsed, RowError
from services.transfer.writer import ImportCounts, Progress, write_bundle

ImportFormat = Literal["auto", "ours", "fatebook", "predictionbook", "csv"]
IMPORT_FORMATS: tuple[ImportFormat, ...] = ("auto", "ours", "fatebook", "predictionbook", "csv")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building a million small records triggers full garbage collections over all of them
    (a quarter of the parse time); none of them form cycles, so pause the collector."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_file(
    data: bytes | Path,
    name: str,
    format: ImportFormat = "auto",
    mapping: str | Mapping[str, str] = "",
    *,
    all_responders: bool = False,
) -> Parsed:
    """Parse a file (its bytes, or its path: then a plain export of ours is read a batch at a time,
    never whole) of any supported format; raises ImportRefused if it cannot be read at all.
    ``all_responders``: from PredictionBook, everyone's responses, not only the account owner's."""
    with _collector_paused():
        return _read(data, name, format, mapping, all_responders)


def _ours(header: list[str], format: ImportFormat) -> bool:
    """Would ``_read`` take a CSV with this header for our forecasts CSV (as it decides below)?"""
    if format == "ours":
        return True
    return "question_uid" in header and not all(c in header for c in FATEBOOK_REQUIRED)


def _read_as_columns(
    data: bytes | Path, format: ImportFormat, mapping: str | Mapping[str, str]
) -> Parsed | None:
    """The columnar readers' result, when the file is one of theirs and every row is plain."""
    header = _header(data)
    if header is None:
        return None
    if format in ("auto", "ours") and not mapping and _ours(header, format):
        return parse_forecasts_columns(data)
    if not comma_separated(data):
        return None
    if format == "csv" or mapping:
        fields = checked_mapping(mapping)  # a bad mapping: refused here as by the row reader
        wanted = ("title", "probability")
        if not all(f in fields for f in wanted) or not all(c in header for c in fields.values()):
            return None  # the row reader says what is missing
        return parse_forecast_rows_columns(data, mapped_layout(fields))
    if format in ("auto", "fatebook") and all(c in header for c in FATEBOOK_REQUIRED):
        return parse_forecast_rows_columns(data, fatebook_layout())
    return None


def csv_header_of(data: bytes, name: str) -> list[str]:
    """A CSV's column names as the importer reads them (any delimiter, a byte-order mark, spaces)."""
    header, _ = csv_table(decode(data, name))
    return header


def _header(data: bytes | Path) -> list[str] | None:
    if csv_head(data, 4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return None
    try:
        return [name.strip() for name in csv_header(data)]
    except ArrowCannotRead:
        return None


class _RepeatedKey(ValueError):
    pass


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object with a key twice would silently keep the last value: refused instead."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _RepeatedKey(f"the key {key!r} appears twice in one object")
        document[key] = value
    return document


def _json_document(text: str, name: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_repeated_keys)
    except json.JSONDecodeError as error:
        raise ImportRefused(f"{name} looks like JSON but is not: line {error.lineno}: {error.msg}") from None
    except _RepeatedKey as error:
        raise ImportRefused(f"{name}: {error}; each key may appear once") from None
    except RecursionError:
        raise ImportRefused(f"{name}: JSON nested too deeply to be an export") from None


def _read(
    data: bytes | Path,
    name: str,
    format: ImportFormat,
    mapping: str | Mapping[str, str],
    all_responders: bool,
) -> Parsed:
    if format not in IMPORT_FORMATS:
        raise ImportRefused(f"unknown format {format!r}; use one of {', '.join(IMPORT_FORMATS)}")
    columnar = _read_as_columns(data, format, mapping)  # None unless every row is plain: then row by row
    if columnar is not None:
        return columnar
    text = decode(data if isinstance(data, bytes) else data.read_bytes(), name)
    if text.lstrip().startswith(("{", "[")):
        document = _json_document(text, name)
        is_ours = isinstance(document, dict) and document.get("format") == FORMAT_NAME
        if format == "ours" or (format == "auto" and is_ours):
            if not isinstance(document, dict):
                raise ImportRefused(f"{name} is not a Summit Watch JSON export")
            return parse_json_dump(document)
        if format in ("auto", "predictionbook"):
            return parse_predictionbook(document, all_responders=all_responders)
        raise ImportRefused(f"{name} is JSON; {format} files are CSV")
    if format == "predictionbook":
        raise ImportRefused(f"{name} is not JSON; PredictionBook files are the API's JSON")
    header, rows = csv_table(text)
    if format == "csv" or mapping:
        return parse_generic(header, rows, checked_mapping(mapping))
    if format == "fatebook" or (format == "auto" and all(c in header for c in FATEBOOK_REQUIRED)):
        return parse_fatebook(header, rows)
    if "question_uid" in header or format == "ours":
        return parse_forecasts_csv(header, rows)
    if all(c in header for c in EVENT_COLUMNS[:3]):
        return parse_events_csv(header, rows)
    raise MappingNeeded(
        f"{name}: columns not recognised ({', '.join(header[:8])}{'…' if len(header) > 8 else ''}). "
        "Our exports have question_uid, Fatebook's have 'Question title' and 'Forecast (scale = 0-1)'; "
        "for any other CSV, say which column holds the question's title, the probability and the date",
        header,
    )


__all__ = [
    "IMPORT_FORMATS",
    "AlreadyImported",
    "Bundle",
    "ForecastColumns",
    "ImportCounts",
    "ImportFormat",
    "ImportRefused",
    "MappingNeeded",
    "Parsed",
    "Progress",
    "ReadFile",
    "RowError",
    "already_imported",
    "bundle_json",
    "csv_header_of",
    "events_csv",
    "export_bundle",
    "forecasts_csv",
    "import_bundle",
    "read_bundle",
    "read_file",
    "receipt_meanwhile",
    "stored_read_ahead",
    "write_bundle",
]


READ_AHEAD_BYTES = 8_000_000  # a file this size takes a second or more to parse
BYTES_PER_ROW = 20  # fewer than any format's row: an upper bound of the rows a file can hold


@contextmanager
def stored_read_ahead(database: Database, data: bytes | Path) -> Iterator[StoredLookup | None]:
    """Around reading a big file and importing it: the stored forecasts are read beside the parse
    (on SQLite, when there are not many more of them than the file can hold); pass what this
    yields to :func:`import_bundle`. Re-importing an unchanged million-row file costs what the
    slower of the two takes, not both."""
    size = data.stat().st_size if isinstance(data, Path) else len(data)
    if size < READ_AHEAD_BYTES:
        yield None
        return
    with stored_forecasts_ahead(database.engine, at_most=size // BYTES_PER_ROW) as lookup:
        yield lookup


class _Rollback(Exception):
    pass


def import_bundle(
    database: Database,
    bundle: Bundle,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    only_missing: bool = False,
    stored_ahead: StoredLookup | None = None,
    receipt_for: ReadFile | None = None,
) -> ImportCounts:
    """Store ``bundle`` in one write transaction; with ``dry_run``, count what would change and roll back.

    ``only_missing`` adds what is not there and changes nothing already stored (the demo's way);
    ``stored_ahead`` is what :func:`stored_read_ahead` yielded around reading the file;
    ``receipt_for`` (the file the bundle was read from, without a skipped row) records
    the import, so that :func:`already_imported` knows it while nothing changes.
    """
    counts = ImportCounts()
    try:
        with _collector_paused(), database.write_session() as session:
            counts = write_bundle(
                session, bundle, progress=progress, only_missing=only_missing, stored_ahead=stored_ahead
            )
            if dry_run:
                raise _Rollback
            if receipt_for is not None and not only_missing and not counts.refused:
                receipts.record(session.connection(), receipt_for, counts)
    except _Rollback:
        pass
    return counts


def export_bundle(database: Database) -> Bundle:
    """Everything worth keeping, in a fixed order: what every export is written from."""
    with database.read_session() as session:
        return read_bundle(session)
