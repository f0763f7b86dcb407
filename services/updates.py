"""The updates behind "How you update": each step a forecaster took on a resolved yes/no question,
what it gained, the events it cited, and how forecasts moved in the week after each event.

A step is a forecast that changed its forecaster's previous value on the question; its gain is
(previous − y)² − (new − y)², the Brier score (0–1 scale) it won: positive moved toward what
happened (:mod:`forecasts.scoring.updating` has the definitions).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import Database
from db.expressions import epoch_seconds
from db.models import Event, EventQuestion, Forecast, Forecaster, ForecastEvent, Question
from forecasts.scoring.pieces import Steps, all_steps
from services.score_data import resolved_binary_table

STEP_COLUMNS = [
    "forecast_id",
    "question_id",
    "title",
    "forecaster",
    "made_at",
    "previous",
    "probability",
    "outcome",
]
WEEK = pd.Timedelta(days=7)
CHUNK = 5_000  # question ids per IN (...)


def steps_frame(session: Session, steps: Steps, names: Mapping[int, str]) -> pd.DataFrame:
    """Updates as a table (STEP_COLUMNS and gain), each with its forecast's id and its question's title."""
    ids = sorted(set(steps.question.tolist()))
    found: dict[tuple[int, int, float], tuple[int, str]] = {}
    made_at = epoch_seconds(Forecast.made_at)
    for start in range(0, len(ids), CHUNK):
        query = (
            select(Forecast.question_id, Forecast.forecaster_id, made_at, Forecast.id, Question.title)
            .join(Question, Question.id == Forecast.question_id)
            .where(Forecast.question_id.in_(ids[start : start + CHUNK]))
        )
        for q, f, t, forecast_id, title in session.execute(query):
            found[(int(q), int(f), float(t))] = (int(forecast_id), str(title))
    rows = []
    for q, f, t, before, after, y, gain in zip(
        steps.question.tolist(), steps.forecaster.tolist(), steps.made_at.tolist(), steps.previous.tolist(),
        steps.probability.tolist(), steps.outcome.tolist(), steps.gain.tolist(), strict=True,
    ):  # fmt: skip
        forecast_id, title = found.get((q, f, t), (-1, ""))
        rows.append((forecast_id, q, title, names[f], t, before, after, y, gain))
    frame = pd.DataFrame(rows, columns=[*STEP_COLUMNS, "gain"])
    frame["made_at"] = pd.to_datetime(frame["made_at"], unit="s", utc=True).dt.as_unit("us")
    return frame


def update_steps(database: Database, *, linked_only: bool = False) -> pd.DataFrame:
    """Every step that changed a value, on resolved, non-annulled yes/no questions, with its gain
    (``linked_only``: on questions some event is linked to, what :func:`event_moves` needs)."""
    with database.read_session() as session:
        table = resolved_binary_table(session, linked_only=linked_only)
        names = {int(i): str(name) for i, name in session.execute(select(Forecaster.id, Forecaster.name))}
        return steps_frame(session, all_steps(table), names)


def cited_titles(database: Database, forecast_ids: list[int]) -> dict[int, list[str]]:
    """The titles of the events each of these forecasts cites."""
    if not forecast_ids:
        return {}
    query = (
        select(ForecastEvent.forecast_id, Event.title)
        .join(Event, Event.id == ForecastEvent.event_id)
        .where(ForecastEvent.forecast_id.in_(forecast_ids))
        .order_by(Event.occurred_at)
    )
    cited: dict[int, list[str]] = {}
    with database.read_session() as session:
        for forecast_id, title in session.execute(query):
            cited.setdefault(int(forecast_id), []).append(str(title))
    return cited


def notable_updates(
    database: Database, notable: pd.DataFrame, n: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` updates that gained most and the ``n`` that lost most, each with what it cited.

    ``notable`` is the report's (:attr:`services.score_report.CalibrationReport.notable`), kept
    with the scores, or :func:`notable_of` of a steps table."""
    best = notable[notable["kind"] == "best"].nlargest(n, "gain")
    worst = notable[notable["kind"] == "worst"].nsmallest(n, "gain")
    cited = cited_titles(database, [int(i) for i in pd.concat([best, worst])["forecast_id"]])
    return tuple(  # type: ignore[return-value]
        part.assign(because=[" · ".join(cited.get(int(i), [])) for i in part["forecast_id"]])
        for part in (best, worst)
    )


def notable_of(steps: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """A steps table's best and worst updates, in the report's ``notable`` shape."""
    return pd.concat(
        [steps.nlargest(n, "gain").assign(kind="best"), steps.nsmallest(n, "gain").assign(kind="worst")]
    )


def event_moves(database: Database, steps: pd.DataFrame) -> pd.DataFrame:
    """Per event linked to a resolved yes/no question: the steps on that question in the week after it
    (forecasts, how far they moved in all, and the share that moved toward the outcome)."""
    query = (
        select(Event.id, Event.title, Event.occurred_at, EventQuestion.question_id, Question.title)
        .join(EventQuestion, EventQuestion.event_id == Event.id)
        .join(Question, Question.id == EventQuestion.question_id)
    )
    with database.read_session() as session:
        links = pd.DataFrame(
            [tuple(r) for r in session.execute(query)],
            columns=["event_id", "event", "occurred_at", "question_id", "question"],
        )
    columns = ["event", "occurred_at", "question", "steps", "moved", "toward_outcome"]
    if links.empty or steps.empty:
        return pd.DataFrame(columns=columns)
    links["occurred_at"] = pd.to_datetime(links["occurred_at"], utc=True)
    joined = links.merge(
        steps[["question_id", "made_at", "previous", "probability", "gain"]], on="question_id"
    )
    after = joined[
        (joined["made_at"] > joined["occurred_at"]) & (joined["made_at"] <= joined["occurred_at"] + WEEK)
    ]
    after = after.assign(moved=(after["probability"] - after["previous"]).abs(), toward=after["gain"] > 0)
    grouped = after.groupby(["event_id", "event", "occurred_at", "question"], as_index=False).agg(
        steps=("moved", "size"), moved=("moved", "sum"), toward_outcome=("toward", "mean")
    )
    return grouped[columns].sort_values("moved", ascending=False).reset_index(drop=True)
