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


NOT_YES_NO = {  # Manifold's outcomeType for markets whose price is not P(yes)
    "MULTIPLE_CHOICE": "a multiple-choice market",
    "POLL": "a poll",
    "NUMBER": "a numeric market",
    "PSEUDO_NUMERIC": "a numeric market (its price is a position on a scale, not P(yes))",
}
SETTLED = 0.99  # an MKT resolution this close to 1 (or 0) is a yes (or a no)


def _settlement(data: dict[str, Any]) -> tuple[str | None, str]:
    """(our outcome, why) for a resolved market: YES, NO, CANCEL; MKT at a probability is a yes or
    a no only at the ends, else proposed as annulled for the user to decide (we score yes/no)."""
    if not data.get("isResolved"):
        return None, ""
    word = str(data.get("resolution"))
    if word != "MKT":
        outcome = RESOLUTIONS.get(word)
        return outcome, "" if outcome else f"resolved {word!r}, which is not yes, no or cancelled"
    at = data.get("resolutionProbability")
    if not isinstance(at, int | float):
        return "annulled", "resolved MKT without a probability"
    if at >= SETTLED or at <= 1 - SETTLED:
        return ("yes" if at >= SETTLED else "no"), f"resolved MKT at {at:.0%}"
    return "annulled", f"resolved MKT at {at:.0%}, not a yes or a no: annul it, or resolve it yourself"


def parse_market(data: Any, now: datetime, source_name: str) -> CrowdSnapshot:
    if not isinstance(data, dict) or ("probability" not in data and "isResolved" not in data):
        raise SourceError(f"{source_name}: not a Manifold market (no probability)")
    kind = str(data.get("outcomeType") or "BINARY")
    if kind in NOT_YES_NO:
        raise SourceError(
            f"{source_name}: the market is {NOT_YES_NO[kind]} ({kind}), not yes/no; "
            "only a BINARY market can give a yes/no question its crowd forecast"
        )
    probability = data.get("probability")
    resolution, why = _settlement(data)
    return CrowdSnapshot(
        probability=float(probability) if isinstance(probability, int | float) else None,
        observed_at=now,
        title=str(data.get("question", "")),
        url=data.get("url"),
        resolution=resolution,
        resolved_at=_ms(data.get("resolutionTime")) if resolution else None,
        resolution_note=why,
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
