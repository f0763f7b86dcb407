"""The Add forecast page's two ways in: one line of quick entry, or explicit fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import streamlit as st

from dashboard.components.database import get_database, refresh
from dashboard.components.event_links import because_picker
from dashboard.components.forms import FieldErrors, user_timezone
from dashboard.components.text import plain
from forecasts.entry import parse_probability, parse_quick_entry
from forecasts.errors import SummitWatchError
from forecasts.rules import split_tags
from services import event_links, forecasts
from services.forecasts import ForecastInput, SavedForecast
from services.questions import NewQuestion

LABELS = {
    "forecaster": "Forecaster",
    "probability": "Probability",
    "title": "Question",
    "closes_at": "Closes on",
}


def _closing(day: date | None) -> datetime | None:
    """The end of that day in the user's time zone, in UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=user_timezone()).astimezone(UTC) if day else None


def confirm(saved: SavedForecast) -> None:
    """After a save: remember who is forecasting, refresh cached reads, link to the question."""
    st.session_state["me"] = saved.forecaster
    refresh()
    st.success(f"Saved {saved.probability:.0%} on “{plain(saved.question_title)}”.")
    st.page_link(
        "dashboard/questions_page.py",
        label="Open the question",
        query_params={"question": str(saved.question_id)},
    )


def save_quick(line: str, who: str, errors: FieldErrors) -> None:
    try:
        entry = parse_quick_entry(line)
        new = NewQuestion(title=entry.title, closes_at=entry.closes_at)
        saved = forecasts.forecast_on_title(
            get_database(), new, ForecastInput(who, probability=entry.probability)
        )
    except SummitWatchError as error:
        errors.show(error)
    else:
        confirm(saved)


@dataclass(frozen=True)
class Entered:
    title: str
    closes_on: date | None
    tags: str
    probability: str
    forecaster: str
    rationale: str
    because: list[int]


def fields_form(question_id: int | None, errors: FieldErrors) -> Entered:
    """The fields; a new question (``question_id`` None) also asks for its title, close and tags."""
    new_question = question_id is None
    title, closes_on, tags = "", None, ""
    if new_question:
        title = st.text_input("Question", key="fx_title", placeholder="Will … ?")
        errors.slot("title")
        closes_on = st.date_input(
            "Closes on (your time zone)", value=None, key="fx_closes", format="YYYY-MM-DD"
        )
        errors.slot("closes_at", "resolve_by")
        tags = st.text_input("Tags (comma-separated)", key="fx_tags")
    probability = st.text_input("Probability of yes", key="fx_p", placeholder="70%")
    errors.slot("probability")
    forecaster = st.text_input("Forecaster", value=st.session_state.get("me", ""), key="fx_who")
    errors.slot("forecaster")
    rationale = st.text_area("Why (optional)", key="fx_why", height=80)
    because: list[int] = []
    if question_id is not None:
        linked = event_links.linked_events(get_database(), question_id, limit=200)
        because = because_picker(linked, key=f"fx_because_{question_id}")
    errors.slot("made_at", "question", "tags", "form", "event")
    return Entered(title, closes_on, tags, probability, forecaster, rationale, because)


def save_fields(entered: Entered, question_id: int | None, errors: FieldErrors) -> None:
    try:
        given = ForecastInput(
            entered.forecaster,
            probability=parse_probability(entered.probability),
            rationale=entered.rationale,
            because=entered.because,
        )
        if question_id is None:
            new = NewQuestion(
                title=entered.title, closes_at=_closing(entered.closes_on), tags=split_tags(entered.tags)
            )
            saved = forecasts.forecast_on_title(get_database(), new, given)
        else:
            saved = forecasts.add_forecast(get_database(), question_id, given)
    except SummitWatchError as error:
        errors.show(error)
    else:
        confirm(saved)
