"""A question's history chart: step lines per forecaster (or per option), the events linked to it as
labelled rules, each step that cites an event joined to it, and the resolution."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.charts import fan_chart, trajectory_chart
from dashboard.components.text import http_link, plain
from db import Database
from services import event_links, forecasts, questions
from services.event_links import LinkedEvent

LEGEND = (
    "Grey rules: linked events (orange: cited by a forecast; dotted lines join them to the step that "
    "cites them); hover for the title, click to open the source. Red dashes: the resolution. Times in UTC."
)


def events_frame(linked: Sequence[LinkedEvent]) -> pd.DataFrame:
    """The linked events as the chart draws them; only http(s) addresses are clickable."""
    return pd.DataFrame(
        {
            "occurred_at": pd.to_datetime([e.occurred_at for e in linked], utc=True),
            "title": [e.title for e in linked],
            "source": [e.source for e in linked],
            "url": [http_link(e.url) for e in linked],
            "cited": [e.cited_by > 0 for e in linked],
        }
    )


def _resolution_rule(detail: questions.QuestionDetail) -> pd.DataFrame:
    if not detail.is_resolved:
        return pd.DataFrame()
    return pd.DataFrame({"resolved_at": [detail.resolved_at], "outcome": [detail.outcome]})


def _with_reasons(paths: pd.DataFrame, cited: pd.DataFrame) -> pd.DataFrame:
    """Each step's cited events, for its tooltip."""
    because = cited.groupby("forecast_id")["title"].agg(" · ".join).to_dict() if not cited.empty else {}
    return paths.assign(because=[because.get(i, "") for i in paths["forecast_id"]])


def _binary(
    database: Database,
    detail: questions.QuestionDetail,
    events: pd.DataFrame,
    domain: tuple[pd.Timestamp, pd.Timestamp] | None,
) -> None:
    paths = forecasts.trajectories(database, [detail.id], datetime.now(UTC))
    if paths.empty:
        st.caption("No yes/no forecasts on this question yet.")
        return
    cited = event_links.citations(database, detail.id)
    chart = trajectory_chart(
        _with_reasons(paths, cited), events, _resolution_rule(detail), citations=cited, domain=domain
    )
    st.altair_chart(chart, width="stretch")
    st.caption(f"Step lines: each forecaster's standing forecast (dashed: crowds). {LEGEND}")


def _options(
    database: Database,
    detail: questions.QuestionDetail,
    events: pd.DataFrame,
    domain: tuple[pd.Timestamp, pd.Timestamp] | None,
) -> None:
    paths = forecasts.option_trajectories(database, detail.id, datetime.now(UTC))
    if paths.empty:
        st.caption("No forecasts on this question yet.")
        return
    people = sorted(paths["forecaster"].unique())
    whose = st.selectbox("Whose forecasts", people, key=f"q-whose-{detail.id}")
    chart = trajectory_chart(
        paths[paths["forecaster"] == whose],
        events,
        _resolution_rule(detail),
        series="option",
        series_order=list(detail.options),
        y_title="Probability",
        reference=1 / len(detail.options),
        domain=domain,
    )
    st.altair_chart(chart, width="stretch")
    st.caption(f"Step lines: {plain(whose)}'s standing probability for each option. {LEGEND}")


FAN_LEGEND = (
    "Bands: each forecaster's standing 90 % interval (faint, 5–95 %) and 50 % interval (darker, "
    "25–75 %); the line is the median. Between stated quantiles the forecast is interpolated linearly; "
    "beyond the outer ones it runs straight to a closed bound, or on at the same slope past an open one."
)


def _numeric(
    database: Database,
    detail: questions.QuestionDetail,
    events: pd.DataFrame,
    domain: tuple[pd.Timestamp, pd.Timestamp] | None,
) -> None:
    paths = forecasts.quantile_trajectories(database, detail.id, datetime.now(UTC))
    if paths.empty:
        st.caption("No forecasts on this question yet.")
        return
    resolved = (
        pd.DataFrame(
            {"value": [detail.value], "resolved_at": [detail.resolved_at], "outcome": [detail.outcome]}
        )
        if detail.value is not None
        else pd.DataFrame()
    )
    title = "Date" if detail.type == "date" else detail.unit or "Value"  # Vega does not read Markdown
    dates = detail.type == "date"
    if dates:  # seconds since 1970 to what a UTC date axis takes: milliseconds
        paths = paths.assign(**{c: paths[c] * 1000 for c in paths.columns if c.startswith("q")})
        resolved = resolved.assign(value=resolved["value"] * 1000) if not resolved.empty else resolved
    chart = fan_chart(paths, events, resolved, y_title=title, domain=domain, dates=dates)
    st.altair_chart(chart, width="stretch")
    events_legend = LEGEND.replace(
        "Red dashes: the resolution.", "Red dashes: the resolved value and when it settled."
    )
    st.caption(f"{FAN_LEGEND} {events_legend}")


def show_history(
    database: Database,
    detail: questions.QuestionDetail,
    linked: Sequence[LinkedEvent] | None = None,
    *,
    heading: bool = False,
    domain: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> None:
    """The chart; ``linked`` are the question's events when the caller has read them already;
    ``domain`` zooms its time axis (the Timeline's brush)."""
    if linked is None:
        linked = event_links.linked_events(database, detail.id)
    if heading:
        st.markdown(f"**{plain(detail.title)}**")
    if detail.type == "binary":
        _binary(database, detail, events_frame(linked), domain)
    elif detail.scale is not None:
        _numeric(database, detail, events_frame(linked), domain)
    else:
        _options(database, detail, events_frame(linked), domain)
