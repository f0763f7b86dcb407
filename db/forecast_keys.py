"""Stored forecasts as arrays of keys and values: what decides whether an imported forecast is new,
unchanged or changed, for a million of them at once.

A re-import of an unchanged million-row file must cost a fraction of the first
import, so no ORM object, datetime or even Python tuple per stored row where it
can be helped. On SQLite, each column of a batch comes back as one text built by
``group_concat`` (every aggregate of one SELECT sees the rows in the same order,
so the columns line up) and is parsed with numpy; the rare values that text would
not carry exactly (a non-empty rationale, a recorded_at apart from made_at, a
probability whose shortest text is not exact) are read by id beside it. Other
databases return rows, converted column by column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from db.expressions import epoch_micros, fetch_numbers
from db.models import Forecast, Question
from forecasts.iso_columns import Cells, iso_micros, micros_of
from forecasts.rules import FORECAST_ORIGINS


class StoredForecasts(NamedTuple):
    id: NDArray[np.int64]
    question_id: NDArray[np.int64]
    forecaster_id: NDArray[np.int64]
    made_at: NDArray[np.int64]  # microseconds since 1970-01-01 UTC
    probability: NDArray[np.float64]  # nan where there is none (a multiple-choice forecast)
    rationale: NDArray[np.object_]
    origin: NDArray[np.int8]  # a code into FORECAST_ORIGINS
    recorded_at: NDArray[np.int64]


_KINDS = (np.int64, np.int64, np.int64, np.int64, np.float64, object, np.int8, np.int64)
KEY_CHUNK = 1_000  # questions per query when only some questions are wanted
SCAN_IDS = 250_000  # forecast ids per query when the whole table is read
SCAN_SHARE = 0.25  # touching this share of all questions, read the whole table: faster than the index

_ORIGIN_CODE = case(*((Forecast.origin == name, code) for code, name in enumerate(FORECAST_ORIGINS)), else_=9)


def stored_forecasts(connection: Connection, question_ids: Sequence[int]) -> StoredForecasts:
    """The stored forecasts on these questions, as arrays."""
    if not question_ids:
        return StoredForecasts(*(np.zeros(0, dtype=kind) for kind in _KINDS))
    wanted = np.asarray(question_ids, dtype=np.int64)
    read = _sqlite_batch if connection.dialect.name == "sqlite" else _rows_batch
    parts = []
    for where in _batches(connection, question_ids):
        columns = read(connection, where)
        keep = np.isin(columns[1], wanted)
        parts.append([column[keep] for column in columns])
    return _joined(parts)


StoredLookup = Callable[[Sequence[int]], StoredForecasts | None]


@contextmanager
def stored_forecasts_ahead(engine: Engine, at_most: int) -> Iterator[StoredLookup | None]:
    """Read every stored forecast on another connection and thread (SQLite's reader works without
    the GIL) while the caller parses a file; yields a lookup that, inside the caller's write
    transaction, gives the forecasts on some questions from that copy — or None when anything was
    committed since the copy began (``PRAGMA data_version`` moved), and the caller reads them itself.
    Yields None instead of a lookup on other databases, or when more than ``at_most`` forecasts
    may be stored (reading them all would cost more than it saves).
    """
    if engine.dialect.name != "sqlite":
        yield None
        return
    with engine.connect() as connection:
        highest = connection.execute(select(func.max(Forecast.id))).scalar_one() or 0
    if highest > at_most:
        yield None
        return
    with ThreadPoolExecutor(max_workers=1) as reader, engine.connect() as connection:
        copy = reader.submit(_versioned_copy, connection)

        def lookup(question_ids: Sequence[int]) -> StoredForecasts | None:
            version, stored = copy.result()
            # Asked with the write lock held: no commit can come after this check.
            if reader.submit(_data_version, connection).result() != version:
                return None
            return _keep(stored, question_ids)

        try:
            yield lookup
        finally:
            copy.cancel()
            if not copy.cancelled():
                copy.exception()  # wait: the connection closes after its last query


def _data_version(connection: Connection) -> int:
    version = connection.exec_driver_sql("PRAGMA data_version").scalar_one()
    connection.rollback()  # no read transaction stays open: the next check sees every commit
    return int(version)


def _versioned_copy(connection: Connection) -> tuple[int, StoredForecasts]:
    """data_version before the reads, then the whole table: if the version has not moved when the
    copy is used, nothing was committed before or during the reads."""
    version = _data_version(connection)
    parts = [_sqlite_batch(connection, where) for where in _id_ranges(connection)]
    connection.rollback()
    return version, _joined(parts)


def _keep(stored: StoredForecasts, question_ids: Sequence[int]) -> StoredForecasts:
    keep = np.isin(stored.question_id, np.asarray(question_ids, dtype=np.int64))
    if keep.all():
        return stored  # a re-import of the whole file: no second copy of a million rows
    kept: list[NDArray[Any]] = [column[keep] for column in stored]
    return StoredForecasts(*kept)


def _joined(parts: Sequence[Sequence[NDArray[Any]]]) -> StoredForecasts:
    if not parts:
        return StoredForecasts(*(np.zeros(0, dtype=kind) for kind in _KINDS))
    return StoredForecasts(*(np.concatenate([part[i] for part in parts]) for i in range(len(_KINDS))))


def _batches(connection: Connection, question_ids: Sequence[int]) -> Iterator[ColumnElement[bool]]:
    n_questions = connection.execute(select(func.count()).select_from(Question)).scalar_one()
    if len(question_ids) < SCAN_SHARE * n_questions:
        for start in range(0, len(question_ids), KEY_CHUNK):
            yield Forecast.question_id.in_(question_ids[start : start + KEY_CHUNK])
        return
    yield from _id_ranges(connection)


def _id_ranges(connection: Connection) -> Iterator[ColumnElement[bool]]:
    """The whole table, SCAN_IDS forecast ids at a time."""
    highest = connection.execute(select(func.max(Forecast.id))).scalar_one() or 0
    for start in range(0, highest + 1, SCAN_IDS):
        yield Forecast.id.between(start, start + SCAN_IDS - 1)


def _rows_batch(connection: Connection, where: ColumnElement[bool]) -> list[NDArray[Any]]:
    recorded = case(
        (Forecast.recorded_at == Forecast.made_at, None), else_=epoch_micros(Forecast.recorded_at)
    )
    query = select(
        Forecast.id,
        Forecast.question_id,
        Forecast.forecaster_id,
        epoch_micros(Forecast.made_at),
        Forecast.probability,  # NULL exactly when there are option probabilities (a check says so)
        Forecast.rationale,
        _ORIGIN_CODE,
        recorded,
    ).where(where)
    columns: list[Any] = list(zip(*fetch_numbers(connection, query), strict=True)) or [()] * len(_KINDS)
    columns[7] = [m if r is None else r for m, r in zip(columns[3], columns[7], strict=True)]
    return [np.array(column, dtype=kind) for column, kind in zip(columns, _KINDS, strict=True)]  # None: nan


def _sqlite_batch(connection: Connection, where: ColumnElement[bool]) -> list[NDArray[Any]]:
    concatenated = select(
        func.count(),
        func.group_concat(Forecast.id),
        func.group_concat(Forecast.question_id),
        func.group_concat(Forecast.forecaster_id),
        func.group_concat(Forecast.made_at),
        func.group_concat(func.ifnull(Forecast.probability, "nan")),
        func.group_concat(_ORIGIN_CODE, ""),
        func.total(case((Forecast.rationale != "", 1), else_=0)),  # the rare values read beside, if any
        func.total(case((Forecast.recorded_at != Forecast.made_at, 1), else_=0)),
    ).where(where)
    n, *texts, n_rationales, n_later = fetch_numbers(connection, concatenated)[0]
    if not n:
        return [np.zeros(0, dtype=kind) for kind in _KINDS]
    ids, questions, forecasters = (_integers(text, n) for text in texts[:3])
    made = _stored_micros(texts[3], n)
    # SQLite writes a REAL's text with 15 digits: nearly always exact; where the file's value differs
    # from this one, the writer asks exact_probabilities before calling the forecast changed.
    probability = np.fromstring(texts[4], dtype=np.float64, sep=",")
    if probability.size != n:
        raise ValueError(f"read {probability.size} of {n} stored probabilities")  # never: numbers or nan
    origin = (np.frombuffer(texts[5].encode(), dtype=np.uint8) - ord("0")).astype(np.int8)
    rationale = np.full(n, "", dtype=object)
    recorded = made.copy()
    if n_rationales:
        _fill_by_id(connection, ids, where, rationale, Forecast.rationale, Forecast.rationale != "")
    if n_later:
        later = Forecast.recorded_at != Forecast.made_at
        _fill_by_id(connection, ids, where, recorded, Forecast.recorded_at, later, _stored_micros_of_list)
    return [ids, questions, forecasters, made, probability, rationale, origin, recorded]


def exact_probabilities(connection: Connection, ids: NDArray[np.int64]) -> NDArray[np.float64]:
    """These forecasts' stored probabilities as the driver returns them, bit for bit (nan for none)."""
    exact = np.full(ids.size, np.nan)
    for start in range(0, ids.size, KEY_CHUNK):
        chunk = ids[start : start + KEY_CHUNK]
        rows = fetch_numbers(
            connection, select(Forecast.id, Forecast.probability).where(Forecast.id.in_(chunk.tolist()))
        )
        found = {int(i): p for i, p in rows}
        exact[start : start + chunk.size] = [found.get(int(i)) for i in chunk.tolist()]
    return exact


