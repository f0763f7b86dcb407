"""Run a source now: fetch outside any transaction, then write the batch in one short one.

Inserts skip rows whose (source, key) already exists, so a re-run, two
overlapping runs or a crash half-way never store anything twice. An item that
comes back under the same key with different content updates the event and
keeps the old version in ``event_revision``. Every run leaves a ``job_run`` row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import Database
from db.models import Event, EventQuestion, EventRevision, EventTag, JobRun, ResolutionProposal, Source
from forecasts.errors import ValidationError
from forecasts.services import add_forecast, current_resolution, get_question
from tracker.matching import RuleError, compile_rule, rule_matches
from tracker.sources import POLLERS
from tracker.sources.base import CrowdSnapshot, Item, PollResult, RateLimited, SourceConfig, SourceError
from tracker.sources.http import Fetcher

KEY_CHUNK = 500  # keys per IN (...) lookup: well under every database's parameter limit
MAX_NOTES = 50


@dataclass
class RunReport:
    source: str
    status: str = "ok"  # ok | error | skipped
    n_new: int = 0
    n_updated: int = 0
    n_duplicate: int = 0
    n_unmatched: int = 0
    n_rejected: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    not_modified: bool = False

    def summary(self) -> str:
        if self.status == "error":
            return f"{self.source}: FAILED: {self.error}"
        if self.status == "skipped":
            return f"{self.source}: skipped: {self.error}"
        if self.not_modified:
            return f"{self.source}: nothing new (unchanged since the last run)"
        return (
            f"{self.source}: {self.n_new} new, {self.n_updated} updated, {self.n_duplicate} already stored, "
            f"{self.n_unmatched} not matching the rule, {self.n_rejected} rejected"
        )


def _config(source: Source) -> SourceConfig:
    return SourceConfig(
        name=source.name,
        kind=source.kind,
        url=source.url,
        settings=dict(source.settings or {}),
        etag=source.etag,
        last_modified=source.last_modified,
        body_hash=source.body_hash,
    )


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _tags_for(item: Item, default_tags: list[str], tag_rules: dict[str, Any]) -> set[str]:
    tags = set(default_tags) | set(item.tags)
    for tag, rule in tag_rules.items():
        if rule_matches(rule, item.title, item.summary):
            tags.add(tag)
    return {tag[:64] for tag in tags if tag}


def _existing(session: Session, source_id: int, keys: list[str]) -> dict[str, tuple[int, str | None]]:
    found: dict[str, tuple[int, str | None]] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        rows = session.execute(
            select(Event.dedupe_key, Event.id, Event.content_hash).where(
                Event.source_id == source_id, Event.dedupe_key.in_(chunk)
            )
        )
        found.update({key: (event_id, digest) for key, event_id, digest in rows})
    return found


def store_items(
    session: Session,
    source: Source,
    items: Iterable[Item],
    report: RunReport,
    rules: tuple[Any, dict[str, Any]],
) -> None:
    """Write matching items: insert the new, update the changed, count the rest."""
    match_rule, tag_rules = rules
    default_tags = [str(t) for t in (source.settings or {}).get("tags", [])]
    batch: dict[str, Item] = {}
    for item in items:
        if not rule_matches(match_rule, item.title, item.summary):
            report.n_unmatched += 1
        elif item.key in batch:
            report.n_duplicate += 1  # the same key twice in one response
        else:
            batch[item.key] = item
    existing = _existing(session, source.id, list(batch))
    fresh = [item for key, item in batch.items() if key not in existing]
    for key, (event_id, digest) in existing.items():
        item = batch[key]
        if digest == item.content_hash:
            report.n_duplicate += 1
            continue
        event = session.get(Event, event_id)
        session.add(
            EventRevision(
                event_id=event_id,
                previous={
                    "title": event.title,
                    "summary": event.summary,
                    "url": event.url,
                    "occurred_at": event.occurred_at.isoformat(),
                },
            )
        )
        event.title, event.summary, event.url = item.title, item.summary, item.url
        if not item.estimated:  # an undated item keeps the time it was first seen
            event.occurred_at, event.occurred_at_estimated = item.occurred_at, False
        event.content_hash = item.content_hash
        report.n_updated += 1
    if not fresh:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "source_id": source.id,
            "dedupe_key": item.key,
            "occurred_at": item.occurred_at,
            "occurred_at_estimated": item.estimated,
            "title": item.title,
            "summary": item.summary,
            "url": item.url,
            "content_hash": item.content_hash,
            "created_at": now,
            "updated_at": now,
        }
        for item in fresh
    ]
    statement: Insert = (
        _insert(session)(Event)
        .on_conflict_do_nothing(index_elements=["source_id", "dedupe_key"])
        .returning(Event.id, Event.dedupe_key)
    )
    inserted = session.execute(statement, rows).all()
    report.n_new += len(inserted)
    report.n_duplicate += len(fresh) - len(inserted)  # stored meanwhile by an overlapping run
    tag_rows = [
        {"event_id": event_id, "tag": tag}
        for event_id, key in inserted
        for tag in sorted(_tags_for(batch[key], default_tags, tag_rules))
    ]
    if tag_rows:
        session.execute(_insert(session)(EventTag).on_conflict_do_nothing(), tag_rows)
    if source.question_id is not None:
        session.execute(
            _insert(session)(EventQuestion).on_conflict_do_nothing(),
            [
                {"event_id": event_id, "question_id": source.question_id, "created_at": now}
                for event_id, _ in inserted
            ],
        )


def store_snapshot(
    session: Session, source: Source, snapshot: CrowdSnapshot, report: RunReport, now: datetime
) -> None:
    """Log the crowd's forecast on the linked question; a settled market proposes a resolution."""
    if source.question_id is None:
        raise SourceError(f"{source.name}: link the source to a question first (sources add … --question ID)")
    question = get_question(session, source.question_id)
    if question.type != "binary":
        raise SourceError(f"{source.name}: crowd forecasts are logged on yes/no questions only")
    if snapshot.resolution is not None:
        already = session.scalar(
            select(ResolutionProposal).where(
                ResolutionProposal.question_id == question.id,
                ResolutionProposal.source_id == source.id,
                ResolutionProposal.outcome == snapshot.resolution,
            )
        )
        if already is None and current_resolution(question) is None:
            session.add(
                ResolutionProposal(
                    question_id=question.id,
                    source_id=source.id,
                    outcome=snapshot.resolution,
                    resolved_at=snapshot.resolved_at or now,
                    proposed_at=now,
                    detail=f"{source.kind} market {snapshot.title!r} resolved {snapshot.resolution}",
                )
            )
            report.notes.append(
                f"the market resolved {snapshot.resolution}: proposed, waiting for you to confirm"
            )
        return
    if snapshot.probability is None:
        report.n_rejected += 1
        return
    try:
        forecast = add_forecast(
            session,
            question_id=question.id,
            forecaster=f"crowd:{source.kind}",
            forecaster_kind="crowd",
            probability=snapshot.probability,
            made_at=now,
            origin="crowd",
            rationale=f"{snapshot.title} {snapshot.url or ''}".strip(),
            now=now,
        )
    except ValidationError as error:
        report.notes.append(f"crowd forecast not logged: {error}")
        report.n_rejected += 1
        return
    if forecast.made_at == now:
        report.n_new += 1
    else:
        report.n_duplicate += 1


