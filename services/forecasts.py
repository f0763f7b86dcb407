"""Forecasts: recording one (from a form, the CLI or a crowd platform) and reading them back.

Every rule comes from :mod:`forecasts.rules`; here they meet the question's
history: no forecast while a question is resolved, none after it closed, none
in the future. A double submit (the same value again within two minutes) is
not a new forecast: the first one is returned, marked ``duplicate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import Database
from db.links import cite
from db.models import AppSetting, Event, Forecast, Forecaster, Question
from db.rules import scale_of
from forecasts import rules
from forecasts.errors import NotFound
from forecasts.quantities import shown_quantiles
from forecasts.scoring.numeric import Quantiles, cdf_of, quantile_at
from services.questions import NewQuestion, create_question_in, current_resolution, load_question, settled_as

# A second identical forecast this soon after the first is a double submit, not an update.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class SavedForecast:
    id: int
    question_id: int
    question_title: str
    forecaster: str
    made_at: datetime
    probability: float | None
    option_probabilities: tuple[float, ...] | None
    duplicate: bool  # a double submit: this is the forecast stored the first time
    because: tuple[int, ...] = ()  # the events it cites
    quantiles: tuple[tuple[float, float], ...] | None = None  # (level, value), numeric and date questions
    question_type: str = "binary"
    unit: str = ""  # numeric questions: what the values are in


@dataclass(frozen=True)
class ForecastInput:
    """A forecast as a person (or a platform) states it; the question and time are checked on save."""

    forecaster: str
    probability: float | None = None
    option_probabilities: Sequence[float] | None = None
    quantiles: Sequence[tuple[float, float]] | None = None  # (level, value) pairs: numeric and date questions
    made_at: datetime | None = None  # None: now
    rationale: str = ""
    origin: str = "manual"
    forecaster_kind: str = "person"
    because: Sequence[int] = ()  # ids of the events that moved it; each becomes linked ("cited")


def forecaster_in(session: Session, name: str, kind: str = "person") -> Forecaster:
    """The forecaster called ``name``, created on first use."""
    clean = rules.check_forecaster_name(name)
    forecaster = session.scalar(select(Forecaster).where(Forecaster.name == clean))
    if forecaster is None:
        forecaster = Forecaster(name=clean, kind=rules.check_forecaster_kind(kind))
        session.add(forecaster)
        session.flush()
    return forecaster


def _saved(forecast: Forecast, duplicate: bool) -> SavedForecast:
    options = forecast.option_probabilities
    return SavedForecast(
        id=forecast.id,
        question_id=forecast.question_id,
        question_title=forecast.question.title,
        forecaster=forecast.forecaster.name,
        made_at=forecast.made_at,
        probability=forecast.probability,
        option_probabilities=tuple(options) if options is not None else None,
        duplicate=duplicate,
        because=tuple(sorted(c.event_id for c in forecast.citations)),
        quantiles=_pairs(forecast.quantiles),
        question_type=forecast.question.type,
        unit=forecast.question.unit,
    )


def _pairs(stored: list[list[float]] | None) -> tuple[tuple[float, float], ...] | None:
    return tuple((float(level), float(value)) for level, value in stored) if stored is not None else None


def _double_submit(
    session: Session,
    question: Question,
    person: Forecaster,
    made_at: datetime,
    values: tuple[object, object, object],
) -> Forecast | None:
    previous = session.scalar(
        select(Forecast)
        .where(Forecast.question_id == question.id, Forecast.forecaster_id == person.id)
        .order_by(Forecast.made_at.desc())
        .limit(1)
    )
    if previous is None or abs(made_at - previous.made_at) > DOUBLE_SUBMIT_WINDOW:
        return None
    options = tuple(previous.option_probabilities or ()) or None
    stored = (previous.probability, options, _pairs(previous.quantiles))
    return previous if stored == values else None


def add_forecast_in(
    session: Session, question_id: int, given: ForecastInput, *, now: datetime | None = None
) -> SavedForecast:
    """Record a forecast inside the caller's transaction."""
    question = load_question(session, question_id)
    current = now or datetime.now(UTC)
    when = rules.check_aware(given.made_at, "made_at") or current
    rules.check_made_at(when, opens_at=question.opens_at, closes_at=question.closes_at, now=current)
    rules.check_open_for_forecasts(settled_as(question))
    probability, values = rules.check_forecast_values(
        question.type, question.options, given.probability, given.option_probabilities
    )
    quantiles = _checked_quantiles(question, given.quantiles)
    person = forecaster_in(session, given.forecaster, given.forecaster_kind)
    earlier = _double_submit(session, question, person, when, (probability, values, quantiles))
    if earlier is not None:
        return _saved(earlier, duplicate=True)
    forecast = Forecast(
        question=question,
        forecaster=person,
        made_at=when,
        probability=probability,
        option_probabilities=list(values) if values is not None else None,
        quantiles=[list(pair) for pair in quantiles] if quantiles is not None else None,
        rationale=given.rationale.strip(),
        origin=rules.check_origin(given.origin),
        recorded_at=current,
    )
    session.add(forecast)
    session.flush()
    if given.because:
        cited = _known_events(session, given.because)
        cite(session.connection(), forecast.id, question.id, cited, now=current)
        session.refresh(forecast, ["citations"])
    return _saved(forecast, duplicate=False)


