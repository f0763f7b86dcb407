"""The row rules, enforced before every flush: the last check before the CHECK constraints.

Every rule is defined (and worded) once, in :mod:`forecasts.rules`; this module
applies the ones that concern a single stored row and the rows it refers to (a
forecast against its question's options, a resolution against its question's
type) and re-raises a failure as :class:`db.errors.InvalidRow` naming the table.
Product policy that needs more context ("no forecast after a question closes")
is applied by the services, which know the time and the question's history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from db.errors import InvalidRow
from db.models import Forecast, Forecaster, Question, Resolution
from forecasts import rules
from forecasts.errors import Invalid
from forecasts.scoring.numeric import NumericRange


def _value(row: Any, name: str) -> Any:
    """The attribute, or the column's scalar default that the INSERT will apply."""
    value = getattr(row, name)
    if value is None:
        default = row.__table__.c[name].default
        if default is not None and default.is_scalar:
            return default.arg
    return value


def _as_row(table: str, check: Callable[[], object]) -> None:
    try:
        check()
    except Invalid as error:
        raise InvalidRow.from_invalid(table, error) from None


def check_question(question: Question) -> None:
    question_type = _value(question, "type")

    def checks() -> None:
        rules.check_question_type(question_type)
        rules.check_title(question.title)
        stored = question.options
        if rules.check_options(question_type, stored) != (tuple(stored) if stored is not None else None):
            raise Invalid("options", "options are stored trimmed", value=stored)
        if question.opens_at is not None:
            rules.check_window(question.opens_at, question.closes_at, question.resolve_by)
        scale_of(question)
        if rules.check_unit(question.unit) != (question.unit or ""):
            raise Invalid("unit", "the unit is stored trimmed", value=question.unit)

    _as_row("question", checks)


def scale_of(question: Question) -> NumericRange | None:
    """A numeric or date question's range (None for the other kinds)."""
    return rules.check_range(
        _value(question, "type"),
        question.range_lower,
        question.range_upper,
        lower_open=bool(_value(question, "lower_open")),
        upper_open=bool(_value(question, "upper_open")),
        log_scale=bool(_value(question, "log_scale")),
    )


def check_forecast(forecast: Forecast, question: Question) -> None:
    def checks() -> None:
        rules.check_origin(_value(forecast, "origin"))
        if forecast.made_at is None:
            raise Invalid("made_at", "is required")
        rules.check_forecast_values(
            _value(question, "type"), question.options, forecast.probability, forecast.option_probabilities
        )
        rules.check_forecast_quantiles(_value(question, "type"), scale_of(question), forecast.quantiles)

    _as_row("forecast", checks)


def check_resolution(resolution: Resolution, question: Question) -> None:
    def checks() -> None:
        rules.check_outcome(
            _value(question, "type"),
            question.options,
            resolution.outcome,
            resolution.option,
            resolution.value,
            scale_of(question),
        )
        if resolution.outcome != "unresolved" and resolution.resolved_at is None:
            raise Invalid("resolved_at", "is required: when the world settled the question")

    _as_row("resolution", checks)


def check_forecaster(forecaster: Forecaster) -> None:
    def checks() -> None:
        rules.check_forecaster_kind(_value(forecaster, "kind"))
        rules.check_forecaster_name(forecaster.name)

    _as_row("forecaster", checks)


def _question_of(session: Session, row: Forecast | Resolution) -> Question:
    question = row.question
    if question is None and row.question_id is not None:
        question = session.get(Question, row.question_id)
    if question is None:
        table = "forecast" if isinstance(row, Forecast) else "resolution"
        raise InvalidRow(table, "question_id", f"no question with id {row.question_id!r}")
    return question


def _refuse_rewriting_history(session: Session) -> None:
    for row in session.dirty | session.deleted:
        if not isinstance(row, Resolution):
            continue
        if row in session.deleted and row.question in session.deleted:
            continue  # deleting the whole question takes its history with it
        if row in session.deleted or session.is_modified(row):
            raise InvalidRow(
                "resolution",
                "id",
                "resolutions are append-only: to undo, add a row with outcome 'unresolved'",
            )


@event.listens_for(Session, "before_flush")
def _enforce_rules(session: Session, flush_context: object, instances: object) -> None:
    _refuse_rewriting_history(session)
    for row in session.new | session.dirty:
        if isinstance(row, Question):
            check_question(row)
        elif isinstance(row, Forecaster):
            check_forecaster(row)
    for row in session.new | session.dirty:
        if isinstance(row, Forecast):
            check_forecast(row, _question_of(session, row))
        elif isinstance(row, Resolution):
            check_resolution(row, _question_of(session, row))
