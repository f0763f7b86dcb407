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

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from db.bulk import (
    FORECAST_TABLE,
    ForecastColumnRows,
    QuestionShape,
    indexes_rebuilt_after,
    insert_dicts,
    insert_forecast_columns,
    insert_forecasts,
)
from db.events import EventValues, event_ids, upsert_events
from db.forecast_keys import StoredForecasts, StoredLookup, exact_probabilities, stored_forecasts
from db.links import cite, remember_unlinks
from db.models import Forecast, Forecaster, Question, QuestionTag, Resolution, Source
from db.queries import latest_resolutions
from db.score_pieces import mark_for_rescore
from db.search import link_matching
from db.types import utc_now
from forecasts import rules
from forecasts.errors import Invalid
from forecasts.iso_columns import micros_of
from forecasts.topic_rules import compile_rule
from services.transfer.records import Bundle, ForecastColumns, ForecastRecord, ImportRefused, QuestionRecord

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


def _forecasters(session: Session, bundle: Bundle, counts: ImportCounts) -> dict[str, int]:
    known = {f.name: f for f in session.scalars(select(Forecaster))}
    new = [f for f in bundle.forecasters if f.name not in known]
    if new:
        session.execute(insert(Forecaster), [f._asdict() for f in new])
    counts.add("forecasters", new=len(new), unchanged=len(bundle.forecasters) - len(new))
    return dict(session.execute(select(Forecaster.name, Forecaster.id)).all())


# What a question's forecasts are checked against: fixed once it has forecasts.
SHAPE_FIELDS = ("unit", "range_lower", "range_upper", "lower_open", "upper_open", "log_scale")
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
    *SHAPE_FIELDS,
)


def _stored_questions(
    session: Session, uids: list[str]
) -> dict[str, tuple[int, dict[str, Any], tuple[str, ...]]]:
    """Each stored question among ``uids``: its id, its fields and its sorted tags (Core rows, not
    ORM objects: a re-import compares ten thousand of them)."""
    stored: dict[str, tuple[int, dict[str, Any], tuple[str, ...]]] = {}
    for start in range(0, len(uids), CHUNK):
        chunk = uids[start : start + CHUNK]
        fields = [getattr(Question, name) for name in QUESTION_FIELDS]
        rows = session.execute(
            select(Question.id, Question.uid, *fields).where(Question.uid.in_(chunk))
        ).all()
        tags: dict[int, list[str]] = {}
        ids = [row[0] for row in rows]
        for question_id, tag in session.execute(
            select(QuestionTag.question_id, QuestionTag.tag).where(QuestionTag.question_id.in_(ids))
        ):
            tags.setdefault(question_id, []).append(tag)
        for row in rows:
            values = dict(zip(QUESTION_FIELDS, row[2:], strict=True))
            stored[row[1]] = (row[0], values, tuple(sorted(tags.get(row[0], []))))
    return stored


def _question_values(record: QuestionRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in QUESTION_FIELDS}
    values["options"] = list(record.options) if record.options is not None else None
    return values


def _update_question(session: Session, question_id: int, record: QuestionRecord, now: datetime) -> None:
    question = session.get_one(Question, question_id)
    current = (question.type, question.options)
    wanted = (record.type, list(record.options) if record.options is not None else None)
    if current != wanted and question.forecasts:
        raise ImportRefused(
            f"question {record.uid} ({record.title!r}) is {current[0]} with options "
            f"{current[1]} here but {wanted[0]} with options {wanted[1]} "
            "in the file; "
            "a question's type and options cannot change once it has forecasts. Nothing was imported."
        )
    changed = [name for name in SHAPE_FIELDS if getattr(question, name) != getattr(record, name)]
    if changed and question.forecasts and question.type != "binary":
        raise ImportRefused(
            f"question {record.uid} ({record.title!r}) has a different {', '.join(changed)} here than "
            "in the file; a numeric or date question's unit and range cannot change once it has "
            "forecasts. Nothing was imported."
        )
    for name, value in _question_values(record).items():
        setattr(question, name, value)
    question.tags[:] = list(record.tags)
    question.updated_at = now


