"""Receipts of imported files: importing a file that was imported before, into a database where
nothing it touches has changed since (:mod:`db.changes`), is answered without reading it.

A file is hashed up front only when a receipt of a file that size exists; otherwise its key is
worked out in a thread while its rows are written (both release the GIL), so a first import
does not wait for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Connection

from db import Database
from db.changes import Receipt, any_receipt_of_size, record_receipt, unchanged_receipt
from services.transfer.records import Parsed
from services.transfer.writer import ImportCounts

# What an import is asked to do with a file besides its bytes: format, mapping, all_responders.
ReadOptions = tuple[str, "str | Mapping[str, str]", bool]


class FileKey(NamedTuple):
    digest: str  # SHA-256 of the read options and the bytes
    size: int  # bytes


def _size(data: bytes | Path) -> int:
    return len(data) if isinstance(data, bytes) else data.stat().st_size


def file_key(data: bytes | Path, options: ReadOptions) -> FileKey:
    """What names one import: the file's bytes and every option that changes how they are read."""
    format, mapping, all_responders = options
    fields = mapping if isinstance(mapping, str) else sorted(mapping.items())
    digest = hashlib.sha256(json.dumps([format, fields, all_responders]).encode())
    if isinstance(data, bytes):
        digest.update(data)
    else:
        with data.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return FileKey(digest.hexdigest(), _size(data))


class ReadFile(NamedTuple):
    """The file a bundle was read from, without a skipped row: what its receipt records."""

    key: Callable[[], FileKey]  # called once the import's rows are written
    format: str  # Parsed.format
    notes: list[str]  # Parsed.notes


@contextmanager
def receipt_meanwhile(
    data: bytes | Path, options: ReadOptions, parsed: Parsed, *, dry_run: bool = False
) -> Iterator[ReadFile | None]:
    """Around importing what was read from ``data``: what to pass to ``import_bundle`` as
    ``receipt_for`` (None for a dry run or a file with rows it could not read). The file is hashed
    in a thread meanwhile: SQLite writes without holding the GIL, so the second core is free then."""
    if parsed.errors or dry_run:
        yield None
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="file-key") as pool:
        future = pool.submit(file_key, data, options)
        yield ReadFile(future.result, parsed.format, parsed.notes)


class AlreadyImported(NamedTuple):
    format: str
    notes: list[str]  # what reading it said, said again
    counts: ImportCounts  # what importing the file again would report: every record unchanged


def already_imported(database: Database, data: bytes | Path, options: ReadOptions) -> AlreadyImported | None:
    """When this file was imported without a skipped row and nothing it depends on has changed
    since, what importing it again would report, without reading it."""
    with database.read_session() as session:
        connection = session.connection()
        if not any_receipt_of_size(connection, _size(data)):
            return None
        receipt = unchanged_receipt(connection, file_key(data, options).digest)
    if receipt is None:
        return None
    counts = ImportCounts()
    for kind, total in receipt.totals.items():
        counts.add(kind, unchanged=total)
    return AlreadyImported(receipt.format, receipt.notes, counts)


def record(connection: Connection, read: ReadFile, counts: ImportCounts) -> None:
    """Inside the import's write transaction, after its last write."""
    kinds = {*counts.new, *counts.updated, *counts.unchanged}
    totals = {
        kind: counts.new.get(kind, 0) + counts.updated.get(kind, 0) + counts.unchanged.get(kind, 0)
        for kind in sorted(kinds)
    }
    key = read.key()
    record_receipt(connection, key.digest, key.size, Receipt(read.format, totals, read.notes))
