"""Shared form pieces: field errors shown next to their field, and the user's timezone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st


def user_timezone() -> tzinfo:
    """The browser's timezone (times are stored in UTC and shown in local time)."""
    name = getattr(st.context, "timezone", None)
    try:
        return ZoneInfo(name) if name else UTC
    except ZoneInfoNotFoundError:
        return UTC


def local(when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if when is None:
        return "—"
    zone = user_timezone()
    return f"{when.astimezone(zone):{fmt}} {when.astimezone(zone).tzname()}"


class FieldErrors:
    """Placeholders under each field; after a submit, each gets its own message."""

    def __init__(self) -> None:
        self.slots: dict[str, st.delta_generator.DeltaGenerator] = {}

    def slot(self, field: str) -> None:
        self.slots[field] = st.empty()

    def show(self, field: str, message: str) -> None:
        target = self.slots.get(field) or self.slots.get("form")
        (target or st).error(f"{message}", icon=":material/warning:")
