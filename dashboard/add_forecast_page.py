"""Add forecast: one line (`Will … by DATE? 70%`) or explicit fields, on a new or an existing question."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import streamlit as st
from sqlalchemy import select

from dashboard.database import get_database
from dashboard.forms import FieldErrors, user_timezone
from db.models import Question
from forecasts.entry import parse_probability, parse_quick_entry
from forecasts.errors import ValidationError
from forecasts.questions import list_questions
from forecasts.services import add_forecast, create_question

NEW = "A new question"
FORM_KEY = "add_forecast"


def open_binary_questions() -> dict[str, int]:
    with get_database().read_session() as session:
        rows = list_questions(session, now=datetime.now(UTC))
    return {r.title: r.id for r in rows if r.status == "open" and r.type == "binary"}


def save(
    *,
    title: str,
    question_id: int | None,
    closes_on: date | None,
    probability_text: str,
    forecaster: str,
    rationale: str,
    tags: str,
) -> tuple[int, str]:
    """Create the question if needed and add the forecast, in one transaction."""
    probability = parse_probability(probability_text)
    with get_database().write_session() as session:
        if question_id is None:
            existing = session.scalar(select(Question.id).where(Question.title == title.strip()))
            if existing is not None:
                question_id = existing
            else:
                closes = (
                    datetime.combine(closes_on, time(23, 59, 59), tzinfo=user_timezone()).astimezone(UTC)
                    if closes_on
                    else None
                )
                question_id = create_question(
                    session, title=title, closes_at=closes, tags=[t for t in tags.split(",")]
                ).id
        add_forecast(
            session,
            question_id=question_id,
            forecaster=forecaster,
            probability=probability,
            rationale=rationale,
        )
    return question_id, f"{probability:.0%}"


def confirm(forecaster: str, shown: str, title: str, question_id: int) -> None:
    """After a save: remember who is forecasting, refresh cached reads, link to the question."""
    st.session_state["me"] = forecaster.strip()
    st.cache_data.clear()
    st.success(f"Saved {shown} on “{title}”.")
    st.page_link(
        "dashboard/questions_page.py", label="Open the question", query_params={"question": str(question_id)}
    )


st.title("Add a forecast")
st.caption("Probabilities can be written as 70, 70%, 0.7, odds 7:3 or 1 in 20.")
quick, explicit = st.tabs(["Quick entry", "Fields"])

with quick, st.form("quick_entry", enter_to_submit=True):
    errors = FieldErrors()
    line = st.text_input(
        "One line", key="qe_line", placeholder="Will Russia hand over Shikotan by 2030-12-31? 5%"
    )
    errors.slot("quick entry")
    errors.slot("title")
    errors.slot("probability")
    errors.slot("date")
    who = st.text_input("Forecaster", value=st.session_state.get("me", ""), key="qe_who")
    errors.slot("forecaster")
    errors.slot("made_at")
    errors.slot("closes_at")
    errors.slot("question")
    if st.form_submit_button("Save", type="primary"):
        try:
            entry = parse_quick_entry(line)
            closes_on = entry.closes_at.date() if entry.closes_at else None
            question_id, shown = save(
                title=entry.title,
                question_id=None,
                closes_on=closes_on,
                probability_text=f"{entry.probability * 100:g}%",
                forecaster=who,
                rationale="",
                tags="",
            )
        except ValidationError as error:
            errors.show(error.field, error.message)
        else:
            confirm(who, shown, entry.title, question_id)

with explicit:
    choices = open_binary_questions()
    which = st.selectbox("Question", [NEW, *choices], key="fx_which")
    with st.form("fields_entry", enter_to_submit=False):
        errors = FieldErrors()
        if which == NEW:
            title = st.text_input("Question", key="fx_title", placeholder="Will … ?")
            errors.slot("title")
            closes_on = st.date_input(
                "Closes on (your time zone)", value=None, key="fx_closes", format="YYYY-MM-DD"
            )
            errors.slot("closes_at")
            tags = st.text_input("Tags (comma-separated)", key="fx_tags")
        else:
            title, closes_on, tags = which, None, ""
        probability_text = st.text_input("Probability of yes", key="fx_p", placeholder="70%")
        errors.slot("probability")
        forecaster = st.text_input("Forecaster", value=st.session_state.get("me", ""), key="fx_who")
        errors.slot("forecaster")
        rationale = st.text_area("Why (optional)", key="fx_why", height=80)
        errors.slot("made_at")
        errors.slot("question")
        if st.form_submit_button("Save forecast", type="primary"):
            try:
                question_id, shown = save(
                    title=title,
                    question_id=choices.get(which),
                    closes_on=closes_on,
                    probability_text=probability_text,
                    forecaster=forecaster,
                    rationale=rationale,
                    tags=tags,
                )
            except ValidationError as error:
                errors.show(error.field, error.message)
            else:
                confirm(forecaster, shown, title, question_id)
