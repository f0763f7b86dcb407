"""Questions, forecasts and resolutions: the rules of the forecasting domain.

Each function takes an open session (the caller owns the transaction, so a
form submit or an import is one unit of work), checks the rules and raises
:class:`~forecasts.errors.ValidationError` naming the field and what is
allowed. Nothing here imports Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import QUESTION_TYPES, Forecast, Forecaster, Question, Resolution
from db.rules import SUM_TOLERANCE
from db.types import utc_now
from forecasts.errors import NotFoundError, ValidationError

# A second identical forecast this soon after the first is a double submit, not an update.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=2)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationError(field, "needs a timezone (times are stored in UTC)")
    return value


def get_question(session: Session, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None:
        raise NotFoundError(f"no question with id {question_id}")
    return question


def forecaster_named(session: Session, name: str, kind: str = "person") -> Forecaster:
    """The forecaster called ``name``, created on first use."""
    clean = (name or "").strip()
    if not clean:
        raise ValidationError("forecaster", "is empty; enter your name or handle")
    forecaster = session.scalar(select(Forecaster).where(Forecaster.name == clean))
    if forecaster is None:
        forecaster = Forecaster(name=clean, kind=kind)
        session.add(forecaster)
        session.flush()
    return forecaster


def _check_options(question_type: str, options: Sequence[str] | None) -> list[str] | None:
    if question_type not in QUESTION_TYPES:
        raise ValidationError("type", f"must be one of {', '.join(QUESTION_TYPES)}, got {question_type!r}")
    if question_type == "binary":
        if options:
            raise ValidationError("options", "a binary (yes/no) question has no options")
        return None
    cleaned = [option.strip() for option in options or [] if option.strip()]
    if len(cleaned) < 2:
        raise ValidationError("options", "a multiple-choice question needs at least two options")
    if len(set(cleaned)) != len(cleaned):
        raise ValidationError("options", "options must be distinct")
    return cleaned


def _check_dates(opens_at: datetime, closes_at: datetime | None, resolve_by: datetime | None) -> None:
    if closes_at is not None and closes_at < opens_at:
        raise ValidationError(
            "closes_at", f"must not be before the question opens ({opens_at:%Y-%m-%d %H:%M} UTC)"
        )
    if resolve_by is not None and resolve_by < opens_at:
        raise ValidationError(
            "resolve_by", f"must not be before the question opens ({opens_at:%Y-%m-%d %H:%M} UTC)"
        )


def create_question(
    session: Session,
    *,
    title: str,
    description: str = "",
    resolution_criteria: str = "",
    type: str = "binary",
    options: Sequence[str] | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    resolve_by: datetime | None = None,
    tags: Sequence[str] = (),
    now: datetime | None = None,
) -> Question:
    clean_title = (title or "").strip()
    if len(clean_title) < 5:
        raise ValidationError("title", "write the whole question (at least 5 characters)")
    opens = _aware(opens_at, "opens_at") or _now(now)
    _aware(closes_at, "closes_at")
    _aware(resolve_by, "resolve_by")
    _check_dates(opens, closes_at, resolve_by)
    question = Question(
        title=clean_title,
        description=description.strip(),
        resolution_criteria=resolution_criteria.strip(),
        type=type,
        options=_check_options(type, options),
        created_at=_now(now),
        opens_at=opens,
        closes_at=closes_at,
        resolve_by=resolve_by if resolve_by is not None else closes_at,
    )
    question.tags.extend(sorted({tag.strip().lower() for tag in tags if tag.strip()}))
    session.add(question)
    session.flush()
    return question


def edit_question(session: Session, question_id: int, **changes: object) -> Question:
    """Change a question's text, dates or tags; type and options are fixed once forecasts exist."""
    question = get_question(session, question_id)
    allowed = {
        "title",
        "description",
        "resolution_criteria",
        "opens_at",
        "closes_at",
        "resolve_by",
        "tags",
        "type",
        "options",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            ", ".join(sorted(unknown)), f"cannot be edited; editable: {', '.join(sorted(allowed))}"
        )
    if ("type" in changes or "options" in changes) and question.forecasts:
        raise ValidationError("options", "cannot change the type or options of a question that has forecasts")
    if "title" in changes and len(str(changes["title"]).strip()) < 5:
        raise ValidationError("title", "write the whole question (at least 5 characters)")
    question_type = str(changes.get("type", question.type))
    if "type" in changes or "options" in changes:
        question.options = _check_options(question_type, changes.get("options", question.options))  # type: ignore[arg-type]
        question.type = question_type
    for name in ("opens_at", "closes_at", "resolve_by"):
        if name in changes:
            setattr(question, name, _aware(changes[name], name))  # type: ignore[arg-type]
    _check_dates(question.opens_at, question.closes_at, question.resolve_by)
    for name in ("title", "description", "resolution_criteria"):
        if name in changes:
            setattr(question, name, str(changes[name]).strip())
    if "tags" in changes:
        question.tags[:] = sorted({str(t).strip().lower() for t in changes["tags"] if str(t).strip()})  # type: ignore[union-attr]
    question.updated_at = utc_now()  # explicitly: a tag-only edit touches no question column
    session.flush()
    return question


def current_resolution(question: Question) -> Resolution | None:
    """The latest resolution row, unless it is an undo (then the question is open again)."""
    latest = question.latest_resolution
    return None if latest is None or latest.outcome == "unresolved" else latest


