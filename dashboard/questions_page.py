"""Questions: every question with its status, dates, tags and number of forecasts."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.database import get_database
from forecasts.questions import list_questions

DEMO_NOTE = (
    "Demo scenario: the December 2016 Abe–Putin summit. Outcomes and dates are real, "
    "with sources; the demo forecasts are illustrative."
)


@st.cache_data(ttl=10, show_spinner=False)
def load_questions() -> pd.DataFrame:
    with get_database().read_session() as session:
        rows = list_questions(session, now=datetime.now(UTC))
    return pd.DataFrame(
        {
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


st.title("Questions")
questions = load_questions()
if questions.empty:
    st.info("No questions yet. Load the demo with `python -m tracker demo`.")
else:
    st.caption(DEMO_NOTE)
    counts = questions["Status"].value_counts()
    columns = st.columns(4)
    columns[0].metric("Questions", len(questions))
    columns[1].metric("Open", int(counts.get("open", 0)))
    columns[2].metric("Resolved", int(counts.get("resolved", 0)))
    columns[3].metric("Forecasts", int(questions["Forecasts"].sum()))
    st.dataframe(
        questions,
        hide_index=True,
        width="stretch",
        height="content",
        column_config={
            "Question": st.column_config.TextColumn(width=440),
            "Status": st.column_config.TextColumn(width="small"),
            "Opens": st.column_config.DatetimeColumn(format="YYYY-MM-DD", timezone="UTC", width="small"),
            "Closes": st.column_config.DatetimeColumn(format="YYYY-MM-DD", timezone="UTC", width="small"),
            "Resolved": st.column_config.DatetimeColumn(format="YYYY-MM-DD", timezone="UTC", width="small"),
            "Forecasts": st.column_config.NumberColumn(width="small"),
        },
    )