def _finish(session: Session, run_id: int, report: RunReport) -> None:
    run = session.get(JobRun, run_id)
    run.finished_at = datetime.now(UTC)
    run.status = report.status
    run.n_new, run.n_updated, run.n_duplicate = report.n_new, report.n_updated, report.n_duplicate
    run.n_unmatched, run.n_rejected = report.n_unmatched, report.n_rejected
    run.error = report.error
    run.notes = "\n".join(report.notes[:MAX_NOTES]) or None


def _store(
    session: Session,
    source_id: int,
    run_id: int,
    result: PollResult | None,
    rules: tuple[Any, dict[str, Any]],
    retry_after: float | None,
    report: RunReport,
    now: datetime,
) -> None:
    source = session.get(Source, source_id)
    if result is not None:
        report.not_modified = result.not_modified
        report.n_rejected += len(result.rejected)
        report.notes.extend(result.rejected + result.notes)
        try:
            if result.snapshot is not None:
                store_snapshot(session, source, result.snapshot, report, now)
            else:
                store_items(session, source, result.items, report, rules)
            source.etag, source.last_modified = result.etag, result.last_modified
            source.body_hash = result.body_hash
            source.backoff_until = None
        except SourceError as error:
            report.status, report.error = "error", str(error)
    if retry_after is not None:
        source.backoff_until = now + timedelta(seconds=retry_after)
    _finish(session, run_id, report)


