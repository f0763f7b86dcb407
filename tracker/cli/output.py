"""Printing what commands return: JSON-ready values and numbers (light: the ``score`` command,
which needs no database, imports only this)."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime
from typing import Any

import click


def plain(value: Any) -> Any:
    """JSON-ready: dataclasses to dicts, tuples to lists, times to ISO 8601, NaN to null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def echo_json(value: Any) -> None:
    click.echo(json.dumps(plain(value), indent=2, ensure_ascii=False))


def number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"
