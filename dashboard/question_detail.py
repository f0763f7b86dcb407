"""One question: its history chart, linked events, latest forecasts, and the two forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy import select

from dashboard.charts import trajectory_chart
from dashboard.database import get_database
from dashboard.forms import FieldErrors, local, user_timezone
from db.models import Forecast, Forecaster
from forecasts.entry import parse_probability
from forecasts.errors import ValidationError
from forecasts.services import (
    add_forecast,
    current_resolution,
    get_question,
    resolve_question,
    undo_resolution,
)
from forecasts.views import events_frame, option_trajectories, trajectories


def _refresh() -> None:
    st.cache_data.clear()


def forecast_form(question_id: int, question_type: str, options: list[str]) -> None:
    with st.form(f"forecast-{question_id}", clear_on_submit=False, enter_to_submit=False):
        st.markdown("**Add a forecast**")
        errors = FieldErrors()
        name = st.text_input(
            "Forecaster",
            value=st.session_state.get("me", ""),
            key=f"f-name-{question_id}",
            placeholder="your name",
        )
        errors.slot("forecaster")
        if question_type == "binary":
            probability_text = st.text_input(
                "Probability of yes", key=f"f-p-{question_id}", placeholder="70%, 0.7, 7:3 or 1 in 20"
            )
            errors.slot("probability")
        else:
            option_texts = [
                st.text_input(f"{option}", key=f"f-o-{question_id}-{i}", placeholder="%")
                for i, option in enumerate(options)
            ]
            errors.slot("option_probabilities")
        rationale = st.text_area("Why (optional)", key=f"f-why-{question_id}", height=80)
        errors.slot("question")
        errors.slot("made_at")
        submitted = st.form_submit_button("Save forecast", type="primary")
    if not submitted:
        return
    try:
        if question_type == "binary":
            values = {"probability": parse_probability(probability_text)}
        else:
            values = {
                "option_probabilities": [parse_probability(t, "option_probabilities") for t in option_texts]
            }
        with get_database().write_session() as session:
            forecast = add_forecast(
                session, question_id=question_id, forecaster=name, rationale=rationale, **values
            )
            made_at = forecast.made_at
    except ValidationError as error:
        errors.show(error.field, error.message)
        return
    st.session_state["me"] = name.strip()
    _refresh()
    st.success(f"Saved {name.strip()}'s forecast of {local(made_at)}.")


def resolution_form(question_id: int, question_type: str, options: list[str], resolved: bool) -> None:
    if resolved:
        with st.form(f"undo-{question_id}"):
            st.markdown("**Undo the resolution** (kept in the history; you can resolve again)")
            note = st.text_input("Why", key=f"u-note-{question_id}")
            if st.form_submit_button("Undo resolution"):
                with get_database().write_session() as session:
                    undo_resolution(session, question_id, note=note)
                _refresh()
                st.rerun()
        return
    choices = ["yes", "no", "annulled"] if question_type == "binary" else [*options, "annulled"]
    zone = user_timezone()
    with st.form(f"resolve-{question_id}", enter_to_submit=False):
        st.markdown("**Resolve**")
        errors = FieldErrors()
        outcome = st.radio("Outcome", choices, horizontal=True, key=f"r-outcome-{question_id}")
        errors.slot("outcome")
        errors.slot("option")
        # Default: now, rounded up to the minute (the form can't take seconds; a minute ahead is allowed).
        default = (datetime.now(zone) + timedelta(seconds=59)).replace(second=0, microsecond=0)
        day = st.date_input(
            "Settled on (your time zone)",
            value=default.date(),
            key=f"r-day-{question_id}",
            format="YYYY-MM-DD",
        )
        at = st.time_input("at", value=default.time(), key=f"r-time-{question_id}", step=60)
        errors.slot("resolved_at")
        note = st.text_input("Note or source link", key=f"r-note-{question_id}")
        submitted = st.form_submit_button("Resolve question")
    if not submitted:
        return
    resolved_at = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    is_option = question_type != "binary" and outcome != "annulled"
    try:
        with get_database().write_session() as session:
            resolve_question(
                session,
                question_id,
                outcome="option" if is_option else outcome,
                option=outcome if is_option else None,
                resolved_at=resolved_at,
                note=note,
            )
    except ValidationError as error:
        errors.show(error.field, error.message)
        return
    _refresh()
    st.rerun()


def show_question(question_id: int) -> None:
    now = datetime.now(UTC)
    with get_database().read_session() as session:
        question = get_question(session, question_id)
        resolution = current_resolution(question)
        paths = trajectories(session, [question_id], now)
        option_paths = option_trajectories(session, question_id, now)
        events = events_frame(session, question_ids=[question_id], limit=500)
        latest = pd.DataFrame(
            session.execute(
                select(
                    Forecaster.name,
                    Forecast.made_at,
                    Forecast.probability,
                    Forecast.option_probabilities,
                    Forecast.rationale,
                )
                .join(Forecaster)
                .where(Forecast.question_id == question_id)
                .order_by(Forecast.made_at.desc())
                .limit(50)
            ).all(),
            columns=["Forecaster", "When", "probability", "options", "Why"],
        )
        title, kind, options = question.title, question.type, list(question.options or [])
        criteria, tags = question.resolution_criteria, list(question.tags)
        opens, closes = question.opens_at, question.closes_at
        outcome_text = (resolution.option or resolution.outcome) if resolution else None
        resolved_at = resolution.resolved_at if resolution else None
    st.page_link("dashboard/questions_page.py", label="← All questions")
    st.header(title)
    status = (
        f"Resolved **{outcome_text}** on {local(resolved_at)}"
        if resolution
        else f"Open; closes {local(closes)}"
    )
    st.markdown(f"{status} · opened {local(opens, '%Y-%m-%d')} · tags: {', '.join(tags) or '—'}")
    if criteria:
        st.caption(f"Resolution criteria: {criteria}")
    rule = (
        pd.DataFrame({"resolved_at": [resolved_at], "outcome": [outcome_text]})
        if resolution
        else pd.DataFrame()
    )
    markers = "▲ events: hover for the title, click to open the source. Red dashes: the resolution."
    if kind == "binary" and not paths.empty:
        st.altair_chart(trajectory_chart(paths, events, rule), width="stretch")
        st.caption(f"Step lines: each forecaster's standing forecast (dashed: crowds). {markers}")
    elif kind != "binary" and not option_paths.empty:
        people = sorted(option_paths["forecaster"].unique())
        whose = st.selectbox("Whose forecasts", people, key=f"q-whose-{question_id}")
        chart = trajectory_chart(
            option_paths[option_paths["forecaster"] == whose],
            events,
            rule,
            series="option",
            series_order=options,
            y_title="Probability",
            reference=1 / len(options),
        )
        st.altair_chart(chart, width="stretch")
        st.caption(f"Step lines: {whose}'s standing probability for each option. {markers}")
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Latest forecasts")
        if latest.empty:
            st.info("No forecasts yet.")
        else:
            if kind != "binary":
                latest["probability"] = latest["options"].map(
                    lambda v: " / ".join(f"{o}: {p:.0%}" for o, p in zip(options, v or [], strict=False))
                )
            latest["When"] = latest["When"].map(local)
            st.dataframe(
                latest.drop(columns="options"),
                hide_index=True,
                width="stretch",
                column_config={
                    "probability": st.column_config.NumberColumn("P(yes)", format="percent")
                    if kind == "binary"
                    else "Forecast"
                },
            )
        st.subheader("Linked events")
        if events.empty:
            st.caption("No events linked to this question.")
        else:
            st.dataframe(
                events[["occurred_at", "title", "source", "url"]],
                hide_index=True,
                width="stretch",
                column_config={
                    "url": st.column_config.LinkColumn("Link"),
                    "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD"),
                },
            )
    with right:
        if resolution is None:
            forecast_form(question_id, kind, options)
        else:
            st.info("Resolved questions take no new forecasts.")
        resolution_form(question_id, kind, options, resolved=resolution is not None)
