"""Sources: adding, editing, switching, removing and listing them, and asking the worker to run one.

What each kind needs comes from its descriptor (:mod:`tracker.sources.kinds`),
so the CLI and the Sources page offer, and this module checks, the same
settings. Messages name the field (``url``, ``settings.market``, ``question``)
and leave the wording of controls to the front end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import Database
from db.models import Command, Event, JobRun, Question, Source
from forecasts import rules
from forecasts.entry import format_interval, parse_interval
from forecasts.errors import Invalid, NotFound
from forecasts.topic_rules import RuleError, compile_rule
from tracker.sources import kind_named, pollable_kinds, source_kinds
from tracker.sources.kinds import SourceKind as SourceKind  # re-exported: pages type their forms with it

# Settings any kind may carry besides its own: tags for every event, conditional tags, a note.
COMMON_SETTINGS = ("tags", "tag_rules", "note")


def kinds() -> list[SourceKind]:
    """The kinds a user can add, in a stable order."""
    return pollable_kinds()


@dataclass(frozen=True)
class SourceStatus:
    id: int
    name: str
    kind: str
    url: str | None
    enabled: bool
    every: str
    every_seconds: int | None
    match_rule: str | None
    question_id: int | None
    settings: dict[str, Any]
    n_events: int
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None
    next_run_at: datetime | None


# --- settings -------------------------------------------------------------------------------


def parse_settings(kind_name: str, pairs: Iterable[str], tags: Iterable[str] = ()) -> dict[str, Any]:
    """``KEY=VALUE`` pairs and ``TAG`` / ``TAG=RULE`` entries into a source's settings."""
    declared = source_kinds().get(kind_name)
    list_settings = {"tags"} | {s.name for s in (declared.settings if declared else ()) if s.is_list}
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise Invalid(
                "setting", f"{pair!r}: write KEY=VALUE, e.g. query=kuril or market=abc123", value=pair
            )
        key = key.strip()
        settings[key] = (
            [v.strip() for v in value.split(",") if v.strip()] if key in list_settings else value.strip()
        )
    tags = list(tags)
    plain = [t for t in tags if "=" not in t]
    conditional = {t.partition("=")[0]: t.partition("=")[2].strip() for t in tags if "=" in t}
    if plain:
        settings["tags"] = list(rules.normalise_tags([*settings.get("tags", []), *plain]))
    if conditional:
        settings["tag_rules"] = {rules.normalise_tag(tag): rule for tag, rule in conditional.items()}
    return settings


def check_rule(text: str | None, field: str = "match") -> str | None:
    """A topic rule as stored (None: everything), refused with where it goes wrong."""
    if text is None or not text.strip():
        return None
    try:
        compile_rule(text)
    except RuleError as error:
        raise Invalid(field, str(error), value=text) from None
    return text.strip()


def _check_settings(source_kind: SourceKind, settings: Mapping[str, Any]) -> dict[str, Any]:
    known = {s.name for s in source_kind.settings} | set(COMMON_SETTINGS)
    for name in settings:
        if name not in known:
            takes = ", ".join(s.name for s in source_kind.settings) or "none of its own"
            raise Invalid(
                f"settings.{name}",
                f"{source_kind.a_label} takes no setting {name!r} (it takes {takes})",
                value=name,
            )
    for setting in source_kind.required_settings:
        if not settings.get(setting.name):
            message = f"{source_kind.a_label} needs {setting.help}"
            raise Invalid(f"settings.{setting.name}", message, allowed=setting.example or None)
    for tag, rule in (settings.get("tag_rules") or {}).items():
        check_rule(str(rule), f"tags.{tag}")
    return dict(settings)


def _check_question(session: Session, source_kind: SourceKind, question_id: int | None) -> int | None:
    if source_kind.is_crowd and question_id is None:
        raise Invalid(
            "question",
            f"{source_kind.a_label} logs the crowd's forecast on one of your yes/no questions: pick it",
        )
    if question_id is None:
        return None
    question = session.get(Question, question_id)
    if question is None:
        raise Invalid("question", f"no question with id {question_id}", value=question_id)
    numeric_ok = source_kind.numeric and question.type in rules.RANGED_TYPES
    if source_kind.is_crowd and question.type != "binary" and not numeric_ok:
        kinds = "yes/no, numeric or date" if source_kind.numeric else "yes/no"
        message = f"{source_kind.a_label} logs crowd forecasts on {kinds} questions only"
        raise Invalid("question", message, value=question_id)
    return question_id


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSource:
    name: str
    kind: str
    url: str | None = None
    every: str | None = None  # 30s, 15m, 2h, 1d; None: the kind's default
    match: str | None = None  # topic rule; None: every item
    question_id: int | None = None  # crowd kinds: the question they forecast; feeds: linked events
    settings: Mapping[str, Any] | None = None
    enabled: bool = True


