"""Calibration & scores: how well each forecaster did once questions resolved."""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from dashboard.components import calibration as sections
from dashboard.components.database import data_version, get_database
from dashboard.components.forms import local
from dashboard.components.numeric_calibration import numbers_and_dates
from dashboard.components.updating import how_you_update
from services import forecasts, questions, scores
from services.numeric_scores import NumericReport, numeric_report
from services.scores import CalibrationReport, ReportFilters
from services.status import worker_status


@st.cache_data(ttl=60, show_spinner="Scoring…")
def load_report(version: tuple[int, ...], filters: ReportFilters) -> CalibrationReport | None:
    """The kept report when current (the worker keeps it so); else scored now, or, when that
    would be slow and the worker is up, the kept one marked stale while the worker rescores."""
    database = get_database()
    return scores.report(database, filters, worker_alive=worker_status(database).alive)


@st.cache_data(ttl=60, show_spinner=False)
def load_numeric(version: tuple[int, ...], filters: ReportFilters) -> NumericReport | None:
    return numeric_report(get_database(), filters)


@st.fragment(run_every=3)
def refresh_when_rescored() -> None:
    if scores.kept_report_is_current(get_database()):
        st.rerun(scope="app")


@st.cache_data(ttl=60, show_spinner=False)
def load_filter_options(version: tuple[int, ...]) -> tuple[list[str], list[str], list[str]]:
    people, crowds = forecasts.forecasters(get_database())
    return people, crowds, questions.all_tags(get_database())


def chosen_filters(everyone: list[str], tags: list[str]) -> ReportFilters:
    # The forecasters get the whole width: in a row of three, their names were cut.
    chosen = st.multiselect("Forecasters", everyone, default=everyone, key="cal_forecasters")
    with st.container(horizontal=True):
        tag = st.selectbox("Tag", ["(all)", *tags], key="cal_tag")
        dates = st.date_input("Resolved between", value=[], key="cal_dates", format="YYYY-MM-DD")
    since, until = (dates[0], dates[1]) if len(dates) == 2 else (None, None)
    return ReportFilters(
        forecasters=() if set(chosen) == set(everyone) else tuple(sorted(chosen)),
        tag=None if tag == "(all)" else tag,
        resolved_from=datetime.combine(since, time.min, tzinfo=UTC) if since else None,
        resolved_until=datetime.combine(until, time.max, tzinfo=UTC) if until else None,
    )


st.title("Calibration & scores")
version = data_version()
people, crowds, all_tags = load_filter_options(version)
filters = chosen_filters(people + crowds, all_tags)
report = load_report(version, filters)
numbers = load_numeric(version, filters)
if report is None:
    if numbers is None:
        st.info("No resolved questions match these filters yet. Resolve a question to see scores here.")
    numbers_and_dates(numbers)
    st.stop()
if report.stale:
    st.info(
        f"These scores were computed {local(report.computed_at)}. The newest forecasts and resolutions "
        f"are being scored now (about {report.compute_seconds:.0f} s); this page updates by itself."
    )
    refresh_when_rescored()
sections.story_and_table(report)
subject = sections.calibration(report)
sections.sharpness(report, subject)
how_you_update(report)
sections.by_question(report)
sections.by_tag(report)
sections.over_time(report)
if crowds and people:
    sections.you_against_the_crowd(report, people, crowds)
numbers_and_dates(numbers)
