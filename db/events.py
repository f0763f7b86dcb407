"""Storing events: the one upsert path for ingestion and import alike.

Events are keyed by (source, dedupe key). A new key is inserted with
``INSERT … ON CONFLICT DO NOTHING``, so two overlapping writers (two ingest
runs, an ingest and an import) store it once. A known key whose content
changed is updated and its previous version kept in ``event_revision``,
whichever path brought the change. New and changed events are linked, in the
same transaction, to the questions whose watch rule they match; a pair a
person unlinked is never linked again. An incoming event whose time is only an
estimate (the fetch time) keeps the time already stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, insert, select, update

from db.expressions import insert_or_ignore
from db.links import link
from db.models import Event, EventRevision, EventTag, Question
from db.search import Watch, link_watched
from forecasts.topic_rules import RuleError, compile_rule

KEY_CHUNK = 500  # keys per IN (...) lookup: well under every database's parameter limit


class EventValues(NamedTuple):
    dedupe_key: str
    occurred_at: datetime
    occurred_at_estimated: bool
    title: str
    summary: str
    url: str | None
    content_hash: str | None
    tags: tuple[str, ...] = ()
    links: tuple[tuple[int, str], ...] = ()  # (question id, origin): the questions it bears on
    created_at: datetime | None = None  # None: now
    updated_at: datetime | None = None


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0  # stored already with this content (possibly by an overlapping writer)
    inserted: list[tuple[int, str]] = field(default_factory=list)  # (event id, key) of the new rows
    linked: int = 0  # links a question's watch rule added


# The columns an event's content is: what an update compares, rewrites and keeps a revision of.
CONTENT = ("occurred_at", "occurred_at_estimated", "title", "summary", "url", "content_hash")


class _Stored(NamedTuple):
    id: int
    content: dict[str, Any]  # the CONTENT columns as stored
    tags: tuple[str, ...]


def _content(event: EventValues) -> dict[str, Any]:
    return {name: getattr(event, name) for name in CONTENT}


def _stored(connection: Connection, source_id: int, keys: list[str]) -> dict[str, _Stored]:
    rows: dict[str, tuple[int, dict[str, Any]]] = {}
    columns = [getattr(Event, name) for name in CONTENT]
    for start in range(0, len(keys), KEY_CHUNK):
        query = select(Event.dedupe_key, Event.id, *columns).where(
            Event.source_id == source_id, Event.dedupe_key.in_(keys[start : start + KEY_CHUNK])
        )
        rows.update(
            {row[0]: (row[1], dict(zip(CONTENT, row[2:], strict=True))) for row in connection.execute(query)}
        )
    tags: dict[int, list[str]] = {}
    ids = [event_id for event_id, _ in rows.values()]
    for start in range(0, len(ids), KEY_CHUNK):
        tag_query = select(EventTag.event_id, EventTag.tag).where(
            EventTag.event_id.in_(ids[start : start + KEY_CHUNK])
        )
        for event_id, tag in connection.execute(tag_query):
            tags.setdefault(event_id, []).append(tag)
    return {key: _Stored(i, content, tuple(sorted(tags.get(i, ())))) for key, (i, content) in rows.items()}


def _merged(stored: _Stored, incoming: EventValues) -> EventValues:
    """What the event becomes: the incoming content, but a stored time outlives an estimated one."""
    if incoming.occurred_at_estimated:
        return incoming._replace(
            occurred_at=stored.content["occurred_at"],
            occurred_at_estimated=stored.content["occurred_at_estimated"],
        )
    return incoming


def _changed(stored: _Stored, merged: EventValues) -> bool:
    return _content(merged) != stored.content or stored.tags != tuple(sorted(merged.tags))


def _update(connection: Connection, stored: _Stored, merged: EventValues, now: datetime) -> None:
    previous = {name: stored.content[name] for name in ("title", "summary", "url")}
    previous |= {"occurred_at": stored.content["occurred_at"].isoformat(), "tags": list(stored.tags)}
    connection.execute(insert(EventRevision).values(event_id=stored.id, changed_at=now, previous=previous))
    connection.execute(
        update(Event)
        .where(Event.id == stored.id)
        .values(**_content(merged), updated_at=merged.updated_at or now)
    )


def _insert_new(
    connection: Connection, source_id: int, fresh: list[EventValues], now: datetime
) -> list[tuple[int, str]]:
    if not fresh:
        return []
    rows = [
        {
            "source_id": source_id,
            "dedupe_key": e.dedupe_key,
            **_content(e),
            "created_at": e.created_at or now,
            "updated_at": e.updated_at or e.created_at or now,
        }
        for e in fresh
    ]
    statement = insert_or_ignore(connection, Event).returning(Event.id, Event.dedupe_key)
    return [(int(event_id), str(key)) for event_id, key in connection.execute(statement, rows).all()]


def _write_tags_and_links(
    connection: Connection, written: list[tuple[int, EventValues]], replaced: list[int], now: datetime
) -> None:
    if replaced:
        connection.execute(delete(EventTag).where(EventTag.event_id.in_(replaced)))
    tags = [{"event_id": i, "tag": tag} for i, e in written for tag in sorted(set(e.tags))]
    if tags:
        connection.execute(insert_or_ignore(connection, EventTag), tags)
    by_origin: dict[str, list[tuple[int, int]]] = {}
    for event_id, e in written:
        for question_id, origin in e.links:
            by_origin.setdefault(origin, []).append((event_id, question_id))
    for origin, pairs in sorted(by_origin.items()):
        link(connection, pairs, origin=origin, now=now)


def event_ids(
    connection: Connection, sources: dict[str, int], refs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Stored ids of events named by (source name, dedupe key); unknown ones are left out."""
    by_source: dict[str, set[str]] = {}
    for name, key in refs:
        if name in sources:
            by_source.setdefault(name, set()).add(key)
    found: dict[tuple[str, str], int] = {}
    for name, keys in by_source.items():
        wanted = sorted(keys)
        for start in range(0, len(wanted), KEY_CHUNK):
            query = select(Event.dedupe_key, Event.id).where(
                Event.source_id == sources[name], Event.dedupe_key.in_(wanted[start : start + KEY_CHUNK])
            )
            found.update({(name, str(key)): int(i) for key, i in connection.execute(query)})
    return found