@dataclass(frozen=True)
class CheckedSource:
    name: str
    kind: str
    url: str | None
    settings: dict[str, Any]
    match_rule: str | None


def _checked(
    source_kind: SourceKind, name: str, url: str | None, settings: Mapping[str, Any] | None, match: str | None
) -> CheckedSource:
    clean_name = rules.check_source_name(name)
    clean_url = rules.check_http_url(url)
    if source_kind.url_required and clean_url is None:
        raise Invalid("url", f"{source_kind.a_label} needs {source_kind.url_help}")
    return CheckedSource(
        clean_name,
        source_kind.name,
        clean_url,
        _check_settings(source_kind, settings or {}),
        check_rule(match),
    )


def known_kind(kind: str) -> SourceKind:
    """Any kind a stored source may have: the pollable ones and the hand-kept timeline."""
    source_kind = source_kinds().get(kind)
    if source_kind is None:
        allowed = ", ".join(source_kinds())
        raise Invalid("kind", f"must be one of {allowed}, got {kind!r}", value=kind, allowed=allowed)
    return source_kind


def check_imported_source(
    name: str,
    kind: str,
    url: str | None,
    settings: Mapping[str, Any] | None,
    every_seconds: int | None,
    match: str | None,
) -> CheckedSource:
    """A source read from a file meets the form's rules: a known kind (the hand-kept timeline too),
    an http(s) address, the kind's settings, a polling interval of at least a minute."""
    source_kind = known_kind(kind)
    if every_seconds is not None:
        rules.check_interval(every_seconds)
    return _checked(source_kind, name, url, settings, match)


def add_source(database: Database, new: NewSource) -> SourceStatus:
    source_kind = kind_named(new.kind)
    checked = _checked(source_kind, new.name, new.url, new.settings, new.match)
    name, url, settings, match = checked.name, checked.url, checked.settings, checked.match_rule
    seconds = parse_interval(new.every) if new.every else source_kind.default_every
    with database.write_session() as session:
        if session.scalar(select(Source.id).where(Source.name == name)) is not None:
            raise Invalid(
                "name", f"a source called {name!r} exists; pick another name or remove it first", value=name
            )
        _check_not_a_duplicate(session, source_kind.name, url, settings)
        source = Source(
            name=name,
            kind=source_kind.name,
            url=url,
            settings=settings,
            every_seconds=seconds,
            enabled=new.enabled,
            match_rule=match,
            question_id=_check_question(session, source_kind, new.question_id),
        )
        session.add(source)
        session.flush()
        source_id = source.id
    return get_source(database, source_id)


def _check_not_a_duplicate(session: Session, kind: str, url: str | None, settings: dict[str, Any]) -> None:
    """Two sources of one kind reading one address with the same settings would log every item
    twice (and poll the site twice as often)."""
    for name, other_url, other_settings in session.execute(
        select(Source.name, Source.url, Source.settings).where(Source.kind == kind)
    ):
        if (other_url or None) == url and (other_settings or {}) == settings:
            where = f"reads {url}" if url else "reads the public address"
            raise Invalid(
                "url",
                f"the {kind} source {name!r} already {where} with the same settings; edit that one instead",
                value=url,
            )


def _named(session: Session, name: str) -> Source:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        raise NotFound("source", name, known=list(session.scalars(select(Source.name).order_by(Source.name))))
    return source


def edit_source(
    database: Database, name: str, *, every: str | None = None, match: str | None = None
) -> SourceStatus:
    """Change how often a source is polled and which items it keeps (an empty rule keeps all)."""
    seconds = parse_interval(every) if every is not None else None
    rule = check_rule(match) if match is not None else None
    with database.write_session() as session:
        source = _named(session, name)
        if seconds is not None:
            source.every_seconds = seconds
        if match is not None:
            source.match_rule = rule
        source_id = source.id
    return get_source(database, source_id)


def set_enabled(database: Database, name: str, enabled: bool) -> None:
    with database.write_session() as session:
        source = _named(session, name)
        declared = source_kinds().get(source.kind)
        if declared is None or not declared.can_poll:
            raise Invalid("name", f"{name!r} is a hand-kept timeline; there is nothing to poll", value=name)
        source.enabled = enabled


def remove_source(database: Database, name: str, *, delete_events: bool = False) -> int:
    """Delete a source; refused while it still has events unless ``delete_events``.

    Returns how many events went with it.
    """
    with database.write_session() as session:
        source = _named(session, name)
        n_events = (
            session.scalar(select(func.count()).select_from(Event).where(Event.source_id == source.id)) or 0
        )
        if n_events and not delete_events:
            raise Invalid(
                "delete_events",
                f"{name!r} has {n_events} events; disable it to keep them, or delete them with it",
                value=n_events,
            )
        for event in session.scalars(select(Event).where(Event.source_id == source.id)):
            session.delete(event)
        session.delete(source)
        return int(n_events)


