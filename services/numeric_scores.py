"""Scores and calibration of the database's resolved numeric and date questions.

Each question has its own unit (USD, documents, a date), so before pooling, every forecast,
bound and outcome is put on the question's **range axis**: 0 at the lower end of the range, 1
at the upper end (on the log axis for a log-scale question, where the CDF is linear). PIT,
coverage and the log density do not change under that map; CRPS and the interval scores
become shares of the range, which can be averaged over questions (Metaculus scales its
continuous scores by the range for the same reason). A forecast counts when made at or before
the resolution time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from db import Database
from db.models import Forecast, Forecaster, Question
from db.queries import latest_resolutions
from forecasts.quantities import shown_quantiles, shown_value
from forecasts.scoring.numeric_card import NumericCard, NumericTable, RowScores, row_scores, score_numeric
from forecasts.scoring.samples import sample_weights
from services.score_data import with_report_filters
from services.score_report import ReportFilters

RANGE_AXIS = (
    "CRPS and interval scores are shares of each question's range (on the log axis for a "
    "log-scale question), so questions in different units can be averaged"
)

QUESTION_COLUMNS = [
    "question",
    "title",
    "forecaster",
    "forecast",
    "outcome",
    "pit",
    "crps",
    "in_50",
    "in_90",
]


@dataclass(frozen=True)
class NumericReport:
    card: NumericCard  # calibration samples: each forecaster's last forecast per question
    time_averaged: NumericCard  # every forecast, weighted by how long it stood
    questions: pd.DataFrame  # QUESTION_COLUMNS: the last forecasts, one row per forecaster and question
    scale_note: str = RANGE_AXIS


def _query(filters: ReportFilters) -> Select[tuple[object, ...]]:
    latest = latest_resolutions()
    query = (
        select(Question.id, Question.uid, Question.title, Question.type, Question.unit)
        .add_columns(Question.range_lower, Question.range_upper, Question.lower_open, Question.upper_open)
        .add_columns(Question.log_scale, Question.opens_at, Question.closes_at)
        .add_columns(
            latest.c.value, latest.c.resolved_at, Forecaster.name, Forecast.made_at, Forecast.quantiles
        )
        .join(latest, latest.c.question_id == Question.id)
        .join(Forecast, Forecast.question_id == Question.id)
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .where(Question.type.in_(("numeric", "date")), latest.c.outcome == "value")
        .where(Forecast.quantiles.is_not(None), Forecast.made_at <= latest.c.resolved_at)
        .order_by(Question.id, Forecaster.name, Forecast.made_at, Forecast.id)
    )
    if filters.forecasters:
        query = query.where(Forecaster.name.in_(list(filters.forecasters)))
    return with_report_filters(query, latest, filters.tag, filters.resolved_from, filters.resolved_until)


def _epoch(when: datetime | None) -> float:
    return np.nan if when is None else when.timestamp()


def _on_range_axis(values: np.ndarray, lower: np.ndarray, upper: np.ndarray, log: np.ndarray) -> np.ndarray:
    """0 at the range's lower end, 1 at its upper end; logs first on a log-scale question."""
    with np.errstate(divide="ignore", invalid="ignore"):
        axis = np.where(log, np.log(values), values)
        low = np.where(log, np.log(lower), lower)
        high = np.where(log, np.log(upper), upper)
    shifted: np.ndarray = (axis - low) / (high - low)
    return shifted


def _quantile_grid(stated: Sequence[list[list[float]]]) -> tuple[np.ndarray, np.ndarray]:
    """Every level any forecast states (rising), and each forecast's values at them (NaN where it
    leaves one out). Usually every forecast states the same levels: then one array conversion."""
    try:
        grid = np.array(stated, dtype=float)  # (n, k, 2) when every forecast states k levels
    except ValueError:  # forecasts with different numbers of levels
        grid = np.empty(0)
    if grid.ndim == 3 and grid.shape[2] == 2:
        levels = np.round(grid[:, :, 0], 9)
        if bool((levels == levels[0]).all()):
            return levels[0], grid[:, :, 1]
    pairs = [[(round(float(level), 9), float(value)) for level, value in row] for row in stated]
    all_levels = np.array(sorted({level for row in pairs for level, _ in row}))
    values = np.full((len(pairs), all_levels.size), np.nan)
    for i, row in enumerate(pairs):
        values[i, np.searchsorted(all_levels, [level for level, _ in row])] = [value for _, value in row]
    return all_levels, values


def _table(rows: Sequence[Row[Any]]) -> NumericTable:
    levels, values = _quantile_grid([row.quantiles for row in rows])

    def column(name: str, kind: type = float) -> np.ndarray:
        return np.array([getattr(row, name) for row in rows], dtype=kind)

    def times(name: str) -> np.ndarray:
        return np.array([_epoch(getattr(row, name)) for row in rows])

    lower, upper, log = column("range_lower"), column("range_upper"), column("log_scale", bool)
    return NumericTable(
        question=column("uid", str),
        forecaster=column("name", str),
        made_at=times("made_at"),
        levels=levels,
        values=_on_range_axis(values, lower[:, None], upper[:, None], log[:, None]),
        outcome=_on_range_axis(column("value"), lower, upper, log),
        lower=np.where(column("lower_open", bool), np.nan, 0.0),
        upper=np.where(column("upper_open", bool), np.nan, 1.0),
        opens_at=times("opens_at"),
        closes_at=times("closes_at"),
        resolved_at=times("resolved_at"),
    )


def _question_rows(rows: Sequence[Row[Any]], table: NumericTable, scores: RowScores) -> pd.DataFrame:
    """Each forecaster's last forecast on each question, with its PIT, CRPS and interval hits."""
    last = sample_weights(table.question_codes, table.forecaster_codes, table.made_at, "last") > 0
    kept = np.flatnonzero(last).tolist()
    return pd.DataFrame(
        {
            "question": table.question[kept],
            "title": [rows[i].title for i in kept],
            "forecaster": table.forecaster[kept],
            "forecast": [shown_quantiles(rows[i].type, rows[i].quantiles, rows[i].unit) for i in kept],
            "outcome": [shown_value(rows[i].type, rows[i].value, rows[i].unit) for i in kept],
            "pit": scores.pit[kept],
            "crps": scores.crps_quantile[kept],
            "in_50": scores.inside["50"][kept] > 0,
            "in_90": scores.inside["90"][kept] > 0,
        },
        columns=QUESTION_COLUMNS,
    )


def numeric_report(database: Database, filters: ReportFilters | None = None) -> NumericReport | None:
    """The numeric scorecard for ``filters`` (everything by default); None when no resolved numeric
    or date question has a forecast that matches."""
    with database.read_session() as session:
        rows = _rows(session, filters or ReportFilters())
    if not rows:
        return None
    table = _table(rows)
    scores = row_scores(table)  # once: both cards and the per-question table read them
    return NumericReport(
        score_numeric(table, "last", scores),
        score_numeric(table, "time", scores),
        _question_rows(rows, table, scores),
    )


def _rows(session: Session, filters: ReportFilters) -> Sequence[Row[Any]]:
    return session.execute(_query(filters)).all()
