"""Reading one cell of an imported file: times, probabilities, lists, yes/no words.

Each reader raises :class:`CellError` with a message that says what was found
and what is allowed; the format readers add the line number and column.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from db.rules import SUM_TOLERANCE


class CellError(ValueError):
    pass


def parse_time(text: str) -> datetime:
    """ISO 8601 (``2016-12-15``, ``2016-12-15 06:00``, ``…T06:00:00.123456Z``, ``…+09:00``).

    A time without a zone is read as UTC: every format we import writes UTC.
    """
    value = text.strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise CellError(f"{text!r} is not a date; write it as 2016-12-15 or 2016-12-15T06:00:00Z") from None
    if when.tzinfo is UTC:  # '…Z' parses straight to UTC: the common case, kept cheap
        return when
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_optional_time(text: str) -> datetime | None:
    return parse_time(text) if text.strip() else None


def parse_number(text: str) -> float:
    try:
        value = float(text.strip().rstrip("%").strip())
    except ValueError:
        raise CellError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise CellError(f"{text!r} is not a finite number")
    return value


def parse_unit_probability(text: str) -> float:
    """A probability on the 0–1 scale."""
    if text.strip().endswith("%"):
        return parse_percent(text)
    value = parse_number(text)
    if not 0.0 <= value <= 1.0:
        raise CellError(f"{text!r} is outside 0–1 (this column is on the 0–1 scale)")
    return value


def parse_percent(text: str) -> float:
    """A probability on the 0–100 scale, returned on 0–1."""
    value = parse_number(text)
    if not 0.0 <= value <= 100.0:
        raise CellError(f"{text!r} is outside 0–100 (this column is in percent)")
    return value / 100.0


def parse_list(text: str, what: str) -> tuple:
    """A JSON array, as our exports write lists ('' is no list)."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        raise CellError(f'{what} must be a JSON list such as ["a", "b"], got {text!r}') from None
    if not isinstance(values, list):
        raise CellError(f"{what} must be a JSON list, got {text!r}")
    return tuple(values)


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags as a JSON list (ours) or separated by commas or semicolons (other trackers)."""
    stripped = text.strip()
    if stripped.startswith("["):
        raw = parse_list(stripped, "tags")
    else:
        raw = tuple(stripped.replace(";", ",").split(","))
    return tuple(sorted({str(t).strip().lower() for t in raw if str(t).strip()}))


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise CellError(f"{text!r} is not true or false")


def check_option_probabilities(values: tuple, options: tuple[str, ...] | None) -> tuple[float, ...]:
    if options is None:
        raise CellError("a yes/no question takes a probability, not option probabilities")
    numbers = tuple(float(v) for v in values)
    if len(numbers) != len(options):
        raise CellError(f"{len(numbers)} probabilities for {len(options)} options")
    if any(not 0.0 <= v <= 1.0 for v in numbers):
        raise CellError("each option probability must be within 0–1")
    if abs(sum(numbers) - 1.0) > SUM_TOLERANCE:
        raise CellError(f"option probabilities sum to {sum(numbers):.4f}, not 1")
    return numbers
