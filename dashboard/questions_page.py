"""Questions: the list with its filters, or one question in detail (deep link ``?question=ID``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.database import data_version, get_database
from dashboard.question_detail import show_question
from forecasts.demo import DEMO_UID_PREFIX
from forecasts.questions import list_questions
from forecasts.views import attention, resolving_soon_ids

DEMO_NOTE = (
    "Demo scenario: the December 2016 Abe–Putin summit. Outcomes and dates are real, "
    "with sources; the demo forecasts are illustrative."
)
VIEWS = ("All", "Ready to resolve", "Resolving soon (7 days)", "Resolved in the last 7 days")


@st.cache_data(ttl=30, show_spinner=False)
def load_questions(version: tuple[int, ...]) -> tuple[pd.DataFrame, set[int], set[int]]:
    now = datetime.now(UTC)
    with get_database().read_session() as session:
        rows = list_questions(session, now=now)
        ready = set(attention(session).ready_to_resolve["question_id"].tolist())
        soon = resolving_soon_ids(session, now)
    frame = pd.DataFrame(
        {
            "id": [r.id for r in rows],
            "uid": [r.uid for r in rows],
            "Question": [r.title for r in rows],
            "Status": [r.status for r in rows],
            "Outcome": [r.outcome or "" for r in rows],
            "Opens": [r.opens_at for r in rows],
            "Closes": [r.closes_at for r in rows],
            "Resolved": [r.resolved_at for r in rows],
            "Tags": [", ".join(r.tags) for r in rows],
            "Forecasts": [r.n_forecasts for r in rows],
        }
    )
    frame["Open"] = "/questions?question=" + frame["id"].astype(str)
    return frame, ready, soon


def show_list() -> None:
    st.title("Questions")
    questions, ready, soon = load_questions(data_version())
    if questions.empty:
        st.info(
            "No questions yet. Add one on the Add forecast page, "
            "or load the demo with `python -m tracker demo`."
        )
        return
    if questions["uid"].str.startswith(DEMO_UID_PREFIX).any():
        st.caption(DEMO_NOTE)
    with st.container(horizontal=True):
        text = st.text_input("Search", key="q_text", placeholder="words in the question")
        statuses = st.multiselect("Status", ["open", "closed", "resolved", "annulled"], key="q_status")
        tags = sorted({t for cell in questions["Tags"] for t in cell.split(", ") if t})
        tag = st.selectbox("Tag", ["(all)", *tags], key="q_tag")
    view = st.segmented_control("Show", VIEWS, default="All", key="q_view")
    shown = questions
    if text:
        shown = shown[shown["Question"].str.contains(text, case=False, regex=False)]
    if statuses:
        shown = shown[shown["Status"].isin(statuses)]
    if tag != "(all)":
        shown = shown[shown["Tags"].str.split(", ").map(lambda t: tag in t)]
    week_ago = pd.Timestamp(datetime.now(UTC) - timedelta(days=7))
    if view == VIEWS[1]:
        shown = shown[shown["id"].isin(ready)]
    elif view == VIEWS[2]:
        shown = shown[shown["id"].isin(soon)]
    elif view == VIEWS[3]:
        shown = shown[pd.to_datetime(shown["Resolved"], utc=True) >= week_ago]
    counts = questions["Status"].value_counts()
    columns = st.columns(4)
    columns[0].metric("Questions", len(questions))
    columns[1].metric("Open", int(counts.get("open", 0)))
    columns[2].metric("Ready to resolve", len(ready))
    columns[3].metric("Forecasts", int(questions["Forecasts"].sum()))
    st.caption(f"{len(shown)} shown. Times in UTC; open a question for its chart and forms.")
    st.dataframe(
        shown.drop(columns=["id", "uid"]),
        hide_index=True,
        width="stretch",
        height="content" if len(shown) <= 40 else 600,
        column_order=["Open", "Question", "Status", "Outcome", "Closes", "Resolved", "Tags", "Forecasts"],
        column_config={
            "Open": st.column_config.LinkColumn("", display_text="Open", width="small"),
            "Question": st.column_config.TextColumn(width=440),
            "Status": st.column_config.TextColumn(width="small"),
            "Closes": st.column_config.DatetimeColumn(format="YYYY-MM-DD", timezone="UTC", width="small"),
            "Resolved": st.column_config.DatetimeColumn(format="YYYY-MM-DD", timezone="UTC", width="small"),
            "Forecasts": st.column_config.NumberColumn(width="small"),
        },
    )


selected = st.query_params.get("question")
if selected and selected.isdigit():
    show_question(int(selected))
else:
    show_list()
