"""Resolving a question, and undoing it: resolutions are append-only, the latest row wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from db import Database
from db.models import Forecast, Question, Resolution
from db.rules import scale_of
from forecasts import rules
from forecasts.errors import Invalid
from forecasts.scoring.numeric import NumericRange, Quantiles, cdf_at, cdf_of, crps_quantile
from services.questions import load_question, settled_as, shown_outcome


@dataclass(frozen=True)
class RecordedResolution:
    question_id: int
    outcome: str  # yes | no | option | value | annulled | unresolved (an undo)
    option: str | None
    resolved_at: datetime | None
    recorded_at: datetime
    note: str
    value: float | None = None  # numeric and date questions (a date in seconds since 1970)
    shown: str = ""  # what it resolved to, as read: yes, the option's name, 56.82 USD, 2017-03-18


def _recorded(row: Resolution) -> RecordedResolution:
    question = row.question
    shown = shown_outcome(question.type, question.unit, row.outcome, row.option, row.value)
    return RecordedResolution(
        row.question_id, row.outcome, row.option, row.resolved_at, row.recorded_at, row.note, row.value, shown
    )


def _checked_outcome(
    question: Question, outcome: str, option: str | None, value: float | None
) -> float | None:
    """The rules ``resolve`` and ``preview`` share; the value, when the outcome is one."""
    if outcome == "unresolved":
        raise Invalid("outcome", "to reopen a question, undo its resolution")
    given_value = value if outcome == "value" else None
    chosen = option if outcome == "option" else None
    rules.check_outcome(question.type, question.options, outcome, chosen, given_value, scale_of(question))
    return given_value


def resolve_in(
    session: Session,
    question_id: int,
    *,
    outcome: str,
    resolved_at: datetime,
    option: str | None = None,
    value: float | None = None,
    note: str = "",
    source: str = "manual",
    now: datetime | None = None,
) -> RecordedResolution:
    """Resolve yes / no / option / value / annulled inside the caller's transaction; ``resolved_at``
    is when the world settled it."""
    question = load_question(session, question_id)
    current = now or datetime.now(UTC)
    given_value = _checked_outcome(question, outcome, option, value)
    rules.check_resolved_at(resolved_at, outcome, opens_at=question.opens_at, now=current)
    rules.check_can_resolve(settled_as(question))
    resolution = Resolution(
        question=question,
        outcome=outcome,
        option=option if outcome == "option" else None,
        value=given_value,
        resolved_at=resolved_at,
        recorded_at=current,
        note=note.strip(),
        source=source,
    )
    session.add(resolution)
    session.flush()
    return _recorded(resolution)


def resolve(
    database: Database,
    question_id: int,
    *,
    outcome: str,
    resolved_at: datetime,
    option: str | None = None,
    value: float | None = None,
    note: str = "",
    now: datetime | None = None,
) -> RecordedResolution:
    with database.write_session() as session:
        return resolve_in(
            session,
            question_id,
            outcome=outcome,
            resolved_at=resolved_at,
            option=option,
            value=value,
            note=note,
            now=now,
        )


def undo(
    database: Database, question_id: int, *, note: str = "", now: datetime | None = None
) -> RecordedResolution:
    """Reopen a resolved question by appending an "unresolved" row; history is kept."""
    with database.write_session() as session:
        question = load_question(session, question_id)
        rules.check_can_undo(settled_as(question))
        row = Resolution(
            question=question,
            outcome="unresolved",
            recorded_at=now or datetime.now(UTC),
            note=note.strip() or "undo",
        )
        session.add(row)
        session.flush()
        return _recorded(row)


@dataclass(frozen=True)
class ScoredForecaster:
    """One forecaster's standing on the question once resolved: their last forecast before the
    settlement, the probability it gave the outcome, and (yes/no) its Brier score."""

    forecaster: str
    made_at: datetime
    probability: float  # numeric and date questions: F(value), where the value fell in the forecast
    brier: float | None
    crps: float | None = None  # numeric and date questions: of the quantiles, as scoringrules'


@dataclass(frozen=True)
class ResolutionPreview:
    """What resolving would do, for a person to confirm: checked by the same rules as ``resolve``."""

    shown: str  # the outcome as a person reads it: yes / no / annulled / the option
    resolved_at: datetime
    scored: list[ScoredForecaster]  # empty when annulled: nothing on it is scored
    n_counted: int  # forecasts made at or before the settlement
    n_later: int  # forecasts made after it: never scored


def preview(
    database: Database,
    question_id: int,
    *,
    outcome: str,
    resolved_at: datetime,
    option: str | None = None,
    value: float | None = None,
    now: datetime | None = None,
) -> ResolutionPreview:
    """What ``resolve`` with these values would score, without writing; raises as it would."""
    with database.read_session() as session:
        question = load_question(session, question_id)
        given_value = _checked_outcome(question, outcome, option, value)
        scale = scale_of(question)
        rules.check_resolved_at(
            resolved_at, outcome, opens_at=question.opens_at, now=now or datetime.now(UTC)
        )
        rules.check_can_resolve(settled_as(question))
        counted = sorted((f for f in question.forecasts if f.made_at <= resolved_at), key=lambda f: f.made_at)
        last = {f.forecaster.name: f for f in counted}
        scored = (
            []
            if outcome == "annulled"
            else [
                _scored_value(name, f, scale, given_value)
                if scale is not None and given_value is not None
                else _scored(name, f, question.type, question.options, outcome, option)
                for name, f in sorted(last.items())
            ]
        )
        shown = shown_outcome(question.type, question.unit, outcome, option, given_value)
        n_later = len(question.forecasts) - len(counted)
    return ResolutionPreview(shown, resolved_at, scored, len(counted), n_later)


def _scored_value(name: str, forecast: Forecast, scale: NumericRange, value: float) -> ScoredForecaster:
    pairs = forecast.quantiles or []
    quantiles = Quantiles(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
    pit = float(cdf_at(cdf_of(quantiles, scale), value))
    return ScoredForecaster(name, forecast.made_at, pit, None, crps_quantile(quantiles, value))


def _scored(
    name: str,
    forecast: Forecast,
    question_type: str,
    options: list[str] | None,
    outcome: str,
    option: str | None,
) -> ScoredForecaster:
    if question_type == "binary":
        p_yes = float(forecast.probability or 0.0)
        happened = 1.0 if outcome == "yes" else 0.0
        p = p_yes if happened else 1.0 - p_yes
        return ScoredForecaster(name, forecast.made_at, p, (p_yes - happened) ** 2)
    chosen = list(options or []).index(option or "")
    return ScoredForecaster(
        name, forecast.made_at, float((forecast.option_probabilities or [])[chosen]), None
    )
