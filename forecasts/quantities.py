"""The values of numeric and date questions as people read them: a number with its unit, or a
date (stored as seconds since 1970, UTC)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime


def date_seconds(when: datetime) -> float:
    """A date question's value: seconds since 1970 (naive times are UTC)."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def shown_value(question_type: str, value: float, unit: str = "") -> str:
    """``56.82 USD`` for a number; ``2017-03-18`` (or with the time, when it has one) for a date."""
    if question_type == "date":
        when = datetime.fromtimestamp(value, UTC)
        return when.strftime("%Y-%m-%d" if when.time() == datetime.min.time() else "%Y-%m-%d %H:%M UTC")
    return f"{value:,.10g} {unit}".strip() if abs(value) >= 10_000 else f"{value:.10g} {unit}".strip()


def shown_quantiles(question_type: str, pairs: Sequence[Sequence[float]], unit: str = "") -> str:
    """``55 USD (90%: 48–62)`` for a median and 90 % interval, as quick entry takes it; else every
    level, the unit once: ``5%: 50 · 25%: 54 · 50%: 56 · 75%: 58 · 95%: 63 USD``."""
    levels = [round(float(level), 6) for level, _ in pairs]
    values = [shown_value(question_type, float(value)) for _, value in pairs]
    tail = f" {unit}" if unit and question_type != "date" else ""
    if levels == [0.05, 0.5, 0.95]:
        return f"{values[1]}{tail} (90%: {values[0]}–{values[2]})"
    return (
        " · ".join(
            f"{level:.4g}%: {value}" for level, value in zip([lv * 100 for lv in levels], values, strict=True)
        )
        + tail
    )
