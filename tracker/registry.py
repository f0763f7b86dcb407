"""Adding, listing, enabling and removing sources: the library behind ``python -m tracker sources``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import SOURCE_KINDS, Event, JobRun, Question, Source
from forecasts.errors import ValidationError
from tracker.matching import RuleError, compile_rule
from tracker.sources import CROWD_KINDS

DEFAULT_EVERY = {"rss": 900, "atom": 900, "gdelt-doc": 900, "gdelt-events": 900}
CROWD_EVERY = 3600
MIN_EVERY = 10  # seconds; polite polling is the user's call, but not a busy loop
FEED_KINDS = ("rss", "atom")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# The setting that names the remote object, per crowd kind.
CROWD_ID_SETTING = {"manifold": "market", "polymarket": "market", "metaculus": "post"}


def parse_interval(text: str) -> int:
    """``15m`` → 900 seconds; also ``30s``, ``2h``, ``1d`` or plain seconds."""
    match = _INTERVAL.match(text or "")
    if not match:
        raise ValidationError("every", f"{text!r} is not an interval; write 30s, 15m, 2h or 1d")
    seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds < MIN_EVERY:
        raise ValidationError("every", f"must be at least {MIN_EVERY} seconds, got {seconds}")
    return seconds


def format_interval(seconds: int | None) -> str:
    if not seconds:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


LIST_SETTINGS = {"actors", "tags"}  # settings whose value is a comma-separated list


def parse_settings(pairs: Iterable[str], tags: Iterable[str] = ()) -> dict[str, Any]:
    """``KEY=VALUE`` pairs and ``TAG`` / ``TAG=RULE`` entries into a source's settings."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise ValidationError("setting", f"{pair!r}: write KEY=VALUE, e.g. query=kuril or market=abc123")
        key = key.strip()
        settings[key] = (
            [v.strip() for v in value.split(",") if v.strip()] if key in LIST_SETTINGS else value.strip()
        )
    tags = list(tags)
    plain_tags = [t.strip().lower() for t in tags if "=" not in t and t.strip()]
    rules = {t.partition("=")[0].strip().lower(): t.partition("=")[2].strip() for t in tags if "=" in t}
    if plain_tags:
        settings["tags"] = sorted(set(settings.get("tags", [])) | set(plain_tags))
    if rules:
        settings["tag_rules"] = rules
    return settings


def get_source(session: Session, name: str) -> Source:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        names = ", ".join(session.scalars(select(Source.name).order_by(Source.name))) or "none yet"
        raise ValidationError("name", f"no source called {name!r}; sources: {names}")
    return source


def add_source(
    session: Session,
    *,
    name: str,
    kind: str,
    url: str | None = None,
    every: str | None = None,
    match: str | None = None,
    question_id: int | None = None,
    settings: dict[str, Any] | None = None,
    enabled: bool = True,
) -> Source:
    clean = (name or "").strip()
    if not re.fullmatch(r"[\w.:-]{1,120}", clean):
        raise ValidationError("name", "use letters, digits, '-', '_', '.' or ':' (up to 120), no spaces")
    if session.scalar(select(Source.id).where(Source.name == clean)) is not None:
        raise ValidationError(
            "name", f"a source called {clean!r} exists; pick another name or remove it first"
        )
    if kind not in SOURCE_KINDS or kind == "manual":
        allowed = ", ".join(k for k in SOURCE_KINDS if k != "manual")
        raise ValidationError("kind", f"must be one of {allowed}, got {kind!r}")
    settings = dict(settings or {})
    if kind in FEED_KINDS and not url:
        raise ValidationError("url", "a feed source needs --url (the RSS or Atom address)")
    if url and not re.match(r"^https?://", url):
        raise ValidationError("url", f"must start with http:// or https://, got {url!r}")
    if kind == "gdelt-doc" and not settings.get("query"):
        raise ValidationError("setting", "a gdelt-doc source needs --setting query=… (a GDELT search query)")
    if kind in CROWD_KINDS:
        if question_id is None:
            raise ValidationError(
                "question", f"a {kind} source logs crowd forecasts on a question: give --question ID"
            )
        if not settings.get(CROWD_ID_SETTING[kind]):
            raise ValidationError("setting", f"a {kind} source needs --setting {CROWD_ID_SETTING[kind]}=ID")
    if question_id is not None and session.get(Question, question_id) is None:
        raise ValidationError("question", f"no question with id {question_id}")
    if match is not None:
        try:
            compile_rule(match)
        except RuleError as error:
            raise ValidationError("match", str(error)) from None
    for tag, rule in (settings.get("tag_rules") or {}).items():
        try:
            compile_rule(rule)
        except RuleError as error:
            raise ValidationError("tag", f"{tag}: {error}") from None
    seconds = parse_interval(every) if every else DEFAULT_EVERY.get(kind, CROWD_EVERY)
    source = Source(
        name=clean,
        kind=kind,
        url=url,
        settings=settings,
        every_seconds=seconds,
        enabled=enabled,
        match_rule=match or None,
        question_id=question_id,
    )
    session.add(source)
    session.flush()
    return source


def set_enabled(session: Session, name: str, enabled: bool) -> Source:
    source = get_source(session, name)
    if source.kind == "manual":
        raise ValidationError("name", f"{name!r} is a hand-kept timeline; there is nothing to poll")
    source.enabled = enabled
    return source


def remove_source(session: Session, name: str, *, delete_events: bool = False) -> int:
    """Delete a source; refuses while it still has events unless ``delete_events``."""
    source = get_source(session, name)
    n_events = (
        session.scalar(select(func.count()).select_from(Event).where(Event.source_id == source.id)) or 0
    )
    if n_events and not delete_events:
        raise ValidationError(
            "name",
            f"{name!r} has {n_events} events; disable it to keep them (sources disable {name}) "
            "or pass --delete-events to delete them too",
        )
    for event in session.scalars(select(Event).where(Event.source_id == source.id)):
        session.delete(event)
    session.delete(source)
    return n_events


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    url: str | None
    enabled: bool
    every: str
    match_rule: str | None
    question_id: int | None
    n_events: int
    last_run_at: datetime | None
    last_status: str | None
    last_error: str | None
    next_run_at: datetime | None


def list_sources(session: Session) -> list[SourceStatus]:
    counts = dict(session.execute(select(Event.source_id, func.count()).group_by(Event.source_id)).all())
    latest = (
        select(JobRun.source_id, func.max(JobRun.id).label("run_id")).group_by(JobRun.source_id).subquery()
    )
    runs = {
        source_id: run
        for source_id, run in session.execute(
            select(latest.c.source_id, JobRun).join(JobRun, JobRun.id == latest.c.run_id)
        ).all()
    }
    statuses = []
    for source in session.scalars(select(Source).order_by(Source.name)):
        run = runs.get(source.id)
        statuses.append(
            SourceStatus(
                name=source.name,
                kind=source.kind,
                url=source.url,
                enabled=source.enabled,
                every=format_interval(source.every_seconds),
                match_rule=source.match_rule,
                question_id=source.question_id,
                n_events=counts.get(source.id, 0),
                last_run_at=run.started_at if run else None,
                last_status=run.status if run else None,
                last_error=run.error if run else None,
                next_run_at=source.next_run_at if source.enabled else None,
            )
        )
    return statuses
