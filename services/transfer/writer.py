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

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from db.bulk import QuestionShape, insert_forecasts
from db.events import EventValues, event_ids, upsert_events
from db.links import cite, remember_unlinks
from db.models import Forecast, Forecaster, Question, QuestionTag, Resolution, Source
from db.queries import latest_resolutions
from db.score_pieces import mark_for_rescore
from db.search import link_matching
from db.types import utc_now
from forecasts import rules
from forecasts.errors import Invalid
from forecasts.topic_rules import compile_rule
from services.transfer.records import Bundle, ForecastRecord, ImportRefused

BATCH = 20_000
Progress = Callable[[int, int], None]  # (records written so far, records in all)


@dataclass
class ImportCounts:
    new: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    # Records the database refused although the file was readable (a forecast dated after the
    # question's stored resolution), each named by what identifies it.
    refused: list[str] = field(default_factory=list)

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
    "watch_rule",
    "options_ordered",
)


def _questions(session: Session, bundle: Bundle, counts: ImportCounts, only_missing: bool) -> dict[str, int]:
    uids = [q.uid for q in bundle.questions]
    with_tags = select(Question).options(selectinload(Question.tag_links))  # not one query per question
    known = {q.uid: q for q in session.scalars(with_tags.where(Question.uid.in_(uids)))}
    now = utc_now()
    new_rows, updated = [], 0
    for record in bundle.questions:
        values = {name: getattr(record, name) for name in QUESTION_FIELDS}
        values["options"] = list(record.options) if record.options is not None else None
        question = known.get(record.uid)
        if question is None:
            new_rows.append({"uid": record.uid, **values, "updated_at": now})
            continue
        if only_missing:
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
            question.tags[:] = list(record.tags)
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
CHUNK = 5_000  # question ids per IN (...) lookup


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _existing_forecasts(
    session: Session, question_ids: list[int]
) -> dict[tuple[int, int, datetime], tuple[int, tuple[Any, ...]]]:
    existing: dict[tuple[int, int, datetime], tuple[int, tuple[Any, ...]]] = {}
    if (
        not question_ids
        or session.scalar(select(Forecast.id).where(Forecast.question_id.in_(question_ids)).limit(1)) is None
    ):
        return existing  # a first import: nothing to compare against
    for chunk in _chunks(question_ids):
        query = select(
            Forecast.id,
            Forecast.question_id,
            Forecast.forecaster_id,
            Forecast.made_at,
            *(getattr(Forecast, name) for name in FORECAST_FIELDS),
        ).where(Forecast.question_id.in_(chunk))
        for row in session.connection().execute(query):  # Core rows: no ORM bookkeeping per row
            existing[(row[1], row[2], row[3])] = (row[0], tuple(row[4:]))
    return existing


def _settled_at(session: Session, question_ids: list[int]) -> dict[int, datetime]:
    """When each of these questions was settled, by its latest stored resolution."""
    latest = latest_resolutions()
    settled: dict[int, datetime] = {}
    for chunk in _chunks(question_ids):
        query = select(latest.c.question_id, latest.c.resolved_at).where(
            latest.c.question_id.in_(chunk), latest.c.outcome != "unresolved"
        )
        settled.update({int(q): when for q, when in session.execute(query) if when is not None})
    return settled


def _shapes(session: Session, question_ids: list[int]) -> dict[int, QuestionShape]:
    shapes: dict[int, QuestionShape] = {}
    for chunk in _chunks(question_ids):
        query = select(Question.id, Question.type, Question.options).where(Question.id.in_(chunk))
        shapes.update(
            {int(i): QuestionShape(t, tuple(o) if o else None) for i, t, o in session.execute(query)}
        )
    return shapes


def _refusal(record: ForecastRecord, settled: datetime | None) -> str | None:
    """Why the database refuses this forecast although the file was fine, or None."""
    try:
        rules.check_not_after_resolution(record.made_at, settled)
    except Invalid as error:
        when = f"{record.made_at:%Y-%m-%d %H:%M} UTC"
        who = f"forecast by {record.forecaster} on {record.question_uid} at {when}"
        return f"{who}: {error.field} {error.message}"
    return None


