"""Query pieces several services build on, written once."""

from __future__ import annotations

from sqlalchemy import Subquery, func, select

from db.models import Resolution


def latest_resolutions() -> Subquery:
    """One row per question: its latest resolution (append-only; the latest row wins).

    An ``unresolved`` row (an undo) is the latest row of a reopened question, so
    callers that want settled questions filter on ``outcome``.
    """
    ranked = select(
        Resolution.question_id,
        Resolution.outcome,
        Resolution.option,
        Resolution.value,
        Resolution.resolved_at,
        func.row_number()
        .over(
            partition_by=Resolution.question_id,
            order_by=(Resolution.recorded_at.desc(), Resolution.id.desc()),
        )
        .label("rank"),
    ).subquery()
    return select(ranked).where(ranked.c.rank == 1).subquery()
