"""The updates behind "How you update": each step a forecaster took on a resolved yes/no question,
what it gained, the events it cited, and how forecasts moved in the week after each event.

A step is a forecast that changed its forecaster's previous value on the question; its gain is
(previous − y)² − (new − y)², the Brier score (0–1 scale) it won: positive moved toward what
happened (:mod:`forecasts.scoring.updating` has the definitions).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, func, select

from db import Database
from db.models import Event, EventQuestion, Forecast, Forecaster, ForecastEvent, Question
from db.queries import latest_resolutions

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


def update_steps(database: Database, *, linked_only: bool = False) -> pd.DataFrame:
    """Every step that changed a value, on resolved, non-annulled yes/no questions, with its gain
    (``linked_only``: on questions some event is linked to, what :func:`event_moves` needs)."""
    latest = latest_resolutions()
    outcome = case((latest.c.outcome == "yes", 1.0), else_=0.0)
    previous = func.lag(Forecast.probability).over(
        partition_by=(Forecast.question_id, Forecast.forecaster_id), order_by=Forecast.made_at
    )
    query = (
        select(
            Forecast.id, Question.id, Question.title, Forecaster.name, Forecast.made_at,
            previous, Forecast.probability, outcome,
        )
        .join(Question, Question.id == Forecast.question_id)
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .join(latest, latest.c.question_id == Question.id)
        .where(latest.c.outcome.in_(("yes", "no")), Question.type == "binary")
        .where(Forecast.probability.is_not(None))
    )  # fmt: skip
    if linked_only:
        query = query.where(Forecast.question_id.in_(select(EventQuestion.question_id)))
    with database.read_session() as session:
        frame = pd.DataFrame([tuple(r) for r in session.execute(query)], columns=STEP_COLUMNS)
    frame = frame[frame["previous"].notna() & (frame["previous"] != frame["probability"])].copy()
    frame["made_at"] = pd.to_datetime(frame["made_at"], utc=True)
    y = frame["outcome"]
    frame["gain"] = (frame["previous"] - y) ** 2 - (frame["probability"] - y) ** 2
    return frame.reset_index(drop=True)


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