def _sort_forecasts(
    session: Session,
    bundle: Bundle,
    questions: dict[str, int],
    forecasters: dict[str, int],
    counts: ImportCounts,
) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    """The bundle's forecasts as new rows and changed rows; unchanged and refused ones counted."""
    touched = sorted({questions[f.question_uid] for f in bundle.forecasts})
    existing, settled = _existing_forecasts(session, touched), _settled_at(session, touched)
    new_rows: list[tuple[Any, ...]] = []
    changed_rows: list[dict[str, Any]] = []
    for f in bundle.forecasts:
        key = (questions[f.question_uid], forecasters[f.forecaster], f.made_at)
        options = list(f.option_probabilities) if f.option_probabilities is not None else None
        values = (f.probability, options, f.rationale, f.origin, f.recorded_at)
        found = existing.get(key) if existing else None
        if found is None:
            refused = _refusal(f, settled.get(key[0])) if settled else None
            if refused is None:
                new_rows.append((*key, *values))
            else:
                counts.refused.append(refused)
        elif found[1] != values:
            changed = dict(zip(FORECAST_FIELDS, values, strict=True))
            changed_rows.append({"forecast_id": found[0], "question_id": key[0], **changed})
    return new_rows, changed_rows


def _forecasts(
    session: Session,
    bundle: Bundle,
    questions: dict[str, int],
    forecasters: dict[str, int],
    counts: ImportCounts,
    progress: Progress | None,
    only_missing: bool,
) -> None:
    new_rows, changed_rows = _sort_forecasts(session, bundle, questions, forecasters, counts)
    if only_missing:
        changed_rows = []
    shapes = _shapes(session, sorted({row[0] for row in new_rows}))
    total, done = len(new_rows) + len(changed_rows), 0
    connection = session.connection()
    for start in range(0, len(new_rows), BATCH):
        batch = new_rows[start : start + BATCH]
        insert_forecasts(connection, batch, shapes)
        done += len(batch)
        if progress:
            progress(done, total)
    if changed_rows:
        forecast_questions = {row["forecast_id"]: row.pop("question_id") for row in changed_rows}
        mark_for_rescore(connection, forecast_questions.values())  # ids did not move: say so
        statement = (
            update(Forecast)
            .where(Forecast.id == bindparam("forecast_id"))
            .values({name: bindparam(name) for name in FORECAST_FIELDS})
        )
        connection.execute(statement, changed_rows)
        if progress:
            progress(total, total)
    n_unchanged = len(bundle.forecasts) - len(new_rows) - len(changed_rows) - len(counts.refused)
    counts.add("forecasts", new=len(new_rows), updated=len(changed_rows), unchanged=n_unchanged)


def _resolutions(
    session: Session, bundle: Bundle, questions: dict[str, int], counts: ImportCounts, only_missing: bool
) -> None:
    ids = sorted({questions[r.question_uid] for r in bundle.resolutions})
    known: set[tuple[int, datetime, str]] = set()
    with_history: set[int] = set()
    for chunk in _chunks(ids):
        query = select(Resolution.question_id, Resolution.recorded_at, Resolution.outcome).where(
            Resolution.question_id.in_(chunk)
        )
        for question_id, recorded_at, outcome in session.execute(query):
            known.add((question_id, recorded_at, outcome))
            with_history.add(question_id)
    new_rows = []
    for record in bundle.resolutions:
        question_id = questions[record.question_uid]
        if (question_id, record.recorded_at, record.outcome) in known or (
            only_missing and question_id in with_history
        ):
            continue
        row = {**record._asdict(), "question_id": question_id}
        del row["question_uid"]
        new_rows.append(row)
    for batch in _batches(new_rows):
        session.execute(insert(Resolution), batch)
    counts.add("resolutions", new=len(new_rows), unchanged=len(bundle.resolutions) - len(new_rows))


def _sources(session: Session, bundle: Bundle, counts: ImportCounts) -> dict[str, int]:
    known = dict(session.execute(select(Source.name, Source.id)).all())
    new_sources = [s for s in bundle.sources if s.name not in known]
    for record in new_sources:
        session.add(Source(**record._asdict(), updated_at=record.created_at))
    session.flush()
    counts.add("sources", new=len(new_sources), unchanged=len(bundle.sources) - len(new_sources))
    return {str(name): int(i) for name, i in session.execute(select(Source.name, Source.id))}


