"""Questions: the list with its filters, or one question in detail (deep link ``?question=ID``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.database import data_version, get_database
from dashboard.components.question_page import show_question
from dashboard.components.tables import show_questions
from dashboard.components.whats_new import me
from services import demo, event_links, questions
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


@st.cache_data(ttl=30, show_spinner=False)
def load_new(version: tuple[int, ...], person: str | None) -> dict[int, int]:
    """New linked events per open question since ``person``'s last forecast on it."""
    if not person:
        return {}
    return {n.question_id: len(n.events) for n in event_links.new_since_last_forecast(get_database(), person)}


@st.cache_data(ttl=30, show_spinner=False)
def load_shown(version: tuple[int, ...], wanted: QuestionFilter, person: str | None) -> pd.DataFrame:
    """The filtered list as a table, kept per data version, filter and person."""
    rows = questions.filter_questions(load_questions(version), wanted)
    frame = pd.DataFrame(
        [row.__dict__ for row in rows], columns=list(questions.QuestionSummary.__dataclass_fields__)
    )
    frame["tags"] = frame["tags"].map(", ".join)
    frame["outcome"] = frame["outcome"].fillna("")  # open questions: blank, not "None"
    frame["open"] = "/questions?question=" + frame["id"].astype(str)
    new = load_new(version, person)
    frame["new_events"] = frame["id"].map(new).astype("Int64")
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
    everything = load_questions(version)
    if not everything:
        st.info(
            "No questions yet. Add one on the Add forecast page, "
            "or load the demo with `python -m tracker demo`."
        )
        return
    if any(q.uid.startswith(demo.DEMO_UID_PREFIX) for q in everything):
        st.caption(demo.DEMO_NOTE)
    wanted = filters(sorted({tag for q in everything for tag in q.tags}))
    shown = load_shown(version, wanted, me())
    columns = st.columns(4)
    columns[0].metric("Questions", len(everything))
    columns[1].metric("Open", sum(q.status == "open" for q in everything))
    columns[2].metric("Ready to resolve", sum(q.ready_to_resolve for q in everything))
    columns[3].metric("Forecasts", sum(q.n_forecasts for q in everything))
    st.caption(f"{len(shown)} shown. Times in UTC; open a question for its chart and forms.")
    show_questions(shown)


selected = st.query_params.get("question")
if selected:
    show_question(selected)
else:
    show_list()
