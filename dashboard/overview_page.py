"""Overview: what needs attention now, the latest events, and the headline scores."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard.components.attention import show_attention
from dashboard.components.database import data_version, get_database
from dashboard.components.forms import local
from dashboard.components.text import markdown_link, plain
from dashboard.components.whats_new import show_whats_new
from services import demo, events, scores
from services.scores import Headline
from services.status import worker_status


@st.cache_data(ttl=30, show_spinner=False)
def load_headline(version: tuple[int, ...]) -> Headline:
    return scores.headline(get_database())


DEMO_INTRO = (
    "{note} Its questions ask what the summit would bring (a peace treaty, joint economic activity, "
    "the documents signed); its forecasters react to the news events linked to each question. "
    "Try the three jobs: **add a forecast** (Add forecast), **resolve a question** (Questions), "
    "**review calibration** (Calibration). Remove the demo on the Import & export page."
)


@st.cache_data(ttl=30, show_spinner=False)
def load_demo_loaded(version: tuple[int, ...]) -> bool:
    return demo.demo_loaded(get_database())


st.title("Overview")
now = datetime.now(UTC)
database = get_database()
if load_demo_loaded(data_version()):
    st.info(DEMO_INTRO.format(note=demo.DEMO_NOTE), icon=":material/school:")
show_attention(database, worker_status(database, now), now)
show_whats_new()

left, right = st.columns(2)
with left:
    st.subheader("Latest events")
    latest = events.latest_events(database, limit=8)
    if not latest:
        st.caption("No events yet.")
    for event in latest:  # one line each: the date beside its title (text: it comes from outside)
        when = local(event.occurred_at, "%Y-%m-%d")
        link = markdown_link("open", event.url)
        st.markdown(
            f"**{when}** {plain(event.title)} · {plain(event.source)}" + (f" · {link}" if link else "")
        )
    if latest:
        st.page_link("dashboard/timeline_page.py", label="All events on the timeline →")
with right:
    st.subheader("Scores so far")
    st.caption("Brier score, 0–1 scale, on each one's last forecast per question; lower is better.")
    headline = load_headline(data_version())
    if not headline.scores:
        st.caption("Scores appear once questions resolve.")
    if headline.scored_at is not None:
        st.caption(
            f"As scored {local(headline.scored_at)}: newer forecasts and resolutions are not counted yet. "
            "The worker rescores within a minute; the Calibration page rescores on opening."
        )
    ranked, unranked = scores.ranking(headline.scores)
    for place, standing in enumerate(ranked, start=1):
        st.metric(
            f"{place}. {plain(standing.forecaster)} · {scores.questions_count(standing.n_questions)}",
            f"{standing.brier:.3f}",
            help="Brier score, 0–1 scale (lower is better), on the last forecast per resolved question",
        )
    if unranked:
        st.caption(
            f"Too few resolved questions to rank (fewer than {scores.MIN_RANKED_QUESTIONS}): "
            + ", ".join(f"{plain(s.forecaster)} ({scores.questions_count(s.n_questions)})" for s in unranked)
        )
    st.page_link("dashboard/calibration_page.py", label="Calibration & scores →")
