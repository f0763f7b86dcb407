"""What every source returns: items (events) or a crowd snapshot, plus polling state."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# A source date this far past the fetch is a clock or data error, not news from the future.
FUTURE_TOLERANCE = timedelta(hours=1)


class SourceError(Exception):
    """The source could not be read; the message says why, in words for people."""


class RateLimited(SourceError):
    """The source asked us to slow down; poll again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    url: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True)
class Item:
    key: str  # unique within the source
    title: str  # plain text, never HTML
    summary: str
    url: str | None
    occurred_at: datetime
    estimated: bool = False  # the source gave no usable time; the fetch time stands in
    tags: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        # An estimated time is the fetch time: it changes every run and is not content.
        when = "" if self.estimated else self.occurred_at.isoformat()
        text = "\x1f".join((self.title, self.summary, self.url or "", when))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class CrowdSnapshot:
    """A platform's current forecast for one linked question."""

    probability: float | None  # None when the platform gave no aggregate
    observed_at: datetime
    title: str
    url: str | None
    resolution: str | None = None  # yes / no / annulled, once the market settled
    resolved_at: datetime | None = None
    resolution_note: str = ""  # why, when the market's settlement is not a plain yes or no
    # A numeric or date question's crowd forecast, as (level, value) pairs (a date in seconds since
    # 1970); then ``probability`` is None.
    quantiles: tuple[tuple[float, float], ...] | None = None


@dataclass
class PollResult:
    items: list[Item] = field(default_factory=list)
    snapshot: CrowdSnapshot | None = None
    not_modified: bool = False  # 304, or the same body as last time
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    rejected: list[str] = field(default_factory=list)  # one line per item left out, with why
    n_filtered: int = 0  # items the source's own filter dropped (GDELT's actors): not matching
    notes: list[str] = field(default_factory=list)  # items kept but adjusted


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment: tags dropped, scripts and styles dropped, entities decoded."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return collapse_spaces("".join(parser.parts))


def collapse_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text) if "&" in text else text).strip()


def normalise_link(url: str) -> str:
    """A link without tracking parameters (utm_*) or a fragment, for deduplication."""
    parts = urlsplit(url.strip())
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith("utm_")
    ]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, urlencode(query), ""))


def fallback_key(title: str, date_text: str) -> str:
    return "sha256:" + hashlib.sha256(f"{title}\x1f{date_text}".encode()).hexdigest()


def settle_time(when: datetime | None, now: datetime, what: str, notes: list[str]) -> tuple[datetime, bool]:
    """The item's time, or the fetch time (flagged) when missing or in the future."""
    if when is None:
        return now, True
    if when > now + FUTURE_TOLERANCE:
        notes.append(f"{what}: dated {when.isoformat()}, in the future; using the fetch time")
        return now, True
    return when, False


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
