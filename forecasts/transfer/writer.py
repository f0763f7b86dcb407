"""Storing a :class:`Bundle`: upserts keyed on what identifies each record, in one transaction.

Importing the same bundle twice changes nothing the second time: questions are
matched by uid, forecasters by name, forecasts by (question, forecaster, time),
resolutions by (question, recorded time, outcome), sources by name and events by
(source, key). New rows are inserted in batches through Core (a million
forecasts must not build a million ORM objects); changed rows are updated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from db.bulk import insert_rows
from db.models import (
    Event,
    EventQuestion,
    EventTag,
    Forecast,
    Forecaster,
    Question,
    QuestionTag,
    Resolution,
    Source,
)
from db.types import utc_now
from forecasts.transfer.records import Bundle, ImportRefused

BATCH = 20_000
Progress = Callable[[int, int], None]  # (records written so far, records in all)


@dataclass
class ImportCounts:
    new: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, *, new: int = 0, updated: int = 0, unchanged: int = 0) -> None:
        for bucket, n in ((self.new, new), (self.updated, updated), (self.unchanged, unchanged)):
            bucket[kind] = bucket.get(kind, 0) + n

    @property
    def changed(self) -> bool:
        return any(self.new.values()) or any(self.updated.values())

    def summary(self) -> str:
        parts = []
        for kind in ("questions", "forecasters", "forecasts", "resolutions", "sources", "events"):
            n, u, same = self.new.get(kind, 0), self.updated.get(kind, 0), self.unchanged.get(kind, 0)
            if n or u or same:
                parts.append(f"{kind}: {n} new, {u} updated, {same} unchanged")
        return "; ".join(parts) or "nothing to import"


def _batches(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _forecasters(session: Session, bundle: Bundle, counts: ImportCounts) -> dict[str, int]:
    known = {f.name: f for f in session.scalars(select(Forecaster))}
    new = [f for f in bundle.forecasters if f.name not in known]
    if new:
        session.execute(insert(Forecaster), [f._asdict() for f in new])
    counts.add("forecasters", new=len(new), unchanged=len(bundle.forecasters) - len(new))
    return dict(session.execute(select(Forecaster.name, Forecaster.id)).all())


QUESTION_FIELDS = (
    "title",
    "description",
    "resolution_criteria",
    "type",
    "options",
    "created_at",
    "opens_at",
    "closes_at",
    "resolve_by",
)


def _questions(session: Session, bundle: Bundle, counts: ImportCounts) -> dict[str, int]:
    known = {
        q.uid: q
        for q in session.scalars(select(Question).where(Question.uid.in_([q.uid for q in bundle.questions])))
    }
    now = utc_now()
    new_rows, updated = [], 0
    for record in bundle.questions:
        values = {name: getattr(record, name) for name in QUESTION_FIELDS}
        values["options"] = list(record.options) if record.options is not None else None
        question = known.get(record.uid)
        if question is None:
            new_rows.append({"uid": record.uid, **values, "updated_at": now})
            continue
        current = {name: getattr(question, name) for name in QUESTION_FIELDS}
        reshaped = (current["type"], current["options"]) != (values["type"], values["options"])
        if reshaped and question.forecasts:
            raise ImportRefused(
                f"question {record.uid} ({record.title!r}) is {current['type']} with options "
                f"{current['options']} here but {values['type']} with options {values['options']} "
                "in the file; "
                "a question's type and options cannot change once it has forecasts. Nothing was imported."
            )
        changed = current != values or tuple(sorted(question.tags)) != tuple(sorted(record.tags))
        if changed:
            for name, value in values.items():
                setattr(question, name, value)
            question.tags[:] = list(record.tags)  # type: ignore[index]
            question.updated_at = now
            updated += 1
    for batch in _batches(new_rows):
        session.execute(insert(Question), batch)
    ids = (
        dict(
            session.execute(
                select(Question.uid, Question.id).where(Question.uid.in_([r["uid"] for r in new_rows]))
            ).all()
        )
        if new_rows
        else {}
    )
    tag_rows = [
        {"question_id": ids[record.uid], "tag": tag}
        for record in bundle.questions
        if record.uid in ids
        for tag in record.tags
    ]
    for batch in _batches(tag_rows):
        session.execute(insert(QuestionTag), batch)
    session.flush()
    counts.add(
        "questions",
        new=len(new_rows),
        updated=updated,
        unchanged=len(bundle.questions) - len(new_rows) - updated,
    )
    return {**{uid: q.id for uid, q in known.items()}, **ids}


FORECAST_FIELDS = ("probability", "option_probabilities", "rationale", "origin", "recorded_at")


def _forecasts(
    session: Session,
    bundle: Bundle,
    questions: dict[str, int],
    forecasters: dict[str, int],
    counts: ImportCounts,
    progress: Progress | None,
) -> None:
    existing: dict[tuple[int, int, datetime], tuple[int, tuple]] = {}
    touched = sorted({questions[f.question_uid] for f in bundle.forecasts})
    if (
        touched
        and session.scalar(select(Forecast.id).where(Forecast.question_id.in_(touched)).limit(1)) is not None
    ):
        for start in range(0, len(touched), 5_000):
            chunk = touched[start : start + 5_000]
            for row in session.execute(
                select(
                    Forecast.id,
                    Forecast.question_id,
                    Forecast.forecaster_id,
                    Forecast.made_at,
                    *(getattr(Forecast, n) for n in FORECAST_FIELDS),
                ).where(Forecast.question_id.in_(chunk))
            ):
                existing[(row[1], row[2], row[3])] = (row[0], tuple(row[4:]))
    new_rows, changed_rows = [], []
    for f in bundle.forecasts:
        key = (questions[f.question_uid], forecasters[f.forecaster], f.made_at)
        options = list(f.option_probabilities) if f.option_probabilities is not None else None
        values = (f.probability, options, f.rationale, f.origin, f.recorded_at)
        found = existing.get(key) if existing else None
        if found is None:
            new_rows.append((*key, *values))
        elif found[1] != values:
            changed_rows.append({"forecast_id": found[0], **dict(zip(FORECAST_FIELDS, values, strict=True))})
    total, done = len(new_rows) + len(changed_rows), 0
    connection = session.connection()
    for start in range(0, len(new_rows), BATCH):
        batch = new_rows[start : start + BATCH]
        insert_rows(
            connection,
            Forecast.__table__,
            ("question_id", "forecaster_id", "made_at", *FORECAST_FIELDS),
            batch,
        )
        done += len(batch)
        if progress:
            progress(done, total)
    if changed_rows:
        statement = (
            update(Forecast)
            .where(Forecast.id == bindparam("forecast_id"))
            .values({name: bindparam(name) for name in FORECAST_FIELDS})
        )
        session.connection().execute(statement, changed_rows)
        if progress:
            progress(total, total)
    counts.add(
        "forecasts", new=len(new_rows), updated=len(changed_rows), unchanged=len(bundle.forecasts) - total
    )


def _resolutions(session: Session, bundle: Bundle, questions: dict[str, int], counts: ImportCounts) -> None:
    ids = sorted({questions[r.question_uid] for r in bundle.resolutions})
    known = (
        {
            (question_id, recorded_at, outcome)
            for question_id, recorded_at, outcome in session.execute(
                select(Resolution.question_id, Resolution.recorded_at, Resolution.outcome).where(
                    Resolution.question_id.in_(ids)
                )
            )
        }
        if ids
        else set()
    )
    new_rows = [
        {**r._asdict(), "question_id": questions[r.question_uid]}
        for r in bundle.resolutions
        if (questions[r.question_uid], r.recorded_at, r.outcome) not in known
    ]
    for row in new_rows:
        del row["question_uid"]
    for batch in _batches(new_rows):
        session.execute(insert(Resolution), batch)
    counts.add("resolutions", new=len(new_rows), unchanged=len(bundle.resolutions) - len(new_rows))


def _sources_and_events(
    session: Session, bundle: Bundle, questions: dict[str, int], counts: ImportCounts
) -> None:
    known = dict(session.execute(select(Source.name, Source.id)).all())
    new_sources = [s for s in bundle.sources if s.name not in known]
    for record in new_sources:
        session.add(Source(**record._asdict(), updated_at=record.created_at))
    session.flush()
    counts.add("sources", new=len(new_sources), unchanged=len(bundle.sources) - len(new_sources))
    if not bundle.events:
        return
    sources = dict(session.execute(select(Source.name, Source.id)).all())
    existing = {
        (e.source_id, e.dedupe_key): e
        for e in session.scalars(
            select(Event).where(Event.source_id.in_({sources[e.source] for e in bundle.events}))
        )
    }
    question_ids = dict(session.execute(select(Question.uid, Question.id)).all())
    fields = (
        "occurred_at",
        "occurred_at_estimated",
        "title",
        "summary",
        "url",
        "content_hash",
        "created_at",
        "updated_at",
    )
    fresh, redone = [], []  # records whose tags and links are (re)written
    for record in bundle.events:
        key = (sources[record.source], record.dedupe_key)
        event = existing.get(key)
        if event is None:
            fresh.append(record)
        elif {n: getattr(event, n) for n in fields} != {n: getattr(record, n) for n in fields} or sorted(
            t.tag for t in event.tag_links
        ) != sorted(record.tags):
            for name in fields:
                setattr(event, name, getattr(record, name))
            redone.append(record)
    rows = [
        {"source_id": sources[r.source], "dedupe_key": r.dedupe_key, **{n: getattr(r, n) for n in fields}}
        for r in fresh
    ]
    for batch in _batches(rows):
        session.execute(insert(Event), batch)
    session.flush()
    ids = {
        (source_id, key): event_id
        for event_id, source_id, key in session.execute(select(Event.id, Event.source_id, Event.dedupe_key))
    }
    redone_ids = [ids[(sources[r.source], r.dedupe_key)] for r in redone]
    if redone_ids:
        session.execute(delete(EventTag).where(EventTag.event_id.in_(redone_ids)))
    linked: set[tuple[int, int]] = set()
    if redone:
        linked = {
            (e, q) for e, q in session.execute(select(EventQuestion.event_id, EventQuestion.question_id))
        }
    tag_rows, link_rows = [], []
    for record in fresh + redone:
        event_id = ids[(sources[record.source], record.dedupe_key)]
        tag_rows += [{"event_id": event_id, "tag": tag} for tag in record.tags]
        link_rows += [
            {"event_id": event_id, "question_id": question_ids[uid], "created_at": record.created_at}
            for uid in record.questions
            if uid in question_ids and (event_id, question_ids[uid]) not in linked
        ]
    for table, table_rows in ((EventTag, tag_rows), (EventQuestion, link_rows)):
        for batch in _batches(table_rows):
            session.execute(insert(table), batch)
    counts.add(
        "events", new=len(fresh), updated=len(redone), unchanged=len(bundle.events) - len(fresh) - len(redone)
    )


def write_bundle(session: Session, bundle: Bundle, *, progress: Progress | None = None) -> ImportCounts:
    """Upsert everything in ``bundle`` inside the caller's transaction."""
    counts = ImportCounts()
    forecasters = _forecasters(session, bundle, counts)
    questions = _questions(session, bundle, counts)
    _forecasts(session, bundle, questions, forecasters, counts, progress)
    _resolutions(session, bundle, questions, counts)
    _sources_and_events(session, bundle, questions, counts)
    session.flush()
    return counts
