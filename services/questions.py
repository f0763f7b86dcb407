"""Questions: listing and filtering them, one question in detail, creating and editing.

A question's status comes from its close time and its latest resolution
(resolutions are append-only; an undo appends an ``unresolved`` row). The
questions list's filters live here, in :class:`QuestionFilter`: a new filter is
a field there and a line in :func:`_keeps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import Database
from db.models import Forecast, Question, QuestionTag, Reminder, Resolution
from db.queries import latest_resolutions
from db.rules import scale_of
from db.types import utc_now
from forecasts import rules
from forecasts.errors import Invalid, NotFound
from forecasts.quantities import shown_value
from forecasts.scoring.numeric import NumericRange

STATUSES = ("open", "closed", "resolved", "annulled")
VIEWS = ("all", "ready", "soon", "recently_resolved")  # ready: past resolve-by, not resolved
SOON = timedelta(days=7)
EDITABLE = (
    "title",
    "description",
    "resolution_criteria",
    "opens_at",
    "closes_at",
    "resolve_by",
    "tags",
    "type",
    "options",
)


@dataclass(frozen=True)
class QuestionSummary:
    id: int
    uid: str
    title: str
    type: str
    status: str  # open | closed | resolved | annulled
    outcome: str | None  # yes / no / the option's name, once resolved
    opens_at: datetime
    closes_at: datetime | None
    resolve_by: datetime | None
    resolved_at: datetime | None
    tags: tuple[str, ...]
    n_forecasts: int
    ready_to_resolve: bool  # the worker has raised a "ready to resolve" reminder


@dataclass(frozen=True)
class QuestionDetail:
    id: int
    uid: str
    title: str
    description: str
    resolution_criteria: str
    type: str
    options: tuple[str, ...]
    tags: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime | None
    resolve_by: datetime | None
    status: str
    outcome: str | None  # yes / no / annulled / the option's name, while resolved
    resolved_at: datetime | None
    watch_rule: str | None = None  # events matching it are linked as they arrive
    options_ordered: bool = False
    unit: str = ""  # numeric questions
    scale: NumericRange | None = None  # numeric and date questions: what the outcome may be
    value: float | None = None  # the value it resolved to (a date in seconds since 1970)

    @property
    def is_resolved(self) -> bool:
        return self.outcome is not None


@dataclass(frozen=True)
class QuestionFilter:
    text: str = ""  # words in the title, any case
    statuses: tuple[str, ...] = ()  # empty: every status
    tag: str | None = None
    view: str = "all"  # one of VIEWS
    types: tuple[str, ...] = ()  # empty: every type


# --- status -------------------------------------------------------------------------------


def question_status(outcome: str | None, closes_at: datetime | None, now: datetime) -> str:
    if outcome == "annulled":
        return "annulled"
    if outcome is not None and outcome != "unresolved":
        return "resolved"
    if closes_at is not None and closes_at <= now:
        return "closed"
    return "open"


def current_resolution(question: Question) -> Resolution | None:
    """The latest resolution row, unless it is an undo (then the question is open again)."""
    latest = question.latest_resolution
    return None if latest is None or latest.outcome == "unresolved" else latest


def settled_as(question: Question) -> str | None:
    """What the question resolved to (yes, no, annulled, the option's name or the value as read),
    or None while open."""
    resolution = current_resolution(question)
    if resolution is None:
        return None
    return shown_outcome(
        question.type, question.unit, resolution.outcome, resolution.option, resolution.value
    )


def shown_outcome(
    question_type: str, unit: str, outcome: str, option: str | None, value: float | None
) -> str:
    if outcome == "option" and option is not None:
        return option
    if outcome == "value" and value is not None:
        return shown_value(question_type, value, unit)
    return outcome


def load_question(session: Session, question_id: int) -> Question:
    """The question's row, inside the caller's session; a missing id is :class:`NotFound`."""
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound("question", question_id)
    return question


# --- reading ------------------------------------------------------------------------------


def _detail(question: Question, now: datetime) -> QuestionDetail:
    resolution = current_resolution(question)
    return QuestionDetail(
        id=question.id,
        uid=question.uid,
        title=question.title,
        description=question.description,
        resolution_criteria=question.resolution_criteria,
        type=question.type,
        options=tuple(question.options or ()),
        tags=tuple(sorted(question.tags)),
        opens_at=question.opens_at,
        closes_at=question.closes_at,
        resolve_by=question.resolve_by,
        status=question_status(resolution.outcome if resolution else None, question.closes_at, now),
        outcome=settled_as(question),
        resolved_at=resolution.resolved_at if resolution else None,
        watch_rule=question.watch_rule,
        options_ordered=question.options_ordered,
        unit=question.unit,
        scale=scale_of(question),
        value=resolution.value if resolution else None,
    )


def get_question(database: Database, question_id: int, *, now: datetime | None = None) -> QuestionDetail:
    with database.read_session() as session:
        return _detail(load_question(session, question_id), now or datetime.now(UTC))


def _tags_by_question(session: Session) -> dict[int, tuple[str, ...]]:
    tags: dict[int, list[str]] = {}
    for question_id, tag in session.execute(
        select(QuestionTag.question_id, QuestionTag.tag).order_by(QuestionTag.tag)
    ):
        tags.setdefault(question_id, []).append(tag)
    return {question_id: tuple(values) for question_id, values in tags.items()}


def _summaries(session: Session, now: datetime) -> list[QuestionSummary]:
    latest = latest_resolutions()
    counts = select(Forecast.question_id, func.count().label("n")).group_by(Forecast.question_id).subquery()
    ready = set(
        session.scalars(
            select(Reminder.question_id).where(
                Reminder.kind == "ready_to_resolve", Reminder.cleared_at.is_(None)
            )
        )
    )
    rows = session.execute(
        select(Question, latest.c.outcome, latest.c.option, latest.c.value, latest.c.resolved_at, counts.c.n)
        .outerjoin(latest, latest.c.question_id == Question.id)
        .outerjoin(counts, counts.c.question_id == Question.id)
        .order_by(Question.opens_at.desc(), Question.id.desc())
    ).all()
    tags = _tags_by_question(session)
    summaries = []
    for question, outcome, option, value, resolved_at, n_forecasts in rows:
        status = question_status(outcome, question.closes_at, now)
        settled = status in ("resolved", "annulled")
        summaries.append(
            QuestionSummary(
                id=question.id,
                uid=question.uid,
                title=question.title,
                type=question.type,
                status=status,
                outcome=shown_outcome(question.type, question.unit, outcome, option, value)
                if settled
                else None,
                opens_at=question.opens_at,
                closes_at=question.closes_at,
                resolve_by=question.resolve_by,
                resolved_at=resolved_at if settled else None,
                tags=tags.get(question.id, ()),
                n_forecasts=n_forecasts or 0,
                ready_to_resolve=question.id in ready,
            )
        )
    return summaries


def _keeps(question: QuestionSummary, wanted: QuestionFilter, now: datetime) -> bool:
    """Whether ``question`` passes every filter in ``wanted``."""
    if wanted.text and wanted.text.casefold() not in question.title.casefold():
        return False
    if wanted.statuses and question.status not in wanted.statuses:
        return False
    if wanted.types and question.type not in wanted.types:
        return False
    if wanted.tag and wanted.tag not in question.tags:
        return False
    if wanted.view == "ready":
        return question.ready_to_resolve
    if wanted.view == "soon":
        return question.resolve_by is not None and now <= question.resolve_by < now + SOON
    if wanted.view == "recently_resolved":
        return question.resolved_at is not None and question.resolved_at >= now - SOON
    return True


def filter_questions(
    summaries: Sequence[QuestionSummary], wanted: QuestionFilter, *, now: datetime | None = None
) -> list[QuestionSummary]:
    """The summaries that pass ``wanted``, in their order (for a list already read once)."""
    if wanted.view not in VIEWS:
        raise Invalid("view", f"must be one of {', '.join(VIEWS)}, got {wanted.view!r}", value=wanted.view)
    now = now or datetime.now(UTC)
    return [question for question in summaries if _keeps(question, wanted, now)]


def list_questions(
    database: Database, wanted: QuestionFilter = QuestionFilter(), *, now: datetime | None = None
) -> list[QuestionSummary]:
    """Every question that passes ``wanted``, newest first, with status, outcome, tags and counts."""
    now = now or datetime.now(UTC)
    with database.read_session() as session:
        summaries = _summaries(session, now)
    return filter_questions(summaries, wanted, now=now)


def question_titles(
    database: Database, *, open_yes_no: bool = False, numeric_too: bool = False, now: datetime | None = None
) -> list[tuple[int, str]]:
    """(id, title) of every question, newest first, for pickers (no counts, so cheap at any size);
    with ``open_yes_no``, only the yes/no questions still open for forecasts (and the numeric and
    date ones too with ``numeric_too``: a crowd source that forecasts numbers)."""
    query = select(Question.id, Question.title).order_by(Question.opens_at.desc(), Question.id.desc())
    if open_yes_no:
        latest = latest_resolutions()
        settled = select(latest.c.question_id).where(latest.c.outcome != "unresolved")
        still_open = Question.closes_at.is_(None) | (Question.closes_at > (now or datetime.now(UTC)))
        kinds = ("binary", *rules.RANGED_TYPES) if numeric_too else ("binary",)
        query = query.where(Question.type.in_(kinds), Question.id.not_in(settled), still_open)
    with database.read_session() as session:
        return [(int(question_id), str(title)) for question_id, title in session.execute(query)]


def all_tags(database: Database) -> list[str]:
    with database.read_session() as session:
        return list(session.scalars(select(QuestionTag.tag).distinct().order_by(QuestionTag.tag)))


# --- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewQuestion:
    """What a new question needs; everything but the title has a default."""

    title: str
    description: str = ""
    resolution_criteria: str = ""
    type: str = "binary"
    options: Sequence[str] | None = None
    options_ordered: bool = False  # counts, ranges or dates in order: scored with RPS too
    scale: NumericRange | None = None  # numeric and date questions: the range, each side open or closed
    unit: str = ""  # numeric questions: USD, % of GDP, documents
    opens_at: datetime | None = None  # None: now
    closes_at: datetime | None = None
    resolve_by: datetime | None = None  # None: when it closes
    tags: Sequence[str] = field(default_factory=tuple)


def create_question_in(session: Session, new: NewQuestion, *, now: datetime | None = None) -> Question:
    current = now or datetime.now(UTC)
    opens = rules.check_aware(new.opens_at, "opens_at") or current
    resolve_by = new.resolve_by if new.resolve_by is not None else new.closes_at
    rules.check_window(opens, new.closes_at, resolve_by)
    options = rules.check_options(new.type, new.options)
    scale = _checked_scale(new.type, new.scale)
    question = Question(
        title=rules.check_title(new.title),
        description=new.description.strip(),
        resolution_criteria=new.resolution_criteria.strip(),
        type=new.type,
        options=list(options) if options is not None else None,
        options_ordered=bool(new.options_ordered and options is not None),
        unit=rules.check_unit(new.unit),
        range_lower=scale.lower if scale else None,
        range_upper=scale.upper if scale else None,
        lower_open=bool(scale and scale.lower_open),
        upper_open=bool(scale and scale.upper_open),
        log_scale=bool(scale and scale.log_scale),
        created_at=current,
        opens_at=opens,
        closes_at=new.closes_at,
        resolve_by=resolve_by,
    )
    question.tags.extend(rules.normalise_tags(new.tags))
    session.add(question)
    session.flush()
    return question


def _checked_scale(question_type: str, scale: NumericRange | None) -> NumericRange | None:
    if scale is None:
        return rules.check_range(question_type, None, None)  # refuses a ranged type without one
    return rules.check_range(
        question_type,
        scale.lower,
        scale.upper,
        lower_open=scale.lower_open,
        upper_open=scale.upper_open,
        log_scale=scale.log_scale,
    )


def create_question(database: Database, new: NewQuestion, *, now: datetime | None = None) -> QuestionDetail:
    with database.write_session() as session:
        question = create_question_in(session, new, now=now)
        return _detail(question, now or datetime.now(UTC))


def _apply_shape(question: Question, changes: dict[str, object]) -> None:
    if question.forecasts:
        raise Invalid("options", "cannot change the type or options of a question that has forecasts")
    question_type = str(changes.get("type", question.type))
    options = changes.get("options", question.options)
    checked = rules.check_options(question_type, options if isinstance(options, list | tuple) else None)
    question.type, question.options = question_type, list(checked) if checked is not None else None


def _apply_times(question: Question, changes: dict[str, object]) -> None:
    for name in ("opens_at", "closes_at", "resolve_by"):
        if name in changes:
            value = changes[name]
            if value is not None and not isinstance(value, datetime):
                raise Invalid(name, f"must be a time, got {value!r}", value=value)
            setattr(question, name, rules.check_aware(value, name))
    rules.check_window(question.opens_at, question.closes_at, question.resolve_by)
    if "opens_at" in changes and question.forecasts:
        first = min(f.made_at for f in question.forecasts)
        if question.opens_at > first:  # every forecast is made while its question is open
            raise Invalid(
                "opens_at",
                f"is after the question's first forecast ({first:%Y-%m-%d %H:%M} UTC); "
                "a question opens before it is forecast",
                value=question.opens_at,
            )


def edit_question(database: Database, question_id: int, **changes: object) -> QuestionDetail:
    """Change a question's text, dates or tags; type and options are fixed once forecasts exist."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise Invalid(", ".join(unknown), f"cannot be edited; editable: {', '.join(sorted(EDITABLE))}")
    with database.write_session() as session:
        question = load_question(session, question_id)
        if "type" in changes or "options" in changes:
            _apply_shape(question, changes)
        _apply_times(question, changes)
        if "title" in changes:
            question.title = rules.check_title(str(changes["title"]))
        for name in ("description", "resolution_criteria"):
            if name in changes:
                setattr(question, name, str(changes[name]).strip())
        if "tags" in changes:
            tags = changes["tags"]
            question.tags[:] = list(
                rules.normalise_tags(tags if isinstance(tags, list | tuple) else [str(tags)])
            )
        question.updated_at = utc_now()  # explicitly: a tag-only edit touches no question column
        session.flush()
        return _detail(question, datetime.now(UTC))