def _integers(text: str, n: int) -> NDArray[np.int64]:
    values = np.fromstring(text, dtype=np.int64, sep=",")
    if values.size != n:
        raise ValueError(f"read {values.size} of {n} stored numbers")  # never: ids are integers
    return values


def _fill_by_id(
    connection: Connection,
    ids: NDArray[np.int64],
    where: ColumnElement[bool],
    into: NDArray[Any],
    column: Any,
    condition: ColumnElement[bool],
    convert: Any = None,
) -> None:
    """Set ``into`` (aligned with ``ids``) to ``column`` for the rows where ``condition`` holds."""
    rows = fetch_numbers(connection, select(Forecast.id, column).where(where, condition))
    if not rows:
        return
    found, values = zip(*rows, strict=True)
    order = np.argsort(ids)
    positions = order[np.searchsorted(ids, np.asarray(found, dtype=np.int64), sorter=order)]
    into[positions] = convert(values) if convert else list(values)


def _stored_micros(text: str, n: int) -> NDArray[np.int64]:
    """Comma-joined stored timestamps ('YYYY-MM-DD HH:MM:SS.ffffff') as microseconds, all at once."""
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    commas = np.flatnonzero(data == ord(","))
    if commas.size != n - 1:
        raise ValueError(f"read {commas.size + 1} of {n} stored times")  # never: times have no commas
    starts = np.r_[0, commas + 1]
    lengths = np.r_[commas, data.size] - starts
    micros, ok = iso_micros(Cells(data, starts, lengths.astype(np.int64)))
    for i in np.flatnonzero(~ok).tolist():  # another shape: read as SQLAlchemy would
        cell = bytes(data[starts[i] : starts[i] + lengths[i]]).decode()
        micros[i] = micros_of(datetime.fromisoformat(cell).replace(tzinfo=UTC))
    return micros


def _stored_micros_of_list(values: Sequence[str]) -> NDArray[np.int64]:
    return _stored_micros(",".join(values), len(values))
