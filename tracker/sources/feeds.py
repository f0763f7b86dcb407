"""RSS and Atom: fetch with conditional GET, parse the bytes with feedparser.

Dedupe key: the entry's guid/id, else its link without utm_* parameters or
fragment, else a hash of title and date. Titles and summaries are stored as
plain text. Feeds that declare XML entities are refused before parsing: that
is how "billion laughs" expansion bombs work, and no real feed needs them.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from tracker.sources.base import (
    Item,
    PollResult,
    SourceConfig,
    SourceError,
    fallback_key,
    html_to_text,
    normalise_link,
    settle_time,
)
from tracker.sources.charsets import as_utf8_document, decode_feed
from tracker.sources.http import Fetcher
from tracker.sources.kinds import SourceKind

_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE | re.DOTALL)
_LOOKS_LIKE_HTML = re.compile(rb"^\s*(<!DOCTYPE\s+html|<html)", re.IGNORECASE)
MAX_SUMMARY = 2000


def _text(entry: Any, field: str) -> str:
    value = entry.get(field) or ""
    detail = entry.get(f"{field}_detail") or {}
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        return html_to_text(value)
    # Plain text is kept as written: a title "<script>" is text about a script, shown as such.
    return re.sub(r"\s+", " ", value).strip()


EARLIEST_NEWS = datetime(1900, 1, 1, tzinfo=UTC)  # a feed item dated before this is a broken date


def _published(entry: Any, what: str, notes: list[str]) -> tuple[datetime | None, str]:
    """The entry's first readable date, or None (with a note when it had one we could not use):
    one item's broken date leaves that item undated, never the run failed."""
    problem = ""
    for field in ("published", "updated", "created"):
        # dict.get: FeedParserDict.get maps updated to published, with a deprecation warning
        parsed, text = dict.get(entry, f"{field}_parsed"), str(dict.get(entry, field) or "").strip()
        when = _from_struct(parsed) if parsed else None
        if when is not None and when >= EARLIEST_NEWS:
            return when, text
        if text and not problem:
            problem = f"date {text[:60]!r} is {'out of range' if parsed else 'not readable'}"
    if problem:
        notes.append(f"{what}: {problem}; undated (the fetch time stands in)")
    return None, str(entry.get("published") or entry.get("updated") or "")


def _from_struct(parsed: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (ValueError, OverflowError, OSError):  # year 0, or past 9999 once in UTC
        return None


def _as_utf8(body: bytes, headers: dict[str, str], notes: list[str]) -> tuple[bytes, dict[str, str]]:
    """The feed re-encoded as UTF-8 that says so, after :func:`charsets.decode_feed`."""
    decoded = decode_feed(body, headers)
    if decoded is None:
        return body, headers
    if decoded.note:
        notes.append(decoded.note)
    media_type = headers.get("content-type", "").split(";")[0].strip() or "application/xml"
    return as_utf8_document(decoded), {**headers, "content-type": f"{media_type}; charset=utf-8"}


def parse_feed(body: bytes, headers: dict[str, str], now: datetime, source_name: str = "feed") -> PollResult:
    """Items from feed bytes; raises SourceError when the body is not a usable feed."""
    result = PollResult()
    body, headers = _as_utf8(body, headers, result.notes)
    head = body[:4096]
    if _ENTITY_DECLARATION.search(head):
        raise SourceError(
            f"{source_name}: the feed declares XML entities; refused (entity-expansion attack?)"
        )
    if _LOOKS_LIKE_HTML.search(head):
        raise SourceError(f"{source_name}: got an HTML page, not an RSS or Atom feed; check the URL")
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        reason = f" ({problem})" if problem else ""
        raise SourceError(f"{source_name}: not an RSS or Atom feed{reason}")
    if parsed.get("bozo") and parsed.entries:
        result.notes.append(f"feed is not well-formed XML; read leniently ({parsed.get('bozo_exception')})")
    for position, entry in enumerate(parsed.entries, start=1):
        title = _text(entry, "title")
        summary = _text(entry, "summary")[:MAX_SUMMARY]
        link = entry.get("link")
        if not title and not summary:
            result.rejected.append(f"entry {position}: no title and no summary")
            continue
        what = f"entry {position} ({title[:60]!r})"
        when, date_text = _published(entry, what, result.notes)
        if entry.get("id"):
            key = str(entry["id"]).strip()
        elif link:
            key = normalise_link(link)
        else:
            key = fallback_key(title, date_text)
        occurred_at, estimated = settle_time(when, now, what, result.notes)
        tags = tuple(t["term"] for t in entry.get("tags", []) if t.get("term"))  # normalised when stored
        result.items.append(
            Item(
                key=key,  # hashed when stored if longer than the column (rules.event_key)
                title=(title or summary[:120])[:1000],
                summary=summary,
                url=link,
                occurred_at=occurred_at,
                estimated=estimated,
                tags=tags,
            )
        )
    return result


def poll(config: SourceConfig, fetcher: Fetcher, now: datetime) -> PollResult:
    if not config.url:
        raise SourceError(f"{config.name}: a feed source needs a URL")
    response = fetcher.get(config.url, etag=config.etag, last_modified=config.last_modified)
    if response.status == 304:
        return PollResult(
            not_modified=True,
            etag=config.etag,
            last_modified=config.last_modified,
            body_hash=config.body_hash,
        )
    etag = response.headers.get("etag")
    last_modified = response.headers.get("last-modified")
    if config.body_hash and response.body_hash == config.body_hash:
        return PollResult(
            not_modified=True, etag=etag, last_modified=last_modified, body_hash=config.body_hash
        )
    result = parse_feed(response.body, response.headers, now, config.name)
    result.etag, result.last_modified, result.body_hash = etag, last_modified, response.body_hash
    return result


KINDS = tuple(
    SourceKind(
        name=name,
        label=label,
        role="feed",
        poll=poll,
        default_every=900,
        url_help="the feed's address",
        url_required=True,
    )
    for name, label in (("rss", "RSS feed"), ("atom", "Atom feed"))
)
