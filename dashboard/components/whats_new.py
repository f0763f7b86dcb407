"""What is new since your last forecasts: linked events that happened after you last forecast."""

from __future__ import annotations

import streamlit as st

from dashboard.components.database import data_version, get_database
from dashboard.components.me import my_name
from dashboard.components.text import plain
from services import event_links, forecasts

QUESTION_PAGE = "dashboard/questions_page.py"


@st.cache_data(ttl=30, show_spinner=False)
def _latest_person(version: tuple[int, ...]) -> str | None:
    return forecasts.latest_person(get_database())


def me() -> str | None:
    """Who "you" are: the name remembered from the forms, else whoever forecast most recently."""
    return my_name() or _latest_person(data_version())


def _remember() -> None:
    st.session_state["me"] = st.session_state.get("whats_new_me")


def current_person() -> str | None:
    """A picker for who "you" are, starting from :func:`me`; a change is remembered."""
    people = forecasts.forecasters(get_database())[0]
    if not people:
        return None
    default = me()
    default = default if default in people else people[0]
    return st.selectbox(
        "You are",
        people,
        index=people.index(default),
        key="whats_new_me",
        on_change=_remember,
        help="Remembered from the forecasts you save.",
    )


def show_whats_new() -> None:
    st.subheader("New since your last forecasts")
    person = current_person()
    if person is None:
        st.caption("Add a forecast first: then the events that happen after it show here.")
        return
    news = event_links.new_since_last_forecast(get_database(), person)
    n_events, n_questions = event_links.count_new(news)
    if not news:
        st.caption(f"No new linked events on {plain(person)}'s open questions since their last forecasts.")
        return
    events_word, questions_word = "event" + "s" * (n_events != 1), "question" + "s" * (n_questions != 1)
    st.markdown(
        f"**{n_events} new {events_word} on {n_questions} {questions_word}** since your last forecasts"
    )
    for item in news[:8]:
        latest = item.events[0][1]
        st.page_link(
            QUESTION_PAGE,
            label=plain(f"{len(item.events)} new · {item.question_title} (latest: {latest[:70]})"),
            query_params={"question": str(item.question_id)},
            icon=":material/fiber_new:",
        )
