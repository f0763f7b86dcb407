"""Row rules that a CHECK constraint cannot express, enforced before every flush.

CHECK constraints guard single columns; these rules look across rows (a forecast
against its question's options, a resolution against its question's type) and
raise :class:`db.errors.InvalidRow` naming the table, the field and what is
allowed. They are storage integrity, not product policy: "no forecast after a
question closes" belongs to the forecasting services.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from db.errors import InvalidRow
from db.models import (
    FORECAST_ORIGINS,
    FORECASTER_KINDS,
    QUESTION_TYPES,
    RESOLUTION_OUTCOMES,
    Forecast,
    Forecaster,
    Question,
    Resolution,
)

# Tolerance for "sums to 1": six decimals, enough for hand-typed percentages like 33.3333%.
SUM_TOLERANCE = 1e-6


def _value(row: Any, name: str) -> Any:
    """The attribute, or the column's scalar default that the INSERT will apply."""
    value = getattr(row, name)
    if value is None:
        default = row.__table__.c[name].default
        if default is not None and default.is_scalar:
            return default.arg
    return value


def check_question(question: Question) -> None:
    question_type = _value(question, "type")
    if question_type not in QUESTION_TYPES:
        raise InvalidRow(
            "question", "type", f"must be one of {', '.join(QUESTION_TYPES)}, got {question_type!r}"
        )
    if not (question.title or "").strip():
        raise InvalidRow("question", "title", "must not be empty")
    if question_type == "binary" and question.options is not None:
        raise InvalidRow("question", "options", "a binary question has no options; leave it empty")
    if question_type == "multiple_choice":
        options = question.options or []
        if len(options) < 2:
            raise InvalidRow("question", "options", "a multiple-choice question needs at least two options")
        if any(not isinstance(option, str) or not option.strip() for option in options):
            raise InvalidRow("question", "options", "every option must be a non-empty text")
        if len(set(options)) != len(options):
            raise InvalidRow("question", "options", "options must be distinct")
    opens_at = question.opens_at
    if opens_at is not None:
        if question.closes_at is not None and question.closes_at < opens_at:
            raise InvalidRow(
                "question",
                "closes_at",
                f"must not be before opens_at ({opens_at.isoformat()}), got {question.closes_at.isoformat()}",
            )
        if question.resolve_by is not None and question.resolve_by < opens_at:
            raise InvalidRow(
                "question",
                "resolve_by",
                f"must not be before opens_at ({opens_at.isoformat()}), "
                f"got {question.resolve_by.isoformat()}",
            )


def _check_probability(field: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidRow("forecast", field, f"must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise InvalidRow("forecast", field, f"must be between 0 and 1 (0% to 100%), got {value!r}")


def check_forecast(forecast: Forecast, question: Question) -> None:
    origin = _value(forecast, "origin")
    if origin not in FORECAST_ORIGINS:
        raise InvalidRow(
            "forecast", "origin", f"must be one of {', '.join(FORECAST_ORIGINS)}, got {origin!r}"
        )
    if forecast.made_at is None:
        raise InvalidRow("forecast", "made_at", "is required")
    if _value(question, "type") == "binary":
        if forecast.option_probabilities is not None:
            raise InvalidRow(
                "forecast",
                "option_probabilities",
                "a binary question takes one probability, not one per option",
            )
        if forecast.probability is None:
            raise InvalidRow("forecast", "probability", "is required for a binary question")
        _check_probability("probability", forecast.probability)
        return
    options = question.options or []
    if forecast.probability is not None:
        raise InvalidRow(
            "forecast", "probability", "a multiple-choice question takes one probability per option"
        )
    values = forecast.option_probabilities
    if not isinstance(values, list) or len(values) != len(options):
        raise InvalidRow(
            "forecast",
            "option_probabilities",
            f"needs exactly {len(options)} probabilities, one per option ({', '.join(options)})",
        )
    for value in values:
        _check_probability("option_probabilities", value)
    total = math.fsum(values)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise InvalidRow("forecast", "option_probabilities", f"must sum to 1 (100%), got {total:.6g}")


def check_resolution(resolution: Resolution, question: Question) -> None:
    outcome = resolution.outcome
    if outcome not in RESOLUTION_OUTCOMES:
        raise InvalidRow(
            "resolution", "outcome", f"must be one of {', '.join(RESOLUTION_OUTCOMES)}, got {outcome!r}"
        )
    question_type = _value(question, "type")
    if question_type == "binary" and outcome == "option":
        raise InvalidRow("resolution", "outcome", "a binary question resolves yes, no or annulled")
    if question_type == "multiple_choice" and outcome in ("yes", "no"):
        raise InvalidRow(
            "resolution", "outcome", "a multiple-choice question resolves to an option or annulled"
        )
    if outcome == "option":
        options = question.options or []
        if resolution.option not in options:
            raise InvalidRow(
                "resolution",
                "option",
                f"must be one of the question's options ({', '.join(options)}), got {resolution.option!r}",
            )
    elif resolution.option is not None:
        raise InvalidRow("resolution", "option", f"is only set when outcome is 'option', not {outcome!r}")
    if outcome != "unresolved" and resolution.resolved_at is None:
        raise InvalidRow("resolution", "resolved_at", "is required: when the world settled the question")


def check_forecaster(forecaster: Forecaster) -> None:
    kind = _value(forecaster, "kind")
    if kind not in FORECASTER_KINDS:
        raise InvalidRow("forecaster", "kind", f"must be one of {', '.join(FORECASTER_KINDS)}, got {kind!r}")
    if not (forecaster.name or "").strip():
        raise InvalidRow("forecaster", "name", "must not be empty")


def _question_of(session: Session, row: Forecast | Resolution) -> Question:
    question = row.question
    if question is None and row.question_id is not None:
        question = session.get(Question, row.question_id)
    if question is None:
        table = "forecast" if isinstance(row, Forecast) else "resolution"
        raise InvalidRow(table, "question_id", f"no question with id {row.question_id!r}")
    return question


@event.listens_for(Session, "before_flush")
def _enforce_rules(session: Session, flush_context: object, instances: object) -> None:
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