# --- reading --------------------------------------------------------------------------------


def _statuses(session: Session, only: int | None = None) -> list[SourceStatus]:
    count_query = select(Event.source_id, func.count()).group_by(Event.source_id)
    run_query = select(JobRun.source_id, func.max(JobRun.id).label("run_id")).group_by(JobRun.source_id)
    if only is not None:  # one source: its events only (an index lookup, not a scan of every event)
        count_query = count_query.where(Event.source_id == only)
        run_query = run_query.where(JobRun.source_id == only)
    counts = {int(source_id): int(n) for source_id, n in session.execute(count_query)}
    latest = run_query.subquery()
    runs = {
        source_id: run
        for source_id, run in session.execute(
            select(latest.c.source_id, JobRun).join(JobRun, JobRun.id == latest.c.run_id)
        )
    }
    query = select(Source).order_by(Source.name)
    if only is not None:
        query = query.where(Source.id == only)
    statuses = []
    for source in session.scalars(query):
        run = runs.get(source.id)
        statuses.append(
            SourceStatus(
                id=source.id,
                name=source.name,
                kind=source.kind,
                url=source.url,
                enabled=source.enabled,
                every=format_interval(source.every_seconds),
                every_seconds=source.every_seconds,
                match_rule=source.match_rule,
                question_id=source.question_id,
                settings=dict(source.settings or {}),
                n_events=int(counts.get(source.id, 0)),
                last_run_at=run.started_at if run else None,
                last_status=run.status if run else None,
                last_error=run.error if run else None,
                next_run_at=source.next_run_at if source.enabled else None,
            )
        )
    return statuses


def list_sources(database: Database) -> list[SourceStatus]:
    with database.read_session() as session:
        return _statuses(session)


def source_names(database: Database, *, pollable: bool = True) -> list[str]:
    """The sources' names, sorted; only those with something to poll unless ``pollable`` is False."""
    query = select(Source.name).order_by(Source.name)
    if pollable:
        query = query.where(Source.kind.in_([k.name for k in pollable_kinds()]))
    with database.read_session() as session:
        return list(session.scalars(query))


def get_source(database: Database, source: int | str) -> SourceStatus:
    with database.read_session() as session:
        source_id = source if isinstance(source, int) else _named(session, source).id
        found = _statuses(session, only=source_id)
    if not found:
        raise NotFound("source", source)
    return found[0]


def enabled_sources(database: Database) -> list[tuple[int, str, int]]:
    """(id, name, seconds between polls) of every enabled source that has something to poll."""
    pollable = [k.name for k in pollable_kinds()]
    with database.read_session() as session:
        rows = session.execute(
            select(Source.id, Source.name, Source.every_seconds)
            .where(Source.enabled.is_(True), Source.kind.in_(pollable))
            .order_by(Source.name)
        ).all()
    return [(int(i), str(name), int(every or 900)) for i, name, every in rows]


# --- "run now": requests the worker picks up ----------------------------------------------------


def request_run(database: Database, name: str) -> int:
    """Ask the worker to run a source now; returns the request's id."""
    with database.write_session() as session:
        source = _named(session, name)
        command = Command(
            kind="run_source", source_id=source.id, status="pending", requested_at=datetime.now(UTC)
        )
        session.add(command)
        session.flush()
        return command.id


def waiting_requests(database: Database) -> int:
    with database.read_session() as session:
        query = select(func.count()).select_from(Command).where(Command.status.in_(("pending", "running")))
        return int(session.scalar(query) or 0)


def take_requests(database: Database) -> list[tuple[int, int]]:
    """For the worker: the pending requests as (request id, source id), marked running."""
    with database.write_session() as session:
        pending = session.scalars(
            select(Command).where(Command.status == "pending").order_by(Command.requested_at)
        ).all()
        for command in pending:
            command.status = "running"
        return [(c.id, c.source_id) for c in pending if c.source_id is not None]


def finish_request(database: Database, request_id: int, *, failed: bool, result: str) -> None:
    with database.write_session() as session:
        command = session.get(Command, request_id)
        if command is not None:
            command.status, command.result = ("failed" if failed else "done"), result
            command.finished_at = datetime.now(UTC)


def publish_next_runs(database: Database, next_runs: Mapping[int, datetime | None]) -> None:
    """For the worker: when each enabled source runs next (shown on the Sources page)."""
    with database.write_session() as session:
        for source in session.scalars(select(Source).where(Source.enabled.is_(True))):
            source.next_run_at = next_runs.get(source.id)
