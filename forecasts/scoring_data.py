"""From the database to a :class:`ForecastTable`: the resolved yes/no forecasts to score.

Only binary questions whose latest resolution is yes or no count; annulled
and unresolved questions are left out here, so they are excluded from every
score and calibration chart built on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from db.models import Forecast, Forecaster, Question, QuestionTag
from forecasts.questions import latest_resolutions
from forecasts.scoring.scorecard import ForecastTable


def _seconds(values: Sequence[str | None]) -> np.ndarray:
    """Stored UTC timestamps, read as text, to seconds since the epoch (nan where missing).

    Reading timestamps as text and parsing them in numpy is several times faster
    than building a timezone-aware datetime per row, which matters at a million rows.
    """
    stamps = np.array(["NaT" if v is None else v for v in values], dtype="datetime64[us]")
    seconds = stamps.astype("int64").astype(np.float64) / 1e6
    seconds[np.isnat(stamps)] = np.nan
    return seconds


def resolved_binary_table(
    session: Session,
    *,
    forecasters: Sequence[str] | None = None,
    tag: str | None = None,
    resolved_from: datetime | None = None,
    resolved_until: datetime | None = None,
) -> ForecastTable:
    latest = latest_resolutions()
    query = (
        select(
            Question.uid,
            Forecaster.name,
            cast(Forecast.made_at, String),
            Forecast.probability,
            latest.c.outcome,
            cast(Question.opens_at, String),
            cast(Question.closes_at, String),
            cast(latest.c.resolved_at, String),
        )
        .join(Question, Question.id == Forecast.question_id)
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .join(latest, latest.c.question_id == Question.id)
        .where(Question.type == "binary", latest.c.outcome.in_(("yes", "no")))
        .order_by(Question.id, Forecaster.name, Forecast.made_at)
    )
    if forecasters:
        query = query.where(Forecaster.name.in_(list(forecasters)))
    if tag:
        query = query.where(Question.id.in_(select(QuestionTag.question_id).where(QuestionTag.tag == tag)))
    if resolved_from is not None:
        query = query.where(latest.c.resolved_at >= resolved_from)
    if resolved_until is not None:
        query = query.where(latest.c.resolved_at < resolved_until)
    # Core, not ORM, execution: plain tuples, no per-row entity loading.
    rows = session.connection().execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(8)]
    return ForecastTable(
        question=np.asarray(columns[0], dtype=str),
        forecaster=np.asarray(columns[1], dtype=str),
        made_at=_seconds(columns[2]),
        probability=np.asarray(columns[3], dtype=np.float64),
        outcome=np.asarray([1.0 if o == "yes" else 0.0 for o in columns[4]], dtype=np.float64),
        opens_at=_seconds(columns[5]),
        closes_at=_seconds(columns[6]),
        resolved_at=_seconds(columns[7]),
    )
