"""Metaculus: ``GET {base}/api/posts/{id}/`` with ``Authorization: Token …`` from the environment.

The community median of a binary question is
``question.aggregations.recency_weighted.latest.centers[0]``; without data
access the aggregations come back empty, and we say so instead of guessing.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

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


def parse_post(data: Any, now: datetime, source_name: str) -> tuple[CrowdSnapshot, list[str]]:
    question = data.get("question") if isinstance(data, dict) else None
    if not isinstance(question, dict):
        raise SourceError(f"{source_name}: not a Metaculus post with a question")
    if question.get("type") != "binary":
        raise SourceError(
            f"{source_name}: only binary Metaculus questions are logged, not {question.get('type')!r}"
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
        title=str(data.get("title") or question.get("title") or ""),
        url=f"https://www.metaculus.com/questions/{data.get('id')}/" if data.get("id") else None,
        resolution=resolution,
        resolved_at=as_utc(datetime.fromisoformat(resolved_at.replace("Z", "+00:00")))
        if resolution and resolved_at
        else None,
    )
    return snapshot, notes


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
    ),
)