def ingest_source(
    database: Database, source_id: int, *, fetcher: Fetcher | None = None, now: datetime | None = None
) -> RunReport:
    """Poll one source now and store what it returned; never raises for a source's failure."""
    now = now or datetime.now(UTC)
    with database.write_session() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise ValueError(f"no source with id {source_id}")
        report = RunReport(source=source.name)
        run = JobRun(job=f"source:{source.name}", source_id=source.id, started_at=now, status="running")
        session.add(run)
        session.flush()
        run_id, config, rule_text = run.id, _config(source), source.match_rule
        backoff_until = source.backoff_until
    if backoff_until is not None and backoff_until > now:
        message = f"backing off until {backoff_until:%Y-%m-%d %H:%M:%S} UTC (HTTP 429)"
        return _close_run(database, run_id, report, "skipped", message)

    result: PollResult | None = None
    retry_after: float | None = None
    rules: tuple[Any, dict[str, Any]] = (None, {})
    own_fetcher = fetcher is None
    client = fetcher or Fetcher()
    try:
        poller = POLLERS.get(config.kind)
        if poller is None:
            raise SourceError(f"{config.name}: kind {config.kind!r} has nothing to poll")
        try:
            rules = (
                compile_rule(rule_text),
                {tag: compile_rule(rule) for tag, rule in (config.settings.get("tag_rules") or {}).items()},
            )
        except RuleError as error:
            raise SourceError(f"{config.name}: bad topic rule: {error}") from None
        result = poller(config, client, now)
    except RateLimited as error:
        report.status, report.error, retry_after = "error", str(error), error.retry_after
    except SourceError as error:
        report.status, report.error = "error", str(error)
    except Exception as error:  # a parser bug must not kill the worker; it is recorded
        report.status, report.error = "error", f"{config.name}: unexpected {type(error).__name__}: {error}"
    finally:
        if own_fetcher:
            client.close()

    try:
        with database.write_session() as session:
            _store(session, source_id, run_id, result, rules, retry_after, report, now)
    except Exception as error:
        # The batch rolled back as a whole: nothing half-stored. Record why on the run.
        message = f"{config.name}: storing failed: {type(error).__name__}: {error}"
        return _close_run(database, run_id, report, "error", message)
    return report


def _close_run(database: Database, run_id: int, report: RunReport, status: str, error: str) -> RunReport:
    report.status, report.error = status, error
    with database.write_session() as session:
        _finish(session, run_id, report)
    return report


def mark_stale_runs(session: Session, now: datetime) -> int:
    """Runs left "running" by a worker that died are closed as errors, so the dashboard doesn't wait."""
    result = session.execute(
        update(JobRun)
        .where(JobRun.status == "running", JobRun.started_at < now - timedelta(hours=1))
        .values(status="error", finished_at=now, error="the worker stopped during this run")
    )
    return result.rowcount or 0