def _questions(session: Session, bundle: Bundle, counts: ImportCounts, only_missing: bool) -> dict[str, int]:
    known = _stored_questions(session, [q.uid for q in bundle.questions])
    now = utc_now()
    new_rows, updated = [], 0
    for record in bundle.questions:
        values = _question_values(record)
        stored = known.get(record.uid)
        if stored is None:
            new_rows.append({"uid": record.uid, **values, "updated_at": now})
            continue
        if only_missing:
            continue
        if stored[1] != values or stored[2] != tuple(sorted(record.tags)):
            _update_question(session, stored[0], record, now)
            updated += 1
    insert_dicts(session.connection(), QUESTION_TABLE, new_rows)
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
    insert_dicts(session.connection(), QUESTION_TAG_TABLE, tag_rows)
    session.flush()
    counts.add(
        "questions",
        new=len(new_rows),
        updated=updated,
        unchanged=len(bundle.questions) - len(new_rows) - updated,
    )
    return {**{uid: stored[0] for uid, stored in known.items()}, **ids}


QUESTION_TABLE: Table = Question.__table__  # type: ignore[assignment]  # a mapped class's table is a Table
QUESTION_TAG_TABLE: Table = QuestionTag.__table__  # type: ignore[assignment]
RESOLUTION_TABLE: Table = Resolution.__table__  # type: ignore[assignment]
FORECAST_FIELDS = ("probability", "option_probabilities", "rationale", "origin", "recorded_at", "quantiles")
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


def _shapes(session: Session | Connection, question_ids: list[int]) -> dict[int, QuestionShape]:
    shapes: dict[int, QuestionShape] = {}
    for chunk in _chunks(question_ids):
        query = select(
            Question.id,
            Question.type,
            Question.options,
            *(getattr(Question, name) for name in SHAPE_FIELDS[1:]),
        ).where(Question.id.in_(chunk))
        for i, kind, options, lower, upper, lower_open, upper_open, log_scale in session.execute(query):
            scale = rules.check_range(
                kind, lower, upper, lower_open=lower_open, upper_open=upper_open, log_scale=log_scale
            )
            shapes[int(i)] = QuestionShape(kind, tuple(options) if options else None, scale)
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


def _stored_values(record: ForecastRecord) -> tuple[Any, ...]:
    """The forecast's values in FORECAST_FIELDS order, as the database holds them."""
    options = list(record.option_probabilities) if record.option_probabilities is not None else None
    quantiles = [list(pair) for pair in record.quantiles] if record.quantiles is not None else None
    return (record.probability, options, record.rationale, record.origin, record.recorded_at, quantiles)


def _values(record: ForecastRecord) -> dict[str, Any]:
    return dict(zip(FORECAST_FIELDS, _stored_values(record), strict=True))


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
        values = _stored_values(f)
        found = existing.get(key) if existing else None
        if found is None:
            refused = _refusal(f, settled.get(key[0])) if settled else None
            if refused is None:
                new_rows.append((*key, *values))
            else:
                counts.refused.append(refused)
        elif found[1] != values:
            changed_rows.append({"forecast_id": found[0], "question_id": key[0], **_values(f)})
    return new_rows, changed_rows


def _forecasts(
    session: Session,
    bundle: Bundle,
    questions: dict[str, int],
    forecasters: dict[str, int],
    counts: ImportCounts,
    progress: Progress | None,
    only_missing: bool,
    stored_ahead: StoredLookup | None,
) -> None:
    if isinstance(bundle.forecasts, ForecastColumns):
        columns, ahead = bundle.forecasts, stored_ahead
        _forecast_columns(session, columns, questions, forecasters, counts, progress, only_missing, ahead)
        return
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
    _update_forecasts(connection, changed_rows, total, progress)
    n_unchanged = len(bundle.forecasts) - len(new_rows) - len(changed_rows) - len(counts.refused)
    counts.add("forecasts", new=len(new_rows), updated=len(changed_rows), unchanged=n_unchanged)


