"""Sources: one module per kind, each turning an HTTP response into normalised items.

No database code lives here. Every module exposes ``poll(config, fetcher, now)``
returning a :class:`tracker.sources.base.PollResult`; every base URL comes from
the source's settings, so tests point them at 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tracker.sources import feeds, gdelt_doc, gdelt_events, manifold, metaculus, polymarket
from tracker.sources.base import PollResult, SourceConfig
from tracker.sources.http import Fetcher

Poller = Callable[[SourceConfig, Fetcher, datetime], PollResult]

POLLERS: dict[str, Poller] = {
    "rss": feeds.poll,
    "atom": feeds.poll,
    "gdelt-doc": gdelt_doc.poll,
    "gdelt-events": gdelt_events.poll,
    "manifold": manifold.poll,
    "polymarket": polymarket.poll,
    "metaculus": metaculus.poll,
}
CROWD_KINDS = ("manifold", "polymarket", "metaculus")
