"""Form pieces: errors shown next to their field in the page's own words, and the user's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.components.text import plain
from forecasts.errors import Invalid, NotFound, SummitWatchError

WARNING = ":material/warning:"


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
    """Placeholders under each field; after a submit, the error lands under the field it names.

    ``labels`` maps a service's field names to this form's labels ("forecaster" → "Forecaster"),
    so a message reads in the form's own words. An error for a field the form has no slot for
    lands in the slot called "form" (or above the form's end).
    """

    def __init__(self, labels: Mapping[str, str] | None = None) -> None:
        self.slots: dict[str, DeltaGenerator] = {}
        self.labels = dict(labels or {})

    def slot(self, *fields: str) -> None:
        """One placeholder for these fields, here in the form."""
        placeholder = st.empty()
        for field in fields:
            self.slots[field] = placeholder

    def show(self, error: SummitWatchError) -> None:
        if isinstance(error, Invalid):
            field = error.field if error.field in self.slots else error.field.partition(".")[0]
            target = self.slots.get(field) or self.slots.get("form")
            label = self.labels.get(error.field) or self.labels.get(field)
            message = f"{label}: {error.message}" if label else error.message[:1].upper() + error.message[1:]
        else:
            target, message = self.slots.get("form"), error.message
        (target or st).error(plain(message), icon=WARNING)  # messages quote what was typed


def not_found(error: NotFound, back_page: str, back_label: str) -> None:
    """A missing record (an old link, a mistyped id): say so and offer the way back."""
    message = f"There is {error.message}: it may have been deleted, or the link is mistyped."
    st.warning(plain(message), icon=WARNING)  # the key came from the address bar: text, not Markdown
    st.page_link(back_page, label=back_label, icon=":material/arrow_back:")
