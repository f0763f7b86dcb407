"""One question in detail: its history chart, latest forecasts, linked events, and its two forms."""

from __future__ import annotations

import streamlit as st

from dashboard.components.crowd_moves import show_crowd_moves
from dashboard.components.database import get_database
from dashboard.components.event_links import find_events, show_linked
from dashboard.components.forms import local, not_found
from dashboard.components.history import show_history
from dashboard.components.question_forms import forecast_form, resolution_form
from dashboard.components.tables import show_latest_forecasts
from dashboard.components.text import plain
from dashboard.components.whats_new import me
from forecasts.errors import NotFound
from services import event_links, forecasts, questions
from services.event_links import LinkedEvent
from services.questions import QuestionDetail

LIST_PAGE = "dashboard/questions_page.py"


def _header(detail: QuestionDetail) -> None:
    st.page_link(LIST_PAGE, label="← All questions")
    st.header(plain(detail.title))
    if detail.is_resolved:
        status = f"Resolved **{plain(detail.outcome)}** on {local(detail.resolved_at)}"
    else:
        status = f"Open; closes {local(detail.closes_at)}"
    tags = plain(", ".join(detail.tags)) or "—"
    st.markdown(f"{status} · opened {local(detail.opens_at, '%Y-%m-%d')} · tags: {tags}")
    if detail.resolution_criteria:
        st.caption(f"Resolution criteria: {plain(detail.resolution_criteria)}")


def _latest(detail: QuestionDetail) -> None:
    st.subheader("Latest forecasts")
    latest = forecasts.latest_forecasts(get_database(), detail.id)
    if latest.empty:
        st.info("No forecasts yet.")
    else:
        show_latest_forecasts(latest, detail.type, detail.options, detail.unit)


def show_question(selected: str) -> None:
    """The question whose id is ``selected`` (from the URL); a bad or unknown id says so."""
    try:
        if not selected.isdigit():
            raise NotFound("question", selected)
        detail = questions.get_question(get_database(), int(selected))
    except NotFound as error:
        st.title("Questions")
        not_found(error, LIST_PAGE, "All questions")
        return
    _header(detail)
    # Read once: the chart's rules, the linked list and the forecast form's "because of".
    linked: list[LinkedEvent] = event_links.linked_events(get_database(), detail.id, forecaster=me())
    show_history(get_database(), detail, linked)
    show_crowd_moves(detail)
    left, right = st.columns([3, 2])
    with left:
        _latest(detail)
    with right:
        if detail.is_resolved:
            st.info("Resolved questions take no new forecasts.")
        else:
            forecast_form(detail, linked)
        resolution_form(detail)
    show_linked(detail, linked)
    find_events(detail, linked)
