"""GDELT DOC 2.0 article search (``mode=artlist``, JSON).

``{}`` means no hits. Throttling arrives as a plain-text "Please limit
requests…" body with HTTP 429 *or* 200, so the body is checked, not only the
status. GDELT JSON sometimes carries raw control characters, removed before parsing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from tracker.sources.base import (
    Item,
    PollResult,
    RateLimited,
    SourceConfig,
    SourceError,
    normalise_link,
    settle_time,
)
from tracker.sources.http import Fetcher
from tracker.sources.kinds import Setting, SourceKind

DEFAULT_BASE = "https://api.gdeltproject.org/api/v2/doc/doc"
THROTTLE_BACKOFF = 60.0
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_artlist(body: bytes, now: datetime, source_name: str = "gdelt-doc") -> PollResult:
    text = body.strip()
    if text.lower().startswith(b"please limit requests"):
        raise RateLimited(f"{source_name}: GDELT asks to limit requests; backing off", THROTTLE_BACKOFF)
    try:
        data = json.loads(_CONTROL.sub(b"", text) or b"{}")
    except json.JSONDecodeError as error:
        snippet = text[:80].decode("utf-8", "replace")
        raise SourceError(f"{source_name}: GDELT did not return JSON ({error.msg}): {snippet!r}") from None
    if not isinstance(data, dict):
        raise SourceError(f"{source_name}: unexpected GDELT reply (a {type(data).__name__}, not an object)")
    result = PollResult()
    for position, article in enumerate(data.get("articles", []), start=1):
        url, title = article.get("url"), (article.get("title") or "").strip()
        if not url or not title:
            result.rejected.append(f"article {position}: no url or title")
            continue
        try:
            seen = datetime.strptime(article.get("seendate", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            seen = None
        occurred_at, estimated = settle_time(seen, now, f"article {position}", result.notes)
        origin = " · ".join(
            v for v in (article.get("domain"), article.get("sourcecountry"), article.get("language")) if v
        )
        result.items.append(
            Item(
                key=normalise_link(url),
                title=title[:1000],
                summary=origin,
                url=url,
                occurred_at=occurred_at,
                estimated=estimated,
            )
        )
    return result


def poll(config: SourceConfig, fetcher: Fetcher, now: datetime) -> PollResult:
    settings = config.settings
    query = settings.get("query")
    if not query:
        raise SourceError(f"{config.name}: a GDELT DOC source needs a query (settings.query)")
    params = {
        "query": query,
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(settings.get("maxrecords", 250)),
        "timespan": settings.get("timespan", "1d"),
        "sort": "DateDesc",
    }
    response = fetcher.get(config.url or DEFAULT_BASE, params=params, accept_not_modified=False)
    return parse_artlist(response.body, now, config.name)


KINDS = (
    SourceKind(
        name="gdelt-doc",
        label="GDELT article search",
        role="feed",
        poll=poll,
        default_every=900,
        url_help="the GDELT DOC 2.0 API",
        default_url=DEFAULT_BASE,
        settings=(
            Setting(
                "query",
                "a GDELT search query",
                required=True,
                example="(kuril OR shikotan) sourcelang:english",
            ),
            Setting("timespan", "how far back each poll looks (GDELT's syntax)", example="1d"),
            Setting("maxrecords", "articles per poll, at most 250", example="250"),
        ),
    ),
)