def _update_forecasts(
    connection: Connection, changed_rows: list[dict[str, Any]], total: int, progress: Progress | None
) -> None:
    if not changed_rows:
        return
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


def _matches(
    keys: tuple[NDArray[np.int64], ...], stored_keys: tuple[NDArray[np.int64], ...]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Rows of ``keys`` and of ``stored_keys`` (question, forecaster, made at) that are the same key.

    Sorted together, a key on both sides lies next to itself (keys are unique on each side: the
    reader refuses repeats, the table's unique constraint the stored ones).
    """
    n = keys[0].size
    if stored_keys[0].size == 0:  # a first import: nothing to sort against
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    if stored_keys[0].size == n and all(map(np.array_equal, keys, stored_keys)):
        same_order = np.arange(n)  # the file is what was stored, in the order it was stored: a re-import
        return same_order, same_order
    both = [np.concatenate(pair) for pair in zip(keys, stored_keys, strict=True)]
    side = np.r_[np.zeros(n, dtype=np.int8), np.ones(stored_keys[0].size, dtype=np.int8)]
    order = np.lexsort((side, *reversed(both)))
    same = np.ones(max(order.size - 1, 0), dtype=bool)
    for key in both:
        ordered = key[order]
        same &= ordered[1:] == ordered[:-1]
    first = np.flatnonzero(same)
    return order[first], order[first + 1] - n


def _changed(
    connection: Connection,
    forecasts: ForecastColumns,
    rows: NDArray[np.intp],
    stored: StoredForecasts,
    found: NDArray[np.intp],
) -> NDArray[np.bool_]:
    """Which matched rows differ from their stored forecast in any value."""
    rationale = np.asarray(forecasts.rationale, dtype=object)[rows]
    probability = forecasts.probability[rows]
    other = probability != stored.probability[found]  # nan (options stored) differs too
    differs = np.flatnonzero(other)
    if differs.size:  # the bulk read may round a stored value: compare those few exactly
        other[differs] = probability[differs] != exact_probabilities(connection, stored.id[found[differs]])
    changed: NDArray[np.bool_] = (
        other
        | (rationale != stored.rationale[found])
        | (forecasts.origin[rows] != stored.origin[found])  # both codes into FORECAST_ORIGINS
        | (forecasts.recorded_at[rows] != stored.recorded_at[found])
    )
    return changed


def _any_stored(session: Session, question_ids: list[int]) -> bool:
    """Are there stored forecasts on any of these questions (on a first import, none)?"""
    for chunk in _chunks(question_ids):
        if session.scalar(select(Forecast.id).where(Forecast.question_id.in_(chunk)).limit(1)) is not None:
            return True
    return False


def _insert_columns(
    connection: Connection,
    forecasts: ForecastColumns,
    rows: NDArray[np.intp],
    question_id: NDArray[np.int64],
    forecaster_id: NDArray[np.int64],
    more: int,
    progress: Progress | None,
) -> None:
    """Insert these rows of the columns in batches; ``more`` rows follow (for the progress)."""
    shapes = _shapes(connection, np.unique(question_id[rows]).tolist())
    rationale = forecasts.rationale
    with indexes_rebuilt_after(connection, FORECAST_TABLE, rows.size):
        for start in range(0, rows.size, BATCH):
            batch = rows[start : start + BATCH]
            columns = ForecastColumnRows(
                question_id=question_id[batch],
                forecaster_id=forecaster_id[batch],
                made_at=forecasts.made_at[batch],
                probability=forecasts.probability[batch],
                rationale=[rationale[i] for i in batch.tolist()],
                origin=forecasts.origin[batch],
                recorded_at=forecasts.recorded_at[batch],
            )
            insert_forecast_columns(connection, columns, shapes)
            if progress:
                progress(start + batch.size, rows.size + more)


def _forecast_columns(
    session: Session,
    forecasts: ForecastColumns,
    questions: dict[str, int],
    forecasters: dict[str, int],
    counts: ImportCounts,
    progress: Progress | None,
    only_missing: bool,
    stored_ahead: StoredLookup | None,
) -> None:
    """The columnar path of :func:`_forecasts`: keys compared as arrays, new rows inserted as columns."""
    question_id = np.asarray([questions[uid] for uid in forecasts.question_uids], dtype=np.int64)[
        forecasts.question
    ]
    forecaster_id = np.asarray([forecasters[name] for name in forecasts.forecasters], dtype=np.int64)[
        forecasts.forecaster
    ]
    touched = np.unique(question_id).tolist()
    connection = session.connection()
    stored = stored_ahead(touched) if stored_ahead else None
    if stored is None:
        stored = stored_forecasts(connection, touched if _any_stored(session, touched) else [])
    keys = (question_id, forecaster_id, forecasts.made_at)
    rows, found = _matches(keys, (stored.question_id, stored.forecaster_id, stored.made_at))
    is_new = np.ones(len(forecasts), dtype=bool)
    is_new[rows] = False
    changed = _changed(connection, forecasts, rows, stored, found)
    if only_missing:
        changed[:] = False
    settled = _settled_at(session, touched)
    limit = np.full(int(question_id.max(initial=0)) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    for question, when in settled.items():
        limit[question] = micros_of(when)
    late = is_new & (forecasts.made_at > limit[question_id])
    for i in np.flatnonzero(late).tolist():
        counts.refused.append(_refusal(forecasts[i], settled[int(question_id[i])]) or "")
    new = np.flatnonzero(is_new & ~late)
    changed_rows = [
        {"forecast_id": int(stored.id[j]), "question_id": int(question_id[i]), **_values(forecasts[i])}
        for i, j in zip(rows[changed].tolist(), found[changed].tolist(), strict=True)
    ]
    _insert_columns(connection, forecasts, new, question_id, forecaster_id, len(changed_rows), progress)
    _update_forecasts(connection, changed_rows, new.size + len(changed_rows), progress)
    unchanged = len(forecasts) - new.size - len(changed_rows) - int(late.sum())
    counts.add("forecasts", new=int(new.size), updated=len(changed_rows), unchanged=unchanged)


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
    insert_dicts(session.connection(), RESOLUTION_TABLE, new_rows)
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
        values = EventValues(  # stored as ingestion stores an item (forecasts.rules)
            rules.event_key(e.dedupe_key),
            e.occurred_at,
            e.occurred_at_estimated,
            rules.event_title(e.title),
            rules.stored_text(e.summary),
            rules.event_link(e.url),
            rules.event_content_hash(e.content_hash),
            rules.event_tags(e.tags),
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
    citing = [] if isinstance(bundle.forecasts, ForecastColumns) else bundle.forecasts  # columns cite none
    wanted = [(f.question_uid, f.forecaster, f.made_at, ref) for f in citing for ref in f.because] + [
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
    session: Session,
    bundle: Bundle,
    *,
    progress: Progress | None = None,
    only_missing: bool = False,
    stored_ahead: StoredLookup | None = None,
) -> ImportCounts:
    """Upsert everything in ``bundle`` inside the caller's transaction.

    With ``only_missing`` (the demo), rows already stored are left as they are, and a question
    that has any resolution history gets none from the bundle: a user's edits and undos stay.
    ``stored_ahead`` gives the stored forecasts from a copy read while the file was parsed, if
    that copy is still current (see :func:`db.forecast_keys.stored_forecasts_ahead`).
    """
    counts = ImportCounts()
    rules_before = _watch_rules(session, [q.uid for q in bundle.questions])
    forecasters = _forecasters(session, bundle, counts)
    questions = _questions(session, bundle, counts, only_missing)
    _resolutions(session, bundle, questions, counts, only_missing)
    _forecasts(session, bundle, questions, forecasters, counts, progress, only_missing, stored_ahead)
    sources = _sources(session, bundle, counts)
    _events(session, bundle, sources, counts)
    _citations(session, bundle, questions, sources)
    _rewatch(session, questions, rules_before)
    session.flush()
    return counts
