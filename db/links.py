"""Event ↔ question links, unlinks and citations: the writes every path shares.

A pair has one link row; the first origin that linked it is kept. A person's
unlink deletes the row and remembers the pair, so rules, sources and imports
never link it again; only a person (linking by hand, or citing the event in a
forecast) brings it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, tuple_

from db.expressions import insert_or_ignore
from db.models import EventQuestion, EventUnlink, ForecastEvent

CHUNK = 400


def _chunks(pairs: Sequence[tuple[int, int]]) -> Iterable[Sequence[tuple[int, int]]]:
    for start in range(0, len(pairs), CHUNK):
        yield pairs[start : start + CHUNK]


def unlinked_pairs(connection: Connection, pairs: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these (event, question) pairs a person unlinked."""
    found: set[tuple[int, int]] = set()
    for chunk in _chunks(sorted(set(pairs))):
        pair = tuple_(EventUnlink.event_id, EventUnlink.question_id)
        query = select(EventUnlink.event_id, EventUnlink.question_id).where(pair.in_(list(chunk)))
        found.update((int(e), int(q)) for e, q in connection.execute(query))
    return found


def link(
    connection: Connection,
    pairs: Sequence[tuple[int, int]],
    *,
    origin: str,
    now: datetime,
    by_person: bool = False,
) -> int:
    """Link (event, question) pairs; returns how many links are new.

    ``by_person`` (linking by hand, citing in a form) overrides an earlier unlink; other
    origins skip the pairs a person unlinked.
    """
    pairs = sorted(set(pairs))
    if not pairs:
        return 0
    if by_person:
        for chunk in _chunks(pairs):
            pair = tuple_(EventUnlink.event_id, EventUnlink.question_id)
            connection.execute(delete(EventUnlink).where(pair.in_(list(chunk))))
    else:
        refused = unlinked_pairs(connection, pairs)
        pairs = [pair for pair in pairs if pair not in refused]
    rows = [{"event_id": e, "question_id": q, "origin": origin, "created_at": now} for e, q in pairs]
    statement = insert_or_ignore(connection, EventQuestion).returning(EventQuestion.event_id)
    added = 0
    for start in range(0, len(rows), CHUNK):
        added += len(connection.execute(statement, rows[start : start + CHUNK]).all())
    return added


def unlink(connection: Connection, event_id: int, question_id: int, now: datetime) -> bool:
    """Remove the link and remember the pair; True if a link was removed."""
    removed = connection.execute(
        delete(EventQuestion).where(
            EventQuestion.event_id == event_id, EventQuestion.question_id == question_id
        )
    ).rowcount
    connection.execute(
        insert_or_ignore(connection, EventUnlink),
        [{"event_id": event_id, "question_id": question_id, "unlinked_at": now}],
    )
    return bool(removed)


def remember_unlinks(connection: Connection, pairs: Sequence[tuple[int, int]], now: datetime) -> None:
    """Record unlinked pairs (an import): any link they have goes."""
    for event_id, question_id in sorted(set(pairs)):
        unlink(connection, event_id, question_id, now)


def cite(
    connection: Connection,
    forecast_id: int,
    question_id: int,
    event_ids: Sequence[int],
    *,
    now: datetime,
    by_person: bool = True,
) -> None:
    """A forecast gives these events as its reason; each becomes linked to its question."""
    if not event_ids:
        return
    rows = [{"forecast_id": forecast_id, "event_id": e} for e in sorted(set(event_ids))]
    connection.execute(insert_or_ignore(connection, ForecastEvent), rows)
    link(connection, [(e, question_id) for e in event_ids], origin="cited", now=now, by_person=by_person)


def insert_citations(connection: Connection, rows: Sequence[tuple[int, int]]) -> None:
    """(forecast, event) rows, as a bulk import writes them."""
    values = [{"forecast_id": f, "event_id": e} for f, e in sorted(set(rows))]
    for start in range(0, len(values), CHUNK):
        connection.execute(insert_or_ignore(connection, ForecastEvent), values[start : start + CHUNK])
