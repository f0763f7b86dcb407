"""Questions: the list with its filters, or one question in detail (deep link ``?question=ID``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.database import data_version, get_database
from dashboard.components.question_page import show_question
from dashboard.components.tables import show_questions
from services import demo, questions
from services.questions import QuestionFilter

VIEWS = {
    "all": "All",
    "ready": "Ready to resolve",
    "soon": "Resolving soon (7 days)",
    "recently_resolved": "Resolved in the last 7 days",
}


@st.cache_data(ttl=30, show_spinner=False)
def load_questions(version: tuple[int, ...]) -> list[questions.QuestionSummary]:
    """Every question, read once per data version; the filters run on this list."""
    return questions.list_questions(get_database(), now=datetime.now(UTC))


def as_frame(rows: list[questions.QuestionSummary]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [row.__dict__ for row in rows], columns=list(questions.QuestionSummary.__dataclass_fields__)
    )
    frame["tags"] = frame["tags"].map(", ".join)
    frame["open"] = "/questions?question=" + frame["id"].astype(str)
    return frame


def filters(tags: list[str]) -> QuestionFilter:
    with st.container(horizontal=True):
        text = st.text_input("Search", key="q_text", placeholder="words in the question")
        statuses = st.multiselect("Status", questions.STATUSES, key="q_status")
        tag = st.selectbox("Tag", ["(all)", *tags], key="q_tag")
    view = st.segmented_control(
        "Show", list(VIEWS), format_func=VIEWS.__getitem__, default="all", key="q_view"
    )
    return QuestionFilter(
        text=text, statuses=tuple(statuses), tag=None if tag == "(all)" else tag, view=view or "all"
    )


def show_list() -> None:
    st.title("Questions")
    version = data_version()
    everything = as_frame(load_questions(version))
    if everything.empty:
        st.info(
            "No questions yet. Add one on the Add forecast page, "
            "or load the demo with `python -m tracker demo`."
        )
        return
    if everything["uid"].str.startswith(demo.DEMO_UID_PREFIX).any():
        st.caption(demo.DEMO_NOTE)
    wanted = filters(questions.all_tags(get_database()))
    shown = as_frame(questions.filter_questions(load_questions(version), wanted))
    columns = st.columns(4)
    columns[0].metric("Questions", len(everything))
    columns[1].metric("Open", int((everything["status"] == "open").sum()))
    columns[2].metric("Ready to resolve", int(everything["ready_to_resolve"].sum()))
    columns[3].metric("Forecasts", int(everything["n_forecasts"].sum()))
    st.caption(f"{len(shown)} shown. Times in UTC; open a question for its chart and forms.")
    show_questions(shown)


selected = st.query_params.get("question")
if selected:
    show_question(selected)
else:
    show_list()
