"""Timeline: what happened, and how forecasts moved around it."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.charts import event_timeline_chart
from dashboard.components.database import data_version, get_database
from dashboard.components.history import show_history
from dashboard.components.tables import show_events
from services import events, questions
from services.events import EVENT_ROW_LIMIT

BRUSH = "when"


@st.cache_data(ttl=30, show_spinner=False)
def load_counts(version: tuple[int, ...]) -> pd.DataFrame:
    return events.event_counts(get_database())


@st.cache_data(ttl=30, show_spinner=False)
def load_events(
    version: tuple[int, ...], start: datetime | None, end: datetime | None, tag: str | None
) -> pd.DataFrame:
    return events.events_frame(get_database(), start=start, end=end, tag=tag)


st.title("Timeline")
version = data_version()
counts = load_counts(version)
if counts.empty:
    st.info("No events yet: enable a source on Sources & jobs, or load the demo.")
    st.stop()
st.caption("Events per day and source (UTC). Drag across the chart to filter the table below.")
selection = st.altair_chart(
    event_timeline_chart(counts, BRUSH), width="stretch", on_select="rerun", key="timeline_brush"
)
brushed = (selection.selection.get(BRUSH) or {}).get("day") if selection else None
start = end = None
if brushed:
    start, end = (datetime.fromtimestamp(v / 1000, tz=UTC) for v in brushed)
tag = st.text_input("Tag", key="tl_tag", placeholder="e.g. territory") or None
shown = load_events(version, start, end, tag)
label = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start and end else "all dates"
st.caption(f"{len(shown)} events, {label} (newest first, at most {EVENT_ROW_LIMIT:,}).")
show_events(shown, with_tags=True)

st.subheader("Forecasts around the events")
titles = {title: question_id for question_id, title in questions.question_titles(get_database())}
picked = st.multiselect(
    "Questions", list(titles), default=list(titles)[:1], key="tl_questions", max_selections=4
)
for title in picked:
    show_history(get_database(), questions.get_question(get_database(), titles[title]), heading=True)
