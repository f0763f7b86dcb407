"""Inserting many rows at once, as fast as the database allows, under the same row rules.

Core's executemany converts every value through its column type in Python,
which dominates a million-row import on SQLite. There, this module converts
values to exactly the stored form the models use (UTC timestamps as
``YYYY-MM-DD HH:MM:SS.ffffff`` text, JSON as text, booleans as 0/1) and hands the
rows straight to the driver. Other databases take Core's path: their drivers
bind datetimes natively and the per-row cost is small there.

Core inserts skip the ORM's before-flush rules, so :func:`insert_forecasts`
applies the same rules (:mod:`forecasts.rules`) itself, column by column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Boolean, Connection, Table, insert

from db.errors import InvalidRow
from db.models import Forecast
from db.types import UTCDateTime
from forecasts import rules
from forecasts.errors import Invalid


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


FORECAST_COLUMNS = (
    "question_id",
    "forecaster_id",
    "made_at",
    "probability",
    "option_probabilities",
    "rationale",
    "origin",
    "recorded_at",
)


FORECAST_TABLE: Table = Forecast.__table__  # type: ignore[assignment]  # a mapped class's table is a Table


class QuestionShape(NamedTuple):
    """What a forecast row is checked against: its question's type and options."""

    type: str
    options: tuple[str, ...] | None


def check_forecast_rows(rows: Sequence[Sequence[Any]], shapes: Mapping[int, QuestionShape]) -> None:
    """Raise :class:`InvalidRow` for the first row (in ``FORECAST_COLUMNS`` order) that breaks a rule."""
    if not rows:
        return
    binary = [shapes[row[0]].type == "binary" for row in rows]
    columns = list(zip(*rows, strict=True))
    try:
        for index in rules.forecast_suspects(binary, columns[3], columns[4], columns[6]):
            row, shape = rows[index], shapes[rows[index][0]]
            rules.check_origin(row[6])
            rules.check_forecast_values(shape.type, shape.options, row[3], row[4])
    except Invalid as error:
        raise InvalidRow.from_invalid("forecast", error) from None


def insert_forecasts(
    connection: Connection, rows: Sequence[Sequence[Any]], shapes: Mapping[int, QuestionShape]
) -> None:
    """Insert forecast rows (tuples in ``FORECAST_COLUMNS`` order) once every row passes the row rules."""
    check_forecast_rows(rows, shapes)
    insert_rows(connection, FORECAST_TABLE, FORECAST_COLUMNS, rows)