def _check_forecast_values(
    question: Question, probability: float | None, option_probabilities: Sequence[float] | None
) -> tuple[float | None, list[float] | None]:
    if question.type == "binary":
        if option_probabilities is not None:
            raise ValidationError(
                "probability", "a yes/no question takes one probability, not one per option"
            )
        if probability is None or not math.isfinite(probability) or not 0 <= probability <= 1:
            raise ValidationError("probability", f"must be between 0% and 100%, got {probability!r}")
        return float(probability), None
    options = question.options or []
    if probability is not None:
        raise ValidationError(
            "option_probabilities", f"give one probability per option ({', '.join(options)})"
        )
    values = list(option_probabilities or [])
    if len(values) != len(options):
        raise ValidationError(
            "option_probabilities",
            f"need {len(options)} probabilities, one per option ({', '.join(options)})",
        )
    for option, value in zip(options, values, strict=True):
        if not math.isfinite(value) or not 0 <= value <= 1:
            raise ValidationError(
                "option_probabilities", f"{option!r} must be between 0% and 100%, got {value!r}"
            )
    total = math.fsum(values)
    if abs(total - 1) > SUM_TOLERANCE:
        raise ValidationError("option_probabilities", f"must add up to 100%, they add up to {total:.2%}")
    return None, [float(v) for v in values]


def add_forecast(
    session: Session,
    *,
    question_id: int,
    forecaster: str,
    probability: float | None = None,
    option_probabilities: Sequence[float] | None = None,
    made_at: datetime | None = None,
    rationale: str = "",
    origin: str = "manual",
    forecaster_kind: str = "person",
    now: datetime | None = None,
) -> Forecast:
    """Record a forecast. A double submit (same value within two minutes) returns the first one."""
    question = get_question(session, question_id)
    current = _now(now)
    when = _aware(made_at, "made_at") or current
    if when > current + timedelta(minutes=1):
        raise ValidationError("made_at", "is in the future; a forecast is made now or in the past")
    if when < question.opens_at:
        raise ValidationError(
            "made_at", f"is before the question opened ({question.opens_at:%Y-%m-%d %H:%M} UTC)"
        )
    if question.closes_at is not None and when >= question.closes_at:
        raise ValidationError(
            "made_at",
            f"the question closed on {question.closes_at:%Y-%m-%d %H:%M} UTC; no forecasts after that",
        )
    resolution = current_resolution(question)
    if resolution is not None:
        raise ValidationError(
            "question",
            f"is resolved ({resolution.option or resolution.outcome}); undo the resolution to forecast again",
        )
    probability, values = _check_forecast_values(question, probability, option_probabilities)
    person = forecaster_named(session, forecaster, forecaster_kind)
    previous = session.scalar(
        select(Forecast)
        .where(Forecast.question_id == question.id, Forecast.forecaster_id == person.id)
        .order_by(Forecast.made_at.desc())
        .limit(1)
    )
    if (
        previous is not None
        and previous.probability == probability
        and previous.option_probabilities == values
        and abs(when - previous.made_at) <= DOUBLE_SUBMIT_WINDOW
    ):
        return previous
    forecast = Forecast(
        question=question,
        forecaster=person,
        made_at=when,
        probability=probability,
        option_probabilities=values,
        rationale=rationale.strip(),
        origin=origin,
        recorded_at=current,
    )
    session.add(forecast)
    session.flush()
    return forecast


def resolve_question(
    session: Session,
    question_id: int,
    *,
    outcome: str,
    resolved_at: datetime,
    option: str | None = None,
    note: str = "",
    source: str = "manual",
    now: datetime | None = None,
) -> Resolution:
    """Resolve yes / no / option / annulled; ``resolved_at`` is when the world settled it."""
    question = get_question(session, question_id)
    current = _now(now)
    _aware(resolved_at, "resolved_at")
    allowed = ("yes", "no", "annulled") if question.type == "binary" else ("option", "annulled")
    if outcome not in allowed:
        raise ValidationError(
            "outcome", f"must be one of {', '.join(allowed)} for this question, got {outcome!r}"
        )
    if outcome == "option" and option not in (question.options or []):
        raise ValidationError("option", f"must be one of {', '.join(question.options or [])}, got {option!r}")
    if resolved_at < question.opens_at:
        raise ValidationError(
            "resolved_at", f"must not be before the question opened ({question.opens_at:%Y-%m-%d %H:%M} UTC)"
        )
    if resolved_at > current + timedelta(minutes=1):
        raise ValidationError(
            "resolved_at", "is in the future; resolve a question once the world has settled it"
        )
    existing = current_resolution(question)
    if existing is not None:
        raise ValidationError(
            "outcome",
            f"the question is already resolved ({existing.option or existing.outcome}); undo that first",
        )
    resolution = Resolution(
        question=question,
        outcome=outcome,
        option=option if outcome == "option" else None,
        resolved_at=resolved_at,
        recorded_at=current,
        note=note.strip(),
        source=source,
    )
    session.add(resolution)
    session.flush()
    return resolution


def undo_resolution(
    session: Session, question_id: int, *, note: str = "", now: datetime | None = None
) -> Resolution:
    """Reopen a resolved question by appending an "unresolved" row; history is kept."""
    question = get_question(session, question_id)
    if current_resolution(question) is None:
        raise ValidationError("outcome", "the question is not resolved; nothing to undo")
    undo = Resolution(
        question=question, outcome="unresolved", recorded_at=_now(now), note=note.strip() or "undo"
    )
    session.add(undo)
    session.flush()
    session.refresh(question, ["resolutions"])
    return undo