def _checked_quantiles(
    question: Question, given: Sequence[tuple[float, float]] | None
) -> tuple[tuple[float, float], ...] | None:
    return rules.check_forecast_quantiles(question.type, scale_of(question), given)


def _known_events(session: Session, event_ids: Sequence[int]) -> list[int]:
    wanted = sorted(set(event_ids))
    found = set(session.scalars(select(Event.id).where(Event.id.in_(wanted))))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound("event", missing[0])
    return wanted


def add_forecast(
    database: Database, question_id: int, given: ForecastInput, *, now: datetime | None = None
) -> SavedForecast:
    with database.write_session() as session:
        return add_forecast_in(session, question_id, given, now=now)


def forecast_on_title(
    database: Database, new: NewQuestion, given: ForecastInput, *, now: datetime | None = None
) -> SavedForecast:
    """A forecast on the question titled ``new.title``, creating the question if there is none:
    one transaction, so a refused forecast leaves no empty question behind."""
    with database.write_session() as session:
        title = rules.check_title(new.title)
        question_id = session.scalar(select(Question.id).where(Question.title == title))
        if question_id is None:
            question_id = create_question_in(session, new, now=now).id
        return add_forecast_in(session, question_id, given, now=now)


# --- reading ------------------------------------------------------------------------------


def forecasters(database: Database) -> tuple[list[str], list[str]]:
    """Names of the people and of the crowds, each sorted."""
    with database.read_session() as session:
        rows = session.execute(select(Forecaster.name, Forecaster.kind).order_by(Forecaster.name)).all()
    return [n for n, kind in rows if kind == "person"], [n for n, kind in rows if kind == "crowd"]


def latest_forecasts(database: Database, question_id: int, limit: int = 50) -> pd.DataFrame:
    """The newest forecasts on a question, newest first.

    Columns: forecaster, made_at, probability, option_probabilities, quantiles ([[level, value],
    ...] on numeric and date questions), rationale, recorded_at.
    """
    with database.read_session() as session:
        load_question(session, question_id)
        rows = session.execute(
            select(
                Forecaster.name,
                Forecast.made_at,
                Forecast.probability,
                Forecast.option_probabilities,
                Forecast.quantiles,
                Forecast.rationale,
                Forecast.recorded_at,
            )
            .join(Forecaster)
            .where(Forecast.question_id == question_id)
            .order_by(Forecast.made_at.desc())
            .limit(limit)
        ).all()
    columns = [
        "forecaster",
        "made_at",
        "probability",
        "option_probabilities",
        "quantiles",
        "rationale",
        "recorded_at",
    ]
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _drawn_until(question: Question, now: datetime) -> datetime:
    """Where a question's step lines stop: its resolution, its close, or now, whichever is first."""
    resolution = current_resolution(question)
    ends = [t for t in (question.closes_at, resolution.resolved_at if resolution else None) if t]
    return min([now, *ends])


def _extend_to_end(frame: pd.DataFrame, series: list[str], ends: dict[int, datetime]) -> pd.DataFrame:
    """Add a closing point per series at its question's end, so the last value is drawn until then."""
    last = frame.groupby(series, as_index=False).last()
    end = pd.to_datetime(last["question_id"].map(ends), utc=True)
    last = last.assign(made_at=end, closing=True)[end > last["made_at"]]
    frame = frame.assign(closing=False)
    return pd.concat([frame, last], ignore_index=True).sort_values([*series, "made_at"])


def trajectories(database: Database, question_ids: Sequence[int], now: datetime) -> pd.DataFrame:
    """Yes/no forecasts as step lines: one row per forecast, plus a closing point per forecaster at
    the question's end (resolution, close or now; ``closing`` is true), so the last value is drawn
    until then. Columns: question_id, question, forecaster, kind, made_at, probability, forecast_id,
    rationale, closing."""
    with database.read_session() as session:
        rows = session.execute(
            select(
                Question.id,
                Question.title,
                Forecaster.name,
                Forecaster.kind,
                Forecast.made_at,
                Forecast.probability,
                Forecast.id,
                Forecast.rationale,
            )
            .join(Forecast, Forecast.question_id == Question.id)
            .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
            .where(Question.id.in_(list(question_ids)), Forecast.probability.is_not(None))
            .order_by(Question.id, Forecaster.name, Forecast.made_at)
        ).all()
        frame = pd.DataFrame(
            [tuple(row) for row in rows],
            columns=[
                "question_id", "question", "forecaster", "kind", "made_at", "probability", "forecast_id",
                "rationale",
            ],
        )  # fmt: skip
        ends = {
            int(q): _drawn_until(load_question(session, int(q)), now) for q in frame["question_id"].unique()
        }
    if frame.empty:
        return frame
    frame["made_at"] = pd.to_datetime(frame["made_at"], utc=True)
    return _extend_to_end(frame, ["question_id", "forecaster"], ends)