def watches(connection: Connection) -> list[Watch]:
    """Every question's watch rule, compiled (a rule that no longer reads is skipped)."""
    compiled = []
    for question_id, rule, closes_at in connection.execute(
        select(Question.id, Question.watch_rule, Question.closes_at).where(Question.watch_rule.is_not(None))
    ):
        try:
            node = compile_rule(rule)
        except RuleError:
            continue
        if node is not None:
            compiled.append(Watch(int(question_id), node, closes_at))
    return compiled


def upsert_events(
    connection: Connection, source_id: int, events: Sequence[EventValues], *, now: datetime | None = None
) -> UpsertCounts:
    """Insert the new, update the changed (keeping their revisions), count the rest; one transaction
    is the caller's. ``events`` must have distinct keys."""
    now = now or datetime.now(UTC)
    counts = UpsertCounts()
    by_key = {e.dedupe_key: e for e in events}
    stored = _stored(connection, source_id, list(by_key))
    written: list[tuple[int, EventValues]] = []
    replaced: list[int] = []
    for key, known in stored.items():
        merged = _merged(known, by_key[key])
        if not _changed(known, merged):
            counts.unchanged += 1
            continue
        _update(connection, known, merged, now)
        written.append((known.id, merged))
        replaced.append(known.id)
        counts.updated += 1
    fresh = [e for key, e in by_key.items() if key not in stored]
    counts.inserted = _insert_new(connection, source_id, fresh, now)
    counts.new = len(counts.inserted)
    counts.unchanged += len(fresh) - counts.new  # stored meanwhile by an overlapping writer
    written += [(event_id, by_key[key]) for event_id, key in counts.inserted]
    _write_tags_and_links(connection, written, replaced, now)
    counts.linked = link_watched(connection, [i for i, _ in written], watches(connection), now)
    return counts
