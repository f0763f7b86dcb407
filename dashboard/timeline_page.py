"""Timeline: what happened, and how forecasts moved around it."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.charts import event_timeline_chart, trajectory_chart
from dashboard.database import data_version, get_database
from forecasts.services import current_resolution, get_question
from forecasts.views import event_counts, events_frame, question_titles, trajectories

BRUSH = "when"


@st.cache_data(ttl=30, show_spinner=False)
def load_counts(version: tuple[int, ...]) -> pd.DataFrame:
    with get_database().read_session() as session:
        return event_counts(session)


@st.cache_data(ttl=30, show_spinner=False)
def load_events(
    version: tuple[int, ...], start: datetime | None, end: datetime | None, tag: str | None
) -> pd.DataFrame:
    with get_database().read_session() as session:
        return events_frame(session, start=start, end=end, tag=tag)


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
events = load_events(version, start, end, tag)
label = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start else "all dates"
st.caption(f"{len(events)} events, {label} (newest first, at most 2,000).")
st.dataframe(
    events[["occurred_at", "title", "source", "tags", "url"]],
    hide_index=True,
    width="stretch",
    column_config={
        "occurred_at": st.column_config.DatetimeColumn(
            "When (UTC)", format="YYYY-MM-DD HH:mm", timezone="UTC"
        ),
        "title": st.column_config.TextColumn("Event", width="large"),
        "url": st.column_config.LinkColumn("Link", display_text="open"),
    },
)

st.subheader("Forecasts around the events")
with get_database().read_session() as session:
    questions = dict(question_titles(session))
titles = {title: qid for qid, title in questions.items()}
picked = st.multiselect(
    "Questions", list(titles), default=list(titles)[:1], key="tl_questions", max_selections=4
)
now = datetime.now(UTC)
for title in picked:
    qid = titles[title]
    with get_database().read_session() as session:
        paths = trajectories(session, [qid], now)
        linked = events_frame(session, question_ids=[qid], limit=500)
        resolution = current_resolution(get_question(session, qid))
        rule = (
            pd.DataFrame(
                {
                    "resolved_at": [resolution.resolved_at],
                    "outcome": [resolution.option or resolution.outcome],
                }
            )
            if resolution
            else pd.DataFrame()
        )
    st.markdown(f"**{title}**")
    if paths.empty:
        st.caption("No yes/no forecasts on this question.")
    else:
        st.altair_chart(trajectory_chart(paths, linked, rule), width="stretch")
