"""Has anything an import reads changed since a file was imported? Then a re-import can be skipped.

On SQLite, triggers count every update and delete of a row an import reads (the
``change_counter`` row), whoever writes it. Inserts are seen in the tables' row
counts: an insert raises one, and one that hides behind a delete is caught by
the delete's count. So the counter and the row counts, read in one transaction,
change whenever anything an import depends on does. Writers on SQLite take turns
(``BEGIN IMMEDIATE``), so a state recorded inside a write transaction is exact.

PostgreSQL runs writers side by side, where counting like this would either miss
a commit that lands between the count and the receipt or make writers wait on one
row; there a re-import always reads its file (:func:`database_state` gives None).
"""

from __future__ import annotations

import json
from typing import NamedTuple

from sqlalchemy import Connection, delete, insert, select, text

from db.models import ChangeCounter, ImportReceipt

# Every table an import reads or writes: a change to any of them may change what it would do.
TRACKED_TABLES = (
    "forecaster",
    "question",
    "question_tag",
    "forecast",
    "forecast_event",
    "resolution",
    "source",
    "event",
    "event_tag",
    "event_question",
    "event_unlink",
    "event_revision",
)
# An import matches sources by name only; the worker's polling state changes every few minutes.
TRACKED_COLUMNS = {"source": ("name",)}
RECEIPTS_KEPT = 20


class Receipt(NamedTuple):
    format: str
    totals: dict[str, int]
    notes: list[str]


def database_state(connection: Connection) -> str | None:
    """The change counter and each tracked table's row count, as one text; None on PostgreSQL."""
    if connection.dialect.name != "sqlite":
        return None
    changes = connection.execute(select(ChangeCounter.changes).where(ChangeCounter.id == 1)).scalar()
    counts = [
        connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TRACKED_TABLES
    ]
    return json.dumps([changes, *counts])


def any_receipt_of_size(connection: Connection, file_size: int) -> bool:
    """Whether a file of this many bytes was imported: only then is a file worth hashing first."""
    found = select(ImportReceipt.file_key).where(ImportReceipt.file_size == file_size).limit(1)
    return connection.execute(found).first() is not None


def unchanged_receipt(connection: Connection, file_key: str) -> Receipt | None:
    """The receipt of this file, if the database is still as that import left it."""
    row = connection.execute(
        select(
            ImportReceipt.format, ImportReceipt.totals, ImportReceipt.notes, ImportReceipt.database_state
        ).where(ImportReceipt.file_key == file_key)
    ).first()
    if row is None or row.database_state != database_state(connection):
        return None
    totals = {str(kind): int(n) for kind, n in row.totals.items()}
    return Receipt(row.format, totals, [str(note) for note in row.notes])


def record_receipt(connection: Connection, file_key: str, file_size: int, receipt: Receipt) -> None:
    """Inside the import's write transaction, after its last write: this file, and the state it left."""
    state = database_state(connection)
    if state is None:
        return
    connection.execute(delete(ImportReceipt).where(ImportReceipt.file_key == file_key))
    connection.execute(
        insert(ImportReceipt).values(
            file_key=file_key,
            file_size=file_size,
            format=receipt.format,
            totals=receipt.totals,
            notes=receipt.notes,
            database_state=state,
        )
    )
    oldest_kept = (
        select(ImportReceipt.recorded_at)
        .order_by(ImportReceipt.recorded_at.desc())
        .offset(RECEIPTS_KEPT - 1)
        .limit(1)
        .scalar_subquery()
    )
    connection.execute(delete(ImportReceipt).where(ImportReceipt.recorded_at < oldest_kept))


def sqlite_triggers() -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) for each tracked table's updates and deletes."""
    bump = "BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END"
    triggers = []
    for table in TRACKED_TABLES:
        columns = TRACKED_COLUMNS.get(table)
        of = f" OF {', '.join(columns)}" if columns else ""
        for action, event_sql in (("update", f"UPDATE{of}"), ("delete", "DELETE")):
            name = f"change_counter_{table}_{action}"
            triggers.append((name, f"CREATE TRIGGER {name} AFTER {event_sql} ON {table} {bump}"))
    return triggers
