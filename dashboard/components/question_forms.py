"""A question's two forms: add a forecast, and resolve it (or undo the resolution)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import streamlit as st

from dashboard.components.database import get_database, refresh
from dashboard.components.event_links import because_picker
from dashboard.components.forms import FieldErrors, local, user_timezone
from dashboard.components.text import plain
from forecasts.entry import parse_probability
from forecasts.errors import SummitWatchError
from services import forecasts, resolutions
from services.event_links import LinkedEvent
from services.forecasts import ForecastInput
from services.questions import QuestionDetail

FORECAST_LABELS = {"forecaster": "Forecaster", "probability": "Probability of yes", "made_at": "Time"}


def _forecast_input(
    detail: QuestionDetail, name: str, texts: list[str], rationale: str, because: list[int]
) -> ForecastInput:
    if detail.type == "binary":
        return ForecastInput(
            name, probability=parse_probability(texts[0]), rationale=rationale, because=because
        )
    values = [parse_probability(text, "option_probabilities") for text in texts]
    return ForecastInput(name, option_probabilities=values, rationale=rationale, because=because)


def forecast_form(detail: QuestionDetail, linked: Sequence[LinkedEvent] = ()) -> None:
    said = st.session_state.pop(f"f-saved-{detail.id}", None)
    if said:
        st.success(said)
    with st.form(f"forecast-{detail.id}", clear_on_submit=False, enter_to_submit=False):
        st.markdown("**Add a forecast**")
        errors = FieldErrors(FORECAST_LABELS)
        name = st.text_input(
            "Forecaster",
            value=st.session_state.get("me", ""),
            key=f"f-name-{detail.id}",
            placeholder="your name",
        )
        errors.slot("forecaster")
        if detail.type == "binary":
            texts = [
                st.text_input(
                    "Probability of yes", key=f"f-p-{detail.id}", placeholder="70%, 0.7, 7:3 or 1 in 20"
                )
            ]
            errors.slot("probability")
        else:
            texts = [
                st.text_input(plain(option), key=f"f-o-{detail.id}-{i}", placeholder="%")
                for i, option in enumerate(detail.options)
            ]
            errors.slot("option_probabilities")
        rationale = st.text_area("Why (optional)", key=f"f-why-{detail.id}", height=80)
        because = because_picker(linked, key=f"f-because-{detail.id}")
        errors.slot("question", "made_at", "form")
        submitted = st.form_submit_button("Save forecast", type="primary")
    if not submitted:
        return
    try:
        saved = forecasts.add_forecast(
            get_database(), detail.id, _forecast_input(detail, name, texts, rationale, because)
        )
    except SummitWatchError as error:
        errors.show(error)
        return
    st.session_state["me"] = saved.forecaster
    refresh()
    cites = f", citing {len(saved.because)} event{'s' * (len(saved.because) != 1)}" if saved.because else ""
    st.session_state[f"f-saved-{detail.id}"] = (
        f"Saved {plain(saved.forecaster)}'s forecast of {local(saved.made_at)}{cites}."
    )
    st.rerun()  # the chart above shows the new step at once


def undo_form(detail: QuestionDetail) -> None:
    with st.form(f"undo-{detail.id}"):
        st.markdown("**Undo the resolution** (kept in the history; you can resolve again)")
        note = st.text_input("Why", key=f"u-note-{detail.id}")
        if st.form_submit_button("Undo resolution"):
            resolutions.undo(get_database(), detail.id, note=note)
            refresh()
            st.rerun()


def resolution_form(detail: QuestionDetail) -> None:
    if detail.is_resolved:
        undo_form(detail)
        return
    choices = ["yes", "no", "annulled"] if detail.type == "binary" else [*detail.options, "annulled"]
    zone = user_timezone()
    with st.form(f"resolve-{detail.id}", enter_to_submit=False):
        st.markdown("**Resolve**")
        errors = FieldErrors({"resolved_at": "Settled"})
        outcome = st.radio(
            "Outcome", choices, horizontal=True, format_func=plain, key=f"r-outcome-{detail.id}"
        )
        errors.slot("outcome", "option")
        # Default: now, rounded up to the minute (the form can't take seconds; a minute ahead is allowed).
        default = (datetime.now(zone) + timedelta(seconds=59)).replace(second=0, microsecond=0)
        day = st.date_input(
            "Settled on (your time zone)", value=default.date(), key=f"r-day-{detail.id}", format="YYYY-MM-DD"
        )
        at = st.time_input("at", value=default.time(), key=f"r-time-{detail.id}", step=60)
        errors.slot("resolved_at", "form")
        note = st.text_input("Note or source link", key=f"r-note-{detail.id}")
        submitted = st.form_submit_button("Resolve question")
    if not submitted:
        return
    is_option = detail.type != "binary" and outcome != "annulled"
    try:
        resolutions.resolve(
            get_database(),
            detail.id,
            outcome="option" if is_option else str(outcome),
            option=str(outcome) if is_option else None,
            resolved_at=datetime.combine(day, at, tzinfo=zone).astimezone(UTC),
            note=note,
        )
    except SummitWatchError as error:
        errors.show(error)
        return
    refresh()
    st.rerun()