def _events(session: Session, bundle: Bundle, sources: dict[str, int], counts: ImportCounts) -> None:
    """Events go through the same upsert as ingestion: a changed event keeps its old version."""
    question_ids = {str(uid): int(i) for uid, i in session.execute(select(Question.uid, Question.id))}
    by_source: dict[str, list[EventValues]] = {}
    for e in bundle.events:
        origins = e.link_origins or ("source",) * len(e.questions)
        linked = tuple(
            (question_ids[uid], origin)
            for uid, origin in zip(e.questions, origins, strict=True)
            if uid in question_ids
        )
        values = EventValues(
            e.dedupe_key,
            e.occurred_at,
            e.occurred_at_estimated,
            e.title,
            e.summary,
            e.url,
            e.content_hash,
            e.tags,
            linked,
            e.created_at,
            e.updated_at,
        )
        by_source.setdefault(e.source, []).append(values)
    connection = session.connection()
    for name, values_list in by_source.items():
        stored = upsert_events(connection, sources[name], values_list)
        counts.add("events", new=stored.new, updated=stored.updated, unchanged=stored.unchanged)
    unlinks = [
        ((e.source, e.dedupe_key), question_ids[uid])
        for e in bundle.events
        for uid in e.unlinked
        if uid in question_ids
    ]
    if unlinks:
        ids = event_ids(connection, sources, [ref for ref, _ in unlinks])
        remember_unlinks(connection, [(ids[ref], q) for ref, q in unlinks if ref in ids], utc_now())


def _citations(session: Session, bundle: Bundle, questions: dict[str, int], sources: dict[str, int]) -> None:
    """The events each forecast cites (from the forecast's side or the event's), linked to the
    forecast's question as "cited"; a person's unlink stays. Unknown forecasts or events are skipped."""
    wanted = [
        (f.question_uid, f.forecaster, f.made_at, ref) for f in bundle.forecasts for ref in f.because
    ] + [
        (uid, name, made_at, (e.source, e.dedupe_key))
        for e in bundle.events
        for uid, name, made_at in e.cited_by
    ]
    if not wanted:
        return
    questions = {**_question_ids(session, sorted({w[0] for w in wanted})), **questions}
    wanted = [w for w in wanted if w[0] in questions]
    connection = session.connection()
    events = event_ids(connection, sources, [w[3] for w in wanted])
    forecast_ids: dict[tuple[int, str, datetime], int] = {}
    for chunk in _chunks(sorted({questions[w[0]] for w in wanted})):
        query = (
            select(Forecast.id, Forecast.question_id, Forecaster.name, Forecast.made_at)
            .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
            .where(Forecast.question_id.in_(chunk))
        )
        forecast_ids.update(
            {(q, str(name), made_at): int(i) for i, q, name, made_at in session.execute(query)}
        )
    now = utc_now()
    for uid, name, made_at, ref in wanted:
        question_id = questions[uid]
        forecast_id = forecast_ids.get((question_id, name, made_at))
        if forecast_id is not None and ref in events:
            cite(connection, forecast_id, question_id, [events[ref]], now=now, by_person=False)


def _question_ids(session: Session, uids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(uids), CHUNK):
        query = select(Question.uid, Question.id).where(Question.uid.in_(uids[start : start + CHUNK]))
        found.update({str(uid): int(i) for uid, i in session.execute(query)})
    return found


def _watch_rules(session: Session, uids: list[str]) -> dict[str, str | None]:
    rules_now: dict[str, str | None] = {}
    for start in range(0, len(uids), CHUNK):
        query = select(Question.uid, Question.watch_rule).where(Question.uid.in_(uids[start : start + CHUNK]))
        rules_now.update({str(uid): rule for uid, rule in session.execute(query)})
    return rules_now


def _rewatch(session: Session, questions: dict[str, int], before: dict[str, str | None]) -> None:
    """A question whose watch rule the import set or changed is linked to the stored events it matches."""
    after = _watch_rules(session, sorted(questions))
    connection = session.connection()
    for uid, rule in sorted(after.items()):
        if rule and rule != before.get(uid):
            closes_at = session.scalar(select(Question.closes_at).where(Question.id == questions[uid]))
            node = compile_rule(rule)
            link_matching(connection, questions[uid], node, origin="rule", now=utc_now(), until=closes_at)


def write_bundle(
    session: Session, bundle: Bundle, *, progress: Progress | None = None, only_missing: bool = False
) -> ImportCounts:
    """Upsert everything in ``bundle`` inside the caller's transaction.

    With ``only_missing`` (the demo), rows already stored are left as they are, and a question
    that has any resolution history gets none from the bundle: a user's edits and undos stay.
    """
    counts = ImportCounts()
    rules_before = _watch_rules(session, [q.uid for q in bundle.questions])
    forecasters = _forecasters(session, bundle, counts)
    questions = _questions(session, bundle, counts, only_missing)
    _resolutions(session, bundle, questions, counts, only_missing)
    _forecasts(session, bundle, questions, forecasters, counts, progress, only_missing)
    sources = _sources(session, bundle, counts)
    _events(session, bundle, sources, counts)
    _citations(session, bundle, questions, sources)
    _rewatch(session, questions, rules_before)
    session.flush()
    return counts
