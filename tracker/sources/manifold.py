"""Manifold: ``GET {base}/v0/market/{id}`` — probability, isResolved, resolution; times in ms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tracker.sources.base import CrowdSnapshot, PollResult, SourceConfig, SourceError
from tracker.sources.http import Fetcher
from tracker.sources.kinds import Setting, SourceKind

DEFAULT_BASE = "https://api.manifold.markets"
RESOLUTIONS = {"YES": "yes", "NO": "no", "CANCEL": "annulled"}


def market_id(config: SourceConfig) -> str:
    market = config.settings.get("market")
    if not market:
        raise SourceError(f"{config.name}: needs the market id (settings.market)")
    return str(market)


def load_json(body: bytes, source_name: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise SourceError(f"{source_name}: the platform did not return JSON ({error.msg})") from None


def _ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value / 1000, tz=UTC) if isinstance(value, int | float) else None


def parse_market(data: Any, now: datetime, source_name: str) -> CrowdSnapshot:
    if not isinstance(data, dict) or ("probability" not in data and "isResolved" not in data):
        raise SourceError(f"{source_name}: not a Manifold market (no probability)")
    probability = data.get("probability")
    resolution = RESOLUTIONS.get(str(data.get("resolution"))) if data.get("isResolved") else None
    return CrowdSnapshot(
        probability=float(probability) if isinstance(probability, int | float) else None,
        observed_at=now,
        title=str(data.get("question", "")),
        url=data.get("url"),
        resolution=resolution,
        resolved_at=_ms(data.get("resolutionTime")) if resolution else None,
    )


def poll(config: SourceConfig, fetcher: Fetcher, now: datetime) -> PollResult:
    base = (config.url or DEFAULT_BASE).rstrip("/")
    response = fetcher.get(f"{base}/v0/market/{market_id(config)}", accept_not_modified=False)
    return PollResult(snapshot=parse_market(load_json(response.body, config.name), now, config.name))


KINDS = (
    SourceKind(
        name="manifold",
        label="Manifold market",
        role="crowd",
        poll=poll,
        default_every=3600,
        url_help="the Manifold API",
        default_url=DEFAULT_BASE,
        settings=(Setting("market", "the market's id", required=True, example="abc123"),),
    ),
)
