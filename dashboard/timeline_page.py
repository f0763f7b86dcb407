"""Timeline: what happened, how forecasts moved around it, and tying events to questions."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.charts import event_timeline_chart
from dashboard.components.database import data_version, get_database, refresh
from dashboard.components.event_links import RULE_HELP, best_matches, search_hits, show_hits
from dashboard.components.history import show_history
from dashboard.components.tables import show_events
from dashboard.components.text import plain
from services import event_links, events, questions
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


@st.cache_data(ttl=30, show_spinner=False)
def load_liveliest(version: tuple[int, ...]) -> int | None:
    return event_links.liveliest_question(get_database())


def _brushed(selection: object) -> tuple[datetime | None, datetime | None]:
    chosen = (getattr(selection, "selection", None) or {}).get(BRUSH) or {}
    days = chosen.get("day") if isinstance(chosen, dict) else None
    if not days:
        return None, None
    start, end = (datetime.fromtimestamp(v / 1000, tz=UTC) for v in days)
    return start, end


def _link_to_question(chosen: list[int], titles: dict[str, int]) -> None:
    """Link the selected events (ids) to a question picked here."""
    if not chosen:
        st.caption("Select rows to link them to a question.")
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    which = left.selectbox("Link the selected to", list(titles), key="tl_link_to")
    if which and right.button(f"Link {len(chosen)}", key="tl_link", type="primary", icon=":material/link:"):
        for event_id in chosen:
            event_links.link_event(get_database(), event_id, titles[which])
        refresh()
        st.session_state["tl_linked"] = f"Linked {len(chosen)} event(s) to “{which}”."
        st.rerun()


def _search(titles: dict[str, int]) -> bool:
    """The search box and its ranked results; True when a search is shown."""
    query = st.text_input(
        "Search all events", key="tl_search", placeholder='kuril* OR "northern territories"', help=RULE_HELP
    )
    if said := st.session_state.pop("tl_linked", None):
        st.success(plain(said))
    if not query.strip():
        return False
    hits = search_hits(query)
    if hits is None:
        return True
    if not hits:
        st.caption("No events match.")
        return True
    st.caption(f"{best_matches(len(hits))} (matches in «guillemets»).")
    _link_to_question([hit.id for hit in show_hits(hits, set(), key="tl_hits")], titles)
    return True


st.title("Timeline")
version = data_version()
counts = load_counts(version)
if counts.empty:
    st.info("No events yet: enable a source on Sources & jobs, or load the demo.")
    st.stop()
st.caption(
    "Events per day and source (UTC). Drag across the chart to zoom the forecasts below and filter the table."
)
selection = st.altair_chart(
    event_timeline_chart(counts, BRUSH), width="stretch", on_select="rerun", key="timeline_brush"
)
start, end = _brushed(selection)
titles = {title: question_id for question_id, title in questions.question_titles(get_database())}
if not _search(titles):
    tag = st.text_input("Tag", key="tl_tag", placeholder="e.g. territory") or None
    shown = load_events(version, start, end, tag)
    label = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}" if start and end else "all dates"
    st.caption(f"{len(shown)} events, {label} (newest first, at most {EVENT_ROW_LIMIT:,}).")
    rows = show_events(shown, with_tags=True, key="tl_events")
    _link_to_question([int(shown["id"].iloc[row]) for row in rows], titles)

st.subheader("Forecasts around the events")
liveliest = load_liveliest(version)
ordered = sorted(titles, key=lambda t: titles[t] != liveliest)  # the liveliest first
LIVELY_HELP = (
    "Opens on the question with the most updates and linked events "
    "in the two months before its last forecast."
)
picked = st.multiselect(
    "Questions", ordered, default=ordered[:1], key="tl_questions", max_selections=4, help=LIVELY_HELP,
)  # fmt: skip
domain = (pd.Timestamp(start), pd.Timestamp(end)) if start and end else None
for title in picked:
    show_history(
        get_database(), questions.get_question(get_database(), titles[title]), heading=True, domain=domain
    )