FAN_LEVELS = {"q05": 0.05, "q25": 0.25, "q50": 0.5, "q75": 0.75, "q95": 0.95}


def quantile_trajectories(database: Database, question_id: int, now: datetime) -> pd.DataFrame:
    """A numeric or date question's history for its fan chart: one row per forecast with its
    5, 25, 50, 75 and 95 % quantiles read off the forecast's CDF (so a forecast that states only
    a median and a 90 % interval still has quartiles: interpolated, with the tails to the range),
    plus a closing point per forecaster at the question's end. Columns: forecaster, kind, made_at,
    q05 … q95, stated (the quantiles as given, as text), forecast_id, rationale, closing."""
    with database.read_session() as session:
        question = load_question(session, question_id)
        scale = scale_of(question)
        rows = session.execute(
            select(
                Forecaster.name,
                Forecaster.kind,
                Forecast.made_at,
                Forecast.quantiles,
                Forecast.id,
                Forecast.rationale,
            )
            .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
            .where(Forecast.question_id == question_id, Forecast.quantiles.is_not(None))
            .order_by(Forecaster.name, Forecast.made_at)
        ).all()
        ends = {question_id: _drawn_until(question, now)}
        unit, question_type = question.unit, question.type
    if scale is None or not rows:
        return pd.DataFrame()
    records = []
    for name, kind, made_at, stored, forecast_id, rationale in rows:
        pairs = stored or []  # the query kept only forecasts with quantiles
        forecast = Quantiles(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
        read = quantile_at(cdf_of(forecast, scale), list(FAN_LEVELS.values()))
        stated = shown_quantiles(question_type, pairs, unit)
        records.append(
            {"question_id": question_id, "forecaster": name, "kind": kind, "made_at": made_at}
            | dict(zip(FAN_LEVELS, read.tolist(), strict=True))
            | {"stated": stated, "forecast_id": forecast_id, "rationale": rationale}
        )
    frame = pd.DataFrame(records)
    frame["made_at"] = pd.to_datetime(frame["made_at"], utc=True)
    return _extend_to_end(frame, ["question_id", "forecaster"], ends)


def option_trajectories(database: Database, question_id: int, now: datetime) -> pd.DataFrame:
    """A multiple-choice question's history: one row per forecast and option, as step lines."""
    with database.read_session() as session:
        question = load_question(session, question_id)
        options = list(question.options or [])
        rows = session.execute(
            select(Forecaster.name, Forecaster.kind, Forecast.made_at, Forecast.option_probabilities)
            .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
            .where(Forecast.question_id == question_id, Forecast.option_probabilities.is_not(None))
            .order_by(Forecaster.name, Forecast.made_at)
        ).all()
        ends = {question_id: _drawn_until(question, now)}
    frame = pd.DataFrame(
        [
            (question_id, name, kind, made_at, option, float(p))
            for name, kind, made_at, probabilities in rows
            for option, p in zip(options, probabilities or [], strict=False)
        ],
        columns=["question_id", "forecaster", "kind", "made_at", "option", "probability"],
    )
    if frame.empty:
        return frame
    frame["made_at"] = pd.to_datetime(frame["made_at"], utc=True)
    return _extend_to_end(frame, ["question_id", "forecaster", "option"], ends)


DEFAULT_FORECASTER_SETTING = "default_forecaster"
SUGGESTED_NAME = "me"  # offered on first use, as Fatebook's and PredictionBook's imports name you


def default_forecaster(database: Database) -> str | None:
    """The name the forms fill in: the one last saved with, kept in the database's settings."""
    with database.read_session() as session:
        setting = session.get(AppSetting, DEFAULT_FORECASTER_SETTING)
        return setting.value if setting is not None else None


def remember_forecaster(database: Database, name: str) -> str:
    """Keep ``name`` (checked as a forecaster's name) as the forms' default; returns it as stored."""
    clean = rules.check_forecaster_name(name)
    with database.write_session() as session:
        setting = session.get(AppSetting, DEFAULT_FORECASTER_SETTING)
        if setting is None:
            session.add(AppSetting(key=DEFAULT_FORECASTER_SETTING, value=clean))
        else:
            setting.value = clean
    return clean


def latest_person(database: Database) -> str | None:
    """The person who made the most recent forecast (who the dashboard greets by default)."""
    query = (
        select(Forecaster.name)
        .join(Forecast, Forecast.forecaster_id == Forecaster.id)
        .where(Forecaster.kind == "person")
        .order_by(Forecast.made_at.desc())
        .limit(1)
    )
    with database.read_session() as session:
        return session.scalar(query)
