"""Polymarket gamma API: ``GET {base}/markets/{id}``.

``outcomes`` and ``outcomePrices`` are JSON strings inside the JSON
(``"[\\"Yes\\", \\"No\\"]"``). A closed market priced at (1, 0) resolved to that outcome;
closed at any other price (50/50), it proposes "annulled" for the user to decide.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tracker.sources.base import CrowdSnapshot, PollResult, SourceConfig, SourceError
from tracker.sources.http import Fetcher
from tracker.sources.kinds import Setting, SourceKind
from tracker.sources.manifold import load_json

DEFAULT_BASE = "https://gamma-api.polymarket.com"
SETTLED = 0.99  # a closed market's winning price


def _embedded_list(value: Any, field: str, source_name: str) -> list[Any]:
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        raise SourceError(f"{source_name}: {field} is not a JSON list: {value!r}") from None
    if not isinstance(parsed, list):
        raise SourceError(f"{source_name}: {field} is not a list")
    return parsed


def parse_market(data: Any, now: datetime, source_name: str) -> CrowdSnapshot:
    if not isinstance(data, dict) or "outcomePrices" not in data:
        raise SourceError(f"{source_name}: not a Polymarket market (no outcomePrices)")
    outcomes = [str(o).lower() for o in _embedded_list(data.get("outcomes"), "outcomes", source_name)]
    prices = [float(p) for p in _embedded_list(data["outcomePrices"], "outcomePrices", source_name)]
    if "yes" not in outcomes or len(prices) != len(outcomes):
        raise SourceError(f"{source_name}: not a yes/no market (outcomes {outcomes})")
    p_yes = prices[outcomes.index("yes")]
    resolution, why = None, ""
    if data.get("closed"):
        resolution = "yes" if p_yes >= SETTLED else "no" if p_yes <= 1 - SETTLED else "annulled"
        if resolution == "annulled":  # e.g. 50/50: the market was voided, or settled some other way
            why = f"closed at {p_yes:.0%} yes, not 1 or 0: annulled? Decide, or resolve it yourself"
    return CrowdSnapshot(
        probability=p_yes,
        observed_at=now,
        title=str(data.get("question", "")),
        url=f"https://polymarket.com/market/{data['slug']}" if data.get("slug") else None,
        resolution=resolution,
        resolved_at=None,
        resolution_note=why,
    )


def poll(config: SourceConfig, fetcher: Fetcher, now: datetime) -> PollResult:
    market = config.settings.get("market")
    if not market:
        raise SourceError(f"{config.name}: needs the market id (settings.market)")
    base = (config.url or DEFAULT_BASE).rstrip("/")
    response = fetcher.get(f"{base}/markets/{market}", accept_not_modified=False)
    return PollResult(snapshot=parse_market(load_json(response.body, config.name), now, config.name))


KINDS = (
    SourceKind(
        name="polymarket",
        label="Polymarket market",
        role="crowd",
        poll=poll,
        default_every=3600,
        url_help="the Polymarket gamma API",
        default_url=DEFAULT_BASE,
        settings=(Setting("market", "the market's id", required=True, example="516710"),),
    ),
)
