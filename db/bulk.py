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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import JSON, Boolean, Connection, Table, func, insert, select

from db.errors import InvalidRow
from db.models import Forecast
from db.types import UTCDateTime
from forecasts import rules
from forecasts.errors import Invalid
from forecasts.iso_columns import datetimes_of
from forecasts.scoring.numeric import NumericRange


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
    _driver_insert(connection, table, columns, rows)


def insert_dicts(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows given as dicts (all with the same keys), each missing column taking its
    Python-side default as an ORM insert would; on SQLite straight to the driver (an ORM bulk
    insert of 10,000 questions with their tags and resolutions spends 0.4 s converting values)."""
    if not rows:
        return
    names = list(rows[0])
    if any(len(row) != len(names) or row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} do not all have the same columns")
    defaults = {
        column.name: column.default
        for column in table.columns
        if column.name not in rows[0] and column.default is not None and not column.primary_key
    }
    filled = [
        (*(row[name] for name in names), *(_default_value(default) for default in defaults.values()))
        for row in rows
    ]
    insert_rows(connection, table, [*names, *defaults], filled)


def _default_value(default: Any) -> Any:
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy wraps a no-argument function to take a context
    raise ValueError(f"column default {default!r} is not a Python value or function")


def _driver_insert(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Rows already in SQLite's stored form, straight to the driver."""
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


# Fewer new rows than this go into the indexes one by one; more, and building them again is cheaper.
REBUILD_INDEXES_AT = 200_000


@contextmanager
def indexes_rebuilt_after(
    connection: Connection, table: Table, incoming: int, *, at_least: int = REBUILD_INDEXES_AT
) -> Iterator[None]:
    """On SQLite, around loading more rows than ``table`` holds: its plain indexes are dropped
    and built again after (one sort instead of a B-tree insert per row: 0.4-0.6 s of a million-row
    import). All inside the caller's transaction, so other connections keep the indexes and a
    rollback brings them back. Unique indexes stay: they are the rules."""
    if connection.dialect.name != "sqlite" or incoming < at_least:
        yield
        return
    # max(id) is a B-tree lookup where count(*) reads the table; it never understates the rows.
    if (connection.execute(select(func.max(table.c.id))).scalar() or 0) > incoming:
        yield
        return
    indexes = sorted(
        (index for index in table.indexes if not index.unique), key=lambda index: str(index.name)
    )
    for index in indexes:
        index.drop(connection)
    try:
        yield
    finally:
        for index in indexes:
            index.create(connection)


FORECAST_COLUMNS = (
    "question_id",
    "forecaster_id",
    "made_at",
    "probability",
    "option_probabilities",
    "rationale",
    "origin",
    "recorded_at",
    "quantiles",
)
YES_NO_FORECAST_COLUMNS = FORECAST_COLUMNS[:-1]  # quantiles are for numeric and date questions only


FORECAST_TABLE: Table = Forecast.__table__  # type: ignore[assignment]  # a mapped class's table is a Table


class QuestionShape(NamedTuple):
    """What a forecast row is checked against: its question's type, options and range."""

    type: str
    options: tuple[str, ...] | None
    scale: NumericRange | None = None  # numeric and date questions


def check_forecast_rows(rows: Sequence[Sequence[Any]], shapes: Mapping[int, QuestionShape]) -> None:
    """Raise :class:`InvalidRow` for the first row (in ``FORECAST_COLUMNS`` order) that breaks a rule."""
    if rows:
        columns = list(zip(*rows, strict=True))
        _check_forecast_columns(columns[0], columns[3], columns[4], columns[6], columns[8], shapes)


def _check_forecast_columns(
    question_ids: Sequence[int],
    probabilities: Sequence[Any],
    option_probabilities: Sequence[Any],
    origins: Sequence[str],
    quantiles: Sequence[Any],
    shapes: Mapping[int, QuestionShape],
) -> None:
    binary = [shapes[q].type == "binary" for q in question_ids]
    suspects = rules.forecast_suspects(binary, probabilities, option_probabilities, origins)
    with_quantiles = [i for i, pairs in enumerate(quantiles) if pairs is not None]
    try:
        for index in sorted(set(suspects).union(with_quantiles)):
            shape = shapes[question_ids[index]]
            rules.check_origin(origins[index])
            rules.check_forecast_values(
                shape.type, shape.options, probabilities[index], option_probabilities[index]
            )
            rules.check_forecast_quantiles(shape.type, shape.scale, quantiles[index])
    except Invalid as error:
        raise InvalidRow.from_invalid("forecast", error) from None


def insert_forecasts(
    connection: Connection, rows: Sequence[Sequence[Any]], shapes: Mapping[int, QuestionShape]
) -> None:
    """Insert forecast rows (tuples in ``FORECAST_COLUMNS`` order) once every row passes the row rules."""
    check_forecast_rows(rows, shapes)
    insert_rows(connection, FORECAST_TABLE, FORECAST_COLUMNS, rows)


class ForecastColumnRows(NamedTuple):
    """Yes/no forecast rows as columns (a columnar reader's batch): times as microseconds since
    1970-01-01 UTC, origins as codes into FORECAST_ORIGINS. No Python object per value on the way in."""

    question_id: NDArray[np.int64]
    forecaster_id: NDArray[np.int64]
    made_at: NDArray[np.int64]
    probability: NDArray[np.float64]
    rationale: list[str]
    origin: NDArray[np.int8]
    recorded_at: NDArray[np.int64]


def stored_timestamps(micros: NDArray[np.int64]) -> list[str]:
    """Microseconds as SQLite's stored form of UTCDateTime, 'YYYY-MM-DD HH:MM:SS.ffffff', all at once."""
    if micros.size == 0:
        return []
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")  # …T…: the separator differs
    text.view(np.uint32).reshape(text.size, -1)[:, 10] = ord(" ")
    return text.tolist()  # type: ignore[no-any-return]


def _check_yes_no_columns(rows: ForecastColumnRows, shapes: Mapping[int, QuestionShape]) -> None:
    """The row rules over whole columns; the few suspects one by one, for the rule's own message."""
    yes_no = [question for question, shape in shapes.items() if shape.type == "binary"]
    try:
        for i in rules.yes_no_suspects(np.isin(rows.question_id, yes_no), rows.probability, rows.origin):
            shape, code = shapes[int(rows.question_id[i])], int(rows.origin[i])
            known = 0 <= code < len(rules.FORECAST_ORIGINS)
            rules.check_origin(rules.FORECAST_ORIGINS[code] if known else f"origin code {code}")
            rules.check_forecast_values(shape.type, shape.options, float(rows.probability[i]), None)
    except Invalid as error:
        raise InvalidRow.from_invalid("forecast", error) from None


def _times_for_driver(connection: Connection, rows: ForecastColumnRows) -> tuple[list[Any], list[Any]]:
    """made_at and recorded_at as the driver takes them (text on SQLite; recorded_at reuses made_at's)."""
    convert = stored_timestamps if connection.dialect.name == "sqlite" else datetimes_of
    made: list[Any] = convert(rows.made_at)
    later = np.flatnonzero(rows.recorded_at != rows.made_at)
    recorded = list(made)
    for i, value in zip(later.tolist(), convert(rows.recorded_at[later]), strict=True):
        recorded[i] = value
    return made, recorded


def insert_forecast_columns(
    connection: Connection, rows: ForecastColumnRows, shapes: Mapping[int, QuestionShape]
) -> None:
    """Insert yes/no forecasts given as columns once every row passes the row rules."""
    _check_yes_no_columns(rows, shapes)
    made, recorded = _times_for_driver(connection, rows)
    origins = np.asarray(rules.FORECAST_ORIGINS, dtype=object)[rows.origin].tolist()
    values = list(
        zip(
            rows.question_id.tolist(),
            rows.forecaster_id.tolist(),
            made,
            rows.probability.tolist(),
            repeat(None),
            rows.rationale,
            origins,
            recorded,
        )
    )
    if connection.dialect.name == "sqlite":
        _driver_insert(connection, FORECAST_TABLE, YES_NO_FORECAST_COLUMNS, values)
    else:
        insert_rows(connection, FORECAST_TABLE, YES_NO_FORECAST_COLUMNS, values)
