"""Ingesting a 10,000-item RSS feed from a loopback server into a fresh SQLite database.

Run: ``make bench``. Prints feedparser's parse of the same bytes alone (the
baseline), our first ingest end to end (HTTP, parse, match, store), and a
re-ingest of the unchanged feed, all in one run. Targets (issue 4): first
ingest within 2x of the parse alone; re-ingest under 0.3x of the first.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import feedparser

from db import open_database
from db.models import Source
from services.sources import NewSource, add_source
from tests.loopback import Route, loopback_server
from tracker.ingest import ingest_source

N_ITEMS = 10_000


def synthetic_feed(n: int) -> bytes:
    start = datetime(2016, 5, 6, tzinfo=UTC)
    topics = ["Kuril islands talks", "Northern Territories visit", "Oil price moves", "Abe and Putin meet"]
    items = [
        f"<item><title>{topics[i % 4]} #{i}</title><link>https://example.org/news/{i}?utm_source=rss</link>"
        f"<guid isPermaLink='false'>bench-{i}</guid>"
        f"<pubDate>{format_datetime(start + timedelta(minutes=37 * i))}</pubDate>"
        f"<description>&lt;p&gt;Item {i} about the summit and the islands.&lt;/p&gt;</description></item>"
        for i in range(n)
    ]
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>bench</title>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def main() -> None:
    body = synthetic_feed(N_ITEMS)
    started = time.perf_counter()
    parsed = feedparser.parse(body)
    parse_only = time.perf_counter() - started
    assert len(parsed.entries) == N_ITEMS
    with tempfile.TemporaryDirectory() as folder, loopback_server() as server:
        url = server.serve("/feed.xml", Route(body, headers={"Content-Type": "application/rss+xml"}))
        database = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        new = NewSource(name="bench", kind="rss", url=url, match="kuril* OR territories OR putin")
        source_id = add_source(database, new).id
        started = time.perf_counter()
        first = ingest_source(database, source_id)
        first_time = time.perf_counter() - started
        started = time.perf_counter()
        again = ingest_source(database, source_id)
        again_time = time.perf_counter() - started
        # Also without the unchanged-body shortcut: every item parsed again and found already stored.
        with database.write_session() as session:
            session.get(Source, source_id).body_hash = None
        started = time.perf_counter()
        reparsed = ingest_source(database, source_id)
        reparse_time = time.perf_counter() - started
        database.dispose()
    print(f"{N_ITEMS:,}-item RSS feed ({len(body) / 2**20:.1f} MB) from 127.0.0.1 into a new SQLite file\n")
    lines = [
        ("feedparser.parse alone (baseline)", parse_only, "", ""),
        (
            "first ingest (fetch, parse, store)",
            first_time,
            f"{first_time / parse_only:4.2f}x the parse",
            first.summary(),
        ),
        (
            "re-ingest of the unchanged feed",
            again_time,
            f"{again_time / first_time:4.2f}x the first",
            again.summary(),
        ),
        (
            "re-ingest forced to re-parse",
            reparse_time,
            f"{reparse_time / first_time:4.2f}x the first",
            reparsed.summary(),
        ),
    ]
    for name, seconds, ratio, summary in lines:
        print(f"{name:<36} {seconds:6.2f} s   {ratio:<18} {summary}")


if __name__ == "__main__":
    main()
