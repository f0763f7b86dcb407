"""From the database to a :class:`ForecastTable`: the resolved yes/no forecasts to score.

Only binary questions whose latest resolution is yes or no count; annulled
and unresolved questions are left out here, so they are excluded from every
score and calibration chart built on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Forecast, Forecaster, Question, QuestionTag
from forecasts.questions import latest_resolutions
from forecasts.scoring.scorecard import ForecastTable


def _seconds(values: Sequence[datetime | None]) -> np.ndarray:
    return np.array([v.timestamp() if v is not None else np.nan for v in values], dtype=np.float64)


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
            Forecast.made_at,
            Forecast.probability,
            latest.c.outcome,
            Question.opens_at,
            Question.closes_at,
            latest.c.resolved_at,
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
    rows = session.execute(query).all()
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
