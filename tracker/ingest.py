"""Run a source now: fetch outside any transaction, then write the batch in one short one.

Inserts skip rows whose (source, key) already exists, so a re-run, two
overlapping runs or a crash half-way never store anything twice. An item that
comes back under the same key with different content updates the event and
keeps the old version in ``event_revision``. Every run leaves a ``job_run`` row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from db import Database
from db.events import EventValues, upsert_events
from db.models import Source
from forecasts import rules
from forecasts.errors import Invalid, NotFound
from forecasts.topic_rules import Node, RuleError, compile_rule, rule_matches
from services import status
from services.forecasts import ForecastInput, add_forecast_in
from services.proposals import propose_in
from services.questions import load_question
from services.status import RunCounts
from tracker.sources import source_kinds
from tracker.sources.base import CrowdSnapshot, Item, PollResult, RateLimited, SourceConfig, SourceError
from tracker.sources.http import Fetcher

MAX_NOTES = 50
Rules = tuple[Node | None, dict[str, Node | None]]  # the topic rule, and the conditional tags' rules


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

    @property
    def counts(self) -> RunCounts:
        return RunCounts(self.n_new, self.n_updated, self.n_duplicate, self.n_unmatched, self.n_rejected)


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


def _tags_for(item: Item, default_tags: list[str], tag_rules: dict[str, Node | None]) -> tuple[str, ...]:
    tags = set(default_tags) | set(item.tags)
    for tag, rule in tag_rules.items():
        if rule_matches(rule, item.title, item.summary):
            tags.add(tag)
    return rules.event_tags(tags)


def _looks_like_an_address(text: str) -> bool:
    """A scheme (javascript:, data:, file:) or a path: kept as text when it is not a link we show.
    A bare word is not (feedparser offers an RSS guid such as "g1" as the item's link)."""
    return bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", text)) or "/" in text


def _event(item: Item, tags: tuple[str, ...], question_id: int | None) -> EventValues:
    """The item as it is stored: no NULs, a long key hashed, a link only if it is http(s) (any
    other is kept, as text, at the end of the summary)."""
    url = rules.event_link(item.url)
    summary = rules.stored_text(item.summary)
    if url is None and _looks_like_an_address(item.url or ""):
        summary = f"{summary} (link, not http(s): {rules.stored_text(item.url or '')[:300]})".strip()
    return EventValues(
        dedupe_key=rules.event_key(item.key),
        occurred_at=item.occurred_at,
        occurred_at_estimated=item.estimated,
        title=rules.event_title(item.title),
        summary=summary,
        url=url,
        content_hash=item.content_hash,
        tags=tags,
        links=((question_id, "source"),) if question_id is not None else (),
    )


def store_items(
    session: Session, source: Source, items: Iterable[Item], report: RunReport, rules_: Rules
) -> None:
    """Write matching items through the one event upsert: insert the new, update the changed."""
    match_rule, tag_rules = rules_
    default_tags = [str(t) for t in (source.settings or {}).get("tags", [])]
    batch: dict[str, EventValues] = {}
    for item in items:
        if not rule_matches(match_rule, item.title, item.summary):
            report.n_unmatched += 1
            continue
        event = _event(item, _tags_for(item, default_tags, tag_rules), source.question_id)
        if event.dedupe_key in batch:
            report.n_duplicate += 1  # the same key twice in one response
        else:
            batch[event.dedupe_key] = event
    counts = upsert_events(session.connection(), source.id, list(batch.values()))
    report.n_new += counts.new
    report.n_updated += counts.updated
    report.n_duplicate += counts.unchanged


def _check_kinds_match(source: Source, question_type: str, snapshot: CrowdSnapshot) -> None:
    """A yes/no market forecasts a yes/no question, a numeric one a numeric or date question."""
    if question_type == "multiple_choice":
        raise SourceError(f"{source.name}: crowd forecasts are logged on yes/no, numeric and date questions")
    ranged = question_type in rules.RANGED_TYPES
    yes_no_market = snapshot.probability is not None or snapshot.resolution is not None
    if ranged and yes_no_market:
        raise SourceError(
            f"{source.name}: the market gives a yes/no probability but the linked question is "
            f"{question_type}; link the source to a yes/no question"
        )
    if not ranged and snapshot.quantiles is not None:
        raise SourceError(
            f"{source.name}: the market forecasts a number but the linked question is yes/no; "
            "link the source to a numeric or date question"
        )


def store_snapshot(
    session: Session, source: Source, snapshot: CrowdSnapshot, report: RunReport, now: datetime
) -> None:
    """Log the crowd's forecast on the linked question; a settled market proposes a resolution."""
    if source.question_id is None:
        raise SourceError(f"{source.name}: link the source to a question first")
    try:
        question = load_question(session, source.question_id)
    except NotFound as error:
        raise SourceError(f"{source.name}: {error.message}") from None
    _check_kinds_match(source, question.type, snapshot)
    if snapshot.resolution is not None:
        detail = f"{source.kind} market {snapshot.title!r} resolved {snapshot.resolution}"
        if snapshot.resolution_note:
            detail = f"{source.kind} market {snapshot.title!r} {snapshot.resolution_note}"
        when = snapshot.resolved_at or now
        proposal = dict(outcome=snapshot.resolution, resolved_at=when, detail=detail, now=now)
        if propose_in(session, question_id=question.id, source_id=source.id, **proposal):  # type: ignore[arg-type]
            report.notes.append(
                f"the market resolved {snapshot.resolution}: proposed, waiting for you to confirm"
            )
        return
    if snapshot.probability is None and snapshot.quantiles is None:
        report.n_rejected += 1
        return
    given = ForecastInput(
        forecaster=source_kinds()[source.kind].forecaster or f"crowd:{source.kind}",
        forecaster_kind="crowd",
        probability=snapshot.probability,
        quantiles=snapshot.quantiles,
        made_at=now,
        origin="crowd",
        rationale=f"{snapshot.title} {snapshot.url or ''}".strip(),
    )
    try:
        saved = add_forecast_in(session, question.id, given, now=now)
    except Invalid as error:
        report.notes.append(f"crowd forecast not logged: {error}")
        report.n_rejected += 1
        return
    if saved.duplicate:
        report.n_duplicate += 1
    else:
        report.n_new += 1


def _finish(session: Session, run_id: int, report: RunReport) -> None:
    notes = report.notes[:MAX_NOTES]
    status.finish_run(session, run_id, report.status, report.counts, error=report.error, notes=notes)


def _store(
    session: Session,
    source_id: int,
    run_id: int,
    result: PollResult | None,
    rules_: Rules,
    retry_after: float | None,
    report: RunReport,
    now: datetime,
) -> None:
    source = session.get(Source, source_id)
    if source is None:  # removed while it was being polled
        report.status, report.error = "error", "the source was removed during this run"
        _finish(session, run_id, report)
        return
    if result is not None:
        report.not_modified = result.not_modified
        report.n_rejected += len(result.rejected)
        report.n_unmatched += result.n_filtered
        report.notes.extend(result.notes + result.rejected)  # summaries first: notes are capped
        try:
            if result.snapshot is not None:
                store_snapshot(session, source, result.snapshot, report, now)
            else:
                store_items(session, source, result.items, report, rules_)
            source.etag, source.last_modified = result.etag, result.last_modified
            source.body_hash = result.body_hash
            source.backoff_until = None
        except SourceError as error:
            report.status, report.error = "error", str(error)
    if retry_after is not None:
        source.backoff_until = now + timedelta(seconds=retry_after)
    _finish(session, run_id, report)


def _compiled(config: SourceConfig, rule_text: str | None) -> Rules:
    try:
        return (
            compile_rule(rule_text),
            {tag: compile_rule(rule) for tag, rule in (config.settings.get("tag_rules") or {}).items()},
        )
    except RuleError as error:
        raise SourceError(f"{config.name}: bad topic rule: {error}") from None


def _poll(
    config: SourceConfig, rule_text: str | None, fetcher: Fetcher | None, now: datetime, report: RunReport
) -> tuple[PollResult | None, Rules, float | None]:
    """Fetch and parse, outside any transaction; a failure is recorded on the report, never raised."""
    result: PollResult | None = None
    retry_after: float | None = None
    rules_: Rules = (None, {})
    client = fetcher or Fetcher()
    try:
        kind = source_kinds().get(config.kind)
        if kind is None or kind.poll is None:
            raise SourceError(f"{config.name}: kind {config.kind!r} has nothing to poll")
        rules_ = _compiled(config, rule_text)
        result = kind.poll(config, client, now)
    except RateLimited as error:
        report.status, report.error, retry_after = "error", str(error), error.retry_after
    except SourceError as error:
        report.status, report.error = "error", str(error)
    except Exception as error:  # a parser bug must not kill the worker; it is recorded
        report.status, report.error = "error", f"{config.name}: unexpected {type(error).__name__}: {error}"
    finally:
        if fetcher is None:
            client.close()
    return result, rules_, retry_after


def ingest_source(
    database: Database, source_id: int, *, fetcher: Fetcher | None = None, now: datetime | None = None
) -> RunReport:
    """Poll one source now and store what it returned; never raises for a source's failure."""
    now = now or datetime.now(UTC)
    with database.write_session() as session:
        source = session.get(Source, source_id)
        if source is None:
            raise NotFound("source", source_id)
        report = RunReport(source=source.name)
        run_id = status.start_run(session, f"source:{source.name}", source_id=source.id, now=now)
        config, rule_text, backoff_until = _config(source), source.match_rule, source.backoff_until
    if backoff_until is not None and backoff_until > now:
        message = f"backing off until {backoff_until:%Y-%m-%d %H:%M:%S} UTC (HTTP 429)"
        return _close_run(database, run_id, report, "skipped", message)
    result, rules_, retry_after = _poll(config, rule_text, fetcher, now, report)
    try:
        with database.write_session() as session:
            _store(session, source_id, run_id, result, rules_, retry_after, report, now)
    except Exception as error:
        # The batch rolled back as a whole: nothing half-stored. Record why on the run.
        message = f"{config.name}: storing failed: {type(error).__name__}: {error}"
        return _close_run(database, run_id, report, "error", message)
    return report


def _close_run(database: Database, run_id: int, report: RunReport, status_: str, error: str) -> RunReport:
    report.status, report.error = status_, error
    with database.write_session() as session:
        _finish(session, run_id, report)
    return report
