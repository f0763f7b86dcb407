"""Metaculus: ``GET {base}/api/posts/{id}/`` with ``Authorization: Token …`` from the environment.

The community median of a binary question is
``question.aggregations.recency_weighted.latest.centers[0]``; without data
access the aggregations come back empty, and we say so instead of guessing.

A numeric or date question's aggregate is its CDF at the points of the question's range
(``latest.forecast_values``, 201 values): read as our 5/25/50/75/95 % quantiles by
:mod:`forecasts.cdf_points`. The points are ``scaling.continuous_range`` when the reply has
it (numbers, or ISO times for a date question), else spread over ``range_min``–``range_max``
as Metaculus spreads them (evenly, or geometrically around ``zero_point`` on a log scale).
Its resolution (a number, a time, or below/above the range) is told, not proposed: the
question page takes the value.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from forecasts.cdf_points import quantiles_from_cdf_points
from forecasts.errors import Invalid
from tracker.sources.base import CrowdSnapshot, PollResult, SourceConfig, SourceError, as_utc
from tracker.sources.http import Fetcher
from tracker.sources.kinds import Setting, SourceKind
from tracker.sources.manifold import load_json

DEFAULT_BASE = "https://www.metaculus.com"
TOKEN_ENV = "METACULUS_TOKEN"
RESOLUTIONS = {"yes": "yes", "no": "no", "annulled": "annulled", "ambiguous": "annulled"}


def _latest_center(question: dict[str, Any]) -> float | None:
    aggregations = question.get("aggregations") or {}
    for method in ("recency_weighted", "unweighted"):
        latest = (aggregations.get(method) or {}).get("latest") or {}
        centers = latest.get("centers") or []
        if centers and isinstance(centers[0], int | float):
            return float(centers[0])
    return None


def _seconds(value: Any) -> float:
    """A point of a date question's range: an ISO time, or seconds since 1970."""
    if isinstance(value, str):
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00"))).timestamp()
    return float(value)


def range_points(scaling: dict[str, Any], n: int) -> list[float]:
    """The ``n`` points of the question's range at which Metaculus gives the CDF."""
    given = scaling.get("continuous_range")
    if isinstance(given, list) and len(given) == n:
        return [_seconds(point) for point in given]
    low, high, zero = scaling.get("range_min"), scaling.get("range_max"), scaling.get("zero_point")
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        raise SourceError("the question's scaling has no range_min and range_max")
    places = [i / (n - 1) for i in range(n)]
    if isinstance(zero, int | float):  # a log scale: points spaced by a constant ratio from zero_point
        ratio = (high - zero) / (low - zero)
        return [low + (high - low) * (ratio**place - 1) / (ratio - 1) for place in places]
    return [low + (high - low) * place for place in places]


def _latest(question: dict[str, Any]) -> dict[str, Any]:
    aggregations = question.get("aggregations") or {}
    for method in ("recency_weighted", "unweighted"):
        latest = (aggregations.get(method) or {}).get("latest") or {}
        if latest.get("forecast_values"):
            return dict(latest)
    return {}


def crowd_quantiles(question: dict[str, Any], source_name: str) -> tuple[tuple[float, float], ...] | None:
    """A numeric or date question's community CDF as quantiles (None when the reply has none)."""
    cdf = _latest(question).get("forecast_values")
    if not cdf:
        return None
    try:
        points = range_points(question.get("scaling") or {}, len(cdf))
        forecast = quantiles_from_cdf_points(points, cdf)
    except (Invalid, SourceError, TypeError, ValueError) as error:
        reason = error.message if isinstance(error, Invalid) else str(error)
        raise SourceError(f"{source_name}: the community CDF could not be read: {reason}") from None
    return tuple(zip(forecast.levels, forecast.values, strict=True))


def parse_post(data: Any, now: datetime, source_name: str) -> tuple[CrowdSnapshot, list[str]]:
    question = data.get("question") if isinstance(data, dict) else None
    if not isinstance(question, dict):
        raise SourceError(f"{source_name}: not a Metaculus post with a question")
    if question.get("type") in CONTINUOUS:
        return _continuous(data, question, now, source_name)
    if question.get("type") != "binary":
        raise SourceError(
            f"{source_name}: only binary, numeric and date Metaculus questions are logged, "
            f"not {question.get('type')!r}"
        )
    notes = []
    probability = _latest_center(question)
    if probability is None:
        notes.append(f"no community aggregate in the reply (is {TOKEN_ENV} set, with data access?)")
    resolution = (
        RESOLUTIONS.get(str(question.get("resolution")).lower()) if question.get("resolution") else None
    )
    resolved_at = question.get("actual_resolve_time")
    snapshot = CrowdSnapshot(
        probability=probability,
        observed_at=now,
        **_title_and_url(data, question),
        resolution=resolution,
        resolved_at=as_utc(datetime.fromisoformat(resolved_at.replace("Z", "+00:00")))
        if resolution and resolved_at
        else None,
    )
    return snapshot, notes


CONTINUOUS = ("numeric", "date")


def _continuous(
    data: dict[str, Any], question: dict[str, Any], now: datetime, source_name: str
) -> tuple[CrowdSnapshot, list[str]]:
    resolution = question.get("resolution")
    if resolution not in (None, ""):  # its last aggregate is not a forecast made now
        notes = [f"Metaculus resolved it: {resolution}; enter the value on the question's page"]
        quantiles = None
    else:
        quantiles = crowd_quantiles(question, source_name)
        missing = f"no community aggregate in the reply (is {TOKEN_ENV} set, with data access?)"
        notes = [] if quantiles else [missing]
    snapshot = CrowdSnapshot(None, now, **_title_and_url(data, question), quantiles=quantiles)
    return snapshot, notes


def _title_and_url(data: dict[str, Any], question: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": str(data.get("title") or question.get("title") or ""),
        "url": f"https://www.metaculus.com/questions/{data.get('id')}/" if data.get("id") else None,
    }


def poll(config: SourceConfig, fetcher: Fetcher, now: datetime) -> PollResult:
    post = config.settings.get("post")
    if not post:
        raise SourceError(f"{config.name}: needs the post id (settings.post)")
    token = os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Token {token}"} if token else {}
    base = (config.url or DEFAULT_BASE).rstrip("/")
    response = fetcher.get(f"{base}/api/posts/{post}/", headers=headers, accept_not_modified=False)
    snapshot, notes = parse_post(load_json(response.body, config.name), now, config.name)
    return PollResult(snapshot=snapshot, notes=notes)


KINDS = (
    SourceKind(
        name="metaculus",
        label="Metaculus question",
        role="crowd",
        poll=poll,
        default_every=3600,
        url_help="the Metaculus API",
        note="Metaculus needs an API token: set METACULUS_TOKEN in the worker's environment.",
        default_url=DEFAULT_BASE,
        settings=(Setting("post", "the question's post id", required=True, example="3479"),),
        numeric=True,
    ),
)
