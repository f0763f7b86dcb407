"""A question's history chart: step lines per forecaster (or per option), its events, its resolution."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.charts import trajectory_chart
from dashboard.components.text import http_link, plain
from db import Database
from services import events, forecasts, questions


def linked_events(database: Database, question_id: int) -> pd.DataFrame:
    """The events linked to a question, newest first, as the chart and the table show them."""
    return events.events_frame(database, question_ids=[question_id], limit=500)


MARKERS = "▲ events: hover for the title, click to open the source. Red dashes: the resolution."


def _resolution_rule(detail: questions.QuestionDetail) -> pd.DataFrame:
    if not detail.is_resolved:
        return pd.DataFrame()
    return pd.DataFrame({"resolved_at": [detail.resolved_at], "outcome": [detail.outcome]})


def _binary(
    database: Database, detail: questions.QuestionDetail, linked: pd.DataFrame, now: datetime
) -> None:
    paths = forecasts.trajectories(database, [detail.id], now)
    if paths.empty:
        st.caption("No yes/no forecasts on this question yet.")
        return
    st.altair_chart(trajectory_chart(paths, linked, _resolution_rule(detail)), width="stretch")
    st.caption(f"Step lines: each forecaster's standing forecast (dashed: crowds). {MARKERS}")


def _options(
    database: Database, detail: questions.QuestionDetail, linked: pd.DataFrame, now: datetime
) -> None:
    paths = forecasts.option_trajectories(database, detail.id, now)
    if paths.empty:
        st.caption("No forecasts on this question yet.")
        return
    people = sorted(paths["forecaster"].unique())
    whose = st.selectbox("Whose forecasts", people, key=f"q-whose-{detail.id}")
    chart = trajectory_chart(
        paths[paths["forecaster"] == whose],
        linked,
        _resolution_rule(detail),
        series="option",
        series_order=list(detail.options),
        y_title="Probability",
        reference=1 / len(detail.options),
    )
    st.altair_chart(chart, width="stretch")
    st.caption(f"Step lines: {plain(whose)}'s standing probability for each option. {MARKERS}")


def show_history(
    database: Database,
    detail: questions.QuestionDetail,
    linked: pd.DataFrame | None = None,
    *,
    heading: bool = False,
) -> None:
    """The chart; ``linked`` are the question's events when the caller has read them already."""
    now = datetime.now(UTC)
    if linked is None:
        linked = linked_events(database, detail.id)
    linked = linked.assign(url=linked["url"].map(http_link))  # only http(s) markers are clickable
    if heading:
        st.markdown(f"**{plain(detail.title)}**")
    if detail.type == "binary":
        _binary(database, detail, linked, now)
    else:
        _options(database, detail, linked, now)
