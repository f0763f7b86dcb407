"""Storage of the kept score pieces: which questions changed since they were computed, and the pieces.

A question needs new pieces when a forecast or resolution was added to it
(ids only grow, so "newer than the newest id seen" finds them through the
primary key), when it was edited (its ``updated_at`` differs from the one
its pieces were computed at), or when something marked it
(:func:`mark_for_rescore`, for forecasts changed in place). Rows deleted (a
question with its forecasts, or kept pieces) make a count fall short: then
everything is rescored. Pieces of a deleted question go with it (foreign key,
on delete cascade).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from db.models import Forecast, Question, Resolution, ScoreMark, ScorePiece, ScoreState
from db.types import utc_now

DEFAULT_KEY = "default"
CHUNK = 5_000  # question ids per IN (...)


@dataclass(frozen=True)
class Watermarks:
    forecast: tuple[int, int]  # (newest id, row count)
    resolution: tuple[int, int]
    mark: tuple[int, int]


_TABLES: dict[str, type[Forecast] | type[Resolution] | type[ScoreMark]] = {
    "forecast": Forecast,
    "resolution": Resolution,
    "mark": ScoreMark,
}


def current_watermarks(connection: Connection) -> Watermarks:
    """Read before the data they describe, so a row added meanwhile is rescored again, never missed."""
    marks = {}
    for name, table in _TABLES.items():
        newest, count = connection.execute(
            select(func.coalesce(func.max(table.id), 0), func.count()).select_from(table)
        ).one()
        marks[name] = (int(newest), int(count))
    return Watermarks(marks["forecast"], marks["resolution"], marks["mark"])


def kept_watermarks(connection: Connection, scorer_version: str) -> Watermarks | None:
    """How far the kept pieces have read (None: none kept, kept by another scorer version, or some
    of them gone since)."""
    state = connection.execute(select(ScoreState).where(ScoreState.key == DEFAULT_KEY)).first()
    if state is None or state.scorer_version != scorer_version:
        return None
    if connection.scalar(select(func.count()).select_from(ScorePiece)) != state.piece_count:
        return None  # rows deleted by hand, or a question deleted: rescore everything
    return Watermarks(
        (state.forecast_id, state.forecast_count),
        (state.resolution_id, state.resolution_count),
        (state.mark_id, state.mark_count),
    )


def changed_questions(connection: Connection, since: Watermarks, now: Watermarks) -> set[int] | None:
    """The questions whose pieces are out of date since ``since`` (``now``: the current watermarks,
    read in the same transaction); None when the counts do not add up (rows deleted, or committed
    late under an older id): then rescore everything."""
    changed: set[int] = set()
    for name, table in _TABLES.items():
        newest, count = getattr(since, name)
        newer = table.id > newest
        n_new = connection.scalar(select(func.count()).select_from(table).where(newer))
        if getattr(now, name)[1] != count + n_new:
            return None
        changed |= set(connection.scalars(select(table.question_id).where(newer).distinct()))
    edited = (
        select(ScorePiece.question_id)
        .join(Question, Question.id == ScorePiece.question_id)
        .where(Question.updated_at != ScorePiece.question_updated_at)
    )
    return changed | set(connection.scalars(edited))


def edit_times(connection: Connection, question_ids: Iterable[int] | None) -> dict[int, datetime]:
    """Each question's ``updated_at`` (of these questions; None: of all), to keep with its pieces."""
    query = select(Question.id, Question.updated_at)
    if question_ids is None:
        return {int(q): when for q, when in connection.execute(query)}
    ids, found = sorted(set(question_ids)), {}
    for start in range(0, len(ids), CHUNK):
        chunk = query.where(Question.id.in_(ids[start : start + CHUNK]))
        found.update({int(q): when for q, when in connection.execute(chunk)})
    return found


@dataclass(frozen=True)
class Kept:
    """What is kept for one question: its pairs' records, its notable updates, and its edit time then."""

    records: bytes
    steps: bytes
    question_updated_at: datetime


def read_pieces(connection: Connection, *, leaving_out: Iterable[int] = ()) -> tuple[bytes, bytes]:
    """Every kept question's records and steps, each joined in question order (``leaving_out`` some)."""
    skipped = set(leaving_out)
    query = select(ScorePiece.question_id, ScorePiece.records, ScorePiece.steps)
    records, steps = [], []
    for question_id, kept_records, kept_steps in connection.execute(query.order_by(ScorePiece.question_id)):
        if question_id not in skipped:
            records.append(bytes(kept_records))
            steps.append(bytes(kept_steps))
    return b"".join(records), b"".join(steps)


def store_pieces(
    connection: Connection,
    records: Mapping[int, Kept],
    *,
    replacing: Iterable[int] | None,
    marks: Watermarks,
    scorer_version: str,
) -> None:
    """Keep ``records`` (by question id) in place of the pieces of ``replacing`` (None: of every
    question), and the watermarks they were read at."""
    if replacing is None:
        connection.execute(delete(ScorePiece))
    else:
        ids = sorted(set(replacing))
        for start in range(0, len(ids), CHUNK):
            connection.execute(
                delete(ScorePiece).where(ScorePiece.question_id.in_(ids[start : start + CHUNK]))
            )
    rows = [
        {
            "question_id": q,
            "records": k.records,
            "steps": k.steps,
            "question_updated_at": k.question_updated_at,
        }
        for q, k in records.items()
    ]
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(ScorePiece), rows[start : start + CHUNK])
    connection.execute(delete(ScoreState).where(ScoreState.key == DEFAULT_KEY))
    n_pieces = connection.scalar(select(func.count()).select_from(ScorePiece))
    connection.execute(
        insert(ScoreState).values(
            piece_count=n_pieces,
            key=DEFAULT_KEY,
            scorer_version=scorer_version,
            forecast_id=marks.forecast[0],
            forecast_count=marks.forecast[1],
            resolution_id=marks.resolution[0],
            resolution_count=marks.resolution[1],
            mark_id=marks.mark[0],
            mark_count=marks.mark[1],
            computed_at=utc_now(),
        )
    )


def mark_for_rescore(connection: Connection, question_ids: Iterable[int]) -> None:
    """These questions' stored forecasts changed in place: their pieces must be recomputed."""
    now = utc_now()
    rows = [{"question_id": q, "marked_at": now} for q in sorted(set(question_ids))]
    if rows:
        connection.execute(insert(ScoreMark), rows)
