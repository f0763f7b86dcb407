"""Inserting many rows at once, as fast as the database allows.

Core's executemany converts every value through its column type in Python,
which dominates a million-row import on SQLite. There, this module converts
values to exactly the stored form the models use (UTC timestamps as
``YYYY-MM-DD HH:MM:SS.ffffff`` text, JSON as text, booleans as 0/1) and hands the
rows straight to the driver. Other databases take Core's path: their drivers
bind datetimes natively and the per-row cost is small there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Table, insert

from db.types import UTCDateTime


def _stored_timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value.isoformat()} has no timezone")
        value = value.astimezone(UTC)
    # 'YYYY-MM-DD HH:MM:SS.ffffff+00:00' without its offset: three times faster than replace().
    return value.isoformat(" ", "microseconds")[:-6]


def _stored_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _stored_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _converter(table: Table, name: str) -> Callable[[Any], Any] | None:
    kind = table.c[name].type
    if isinstance(kind, UTCDateTime):
        return _stored_timestamp
    if isinstance(kind, JSON):
        return _stored_json
    if isinstance(kind, Boolean):
        return _stored_bool
    return None


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) into ``table`` inside the caller's transaction."""
    if not rows:
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    converters = [_converter(table, name) for name in columns]
    if any(converters):
        # Column-wise: zip and map run in C, leaving one Python call per converted value.
        by_column = [
            list(map(convert, values)) if convert else values
            for convert, values in zip(converters, zip(*rows, strict=True), strict=True)
        ]
        rows = list(zip(*by_column, strict=True))
    else:
        rows = [tuple(row) for row in rows]
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
