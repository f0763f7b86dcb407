"""A question's two forms: add a forecast, and resolve it (or undo the resolution)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.components.database import get_database, refresh
from dashboard.components.event_links import because_picker
from dashboard.components.forms import FieldErrors, local, user_timezone
from dashboard.components.me import forecaster_input, remember_me
from dashboard.components.text import plain
from forecasts.entry import parse_distribution, parse_probability, parse_value
from forecasts.errors import Invalid, SummitWatchError
from services import forecasts, resolutions
from services.event_links import LinkedEvent
from services.forecasts import ForecastInput
from services.questions import QuestionDetail
from services.resolutions import ResolutionPreview

FORECAST_LABELS = {
    "forecaster": "Forecaster",
    "probability": "Probability of yes",
    "quantiles": "Forecast",
    "made_at": "Time",
}
QUANTILE_HELP = (
    "A median and its 90% interval, 55 (48–62), or three or more quantiles, 5%: 48, 25%: 52, 50%: 55, "
    "75%: 58, 95%: 62."
)
DATE_QUANTILE_HELP = (
    "A median date and its 90% interval, 2017-09-01 (2017-03-01 to 2018-06-30), or three or more "
    "quantiles, 5%: 2017-03-01, 50%: 2017-09-01, 95%: 2018-06-30."
)
# What each kind of ranged question's boxes suggest: (forecast, value).
PLACEHOLDERS = {
    "numeric": ("55 (48–62)", "56.82"),
    "date": ("2017-09-01 (2017-03-01 to 2018-06-30)", "2017-09-15"),
}


def _forecast_input(
    detail: QuestionDetail, name: str, texts: list[str], rationale: str, because: list[int]
) -> ForecastInput:
    if detail.type == "binary":
        return ForecastInput(
            name, probability=parse_probability(texts[0]), rationale=rationale, because=because
        )
    if detail.scale is not None:
        levels, stated = parse_distribution(texts[0], "quantiles", detail.type)
        pairs = tuple(zip(levels, stated, strict=True))
        return ForecastInput(name, quantiles=pairs, rationale=rationale, because=because)
    values = [parse_probability(text, "option_probabilities") for text in texts]
    return ForecastInput(name, option_probabilities=values, rationale=rationale, because=because)


def forecast_form(detail: QuestionDetail, linked: Sequence[LinkedEvent] = ()) -> None:
    said = st.session_state.pop(f"f-saved-{detail.id}", None)
    if said:
        st.success(said)
    with st.form(f"forecast-{detail.id}", clear_on_submit=False, enter_to_submit=False):
        st.markdown("**Add a forecast**")
        errors = FieldErrors(FORECAST_LABELS)
        name = forecaster_input("Forecaster", f"f-name-{detail.id}")
        errors.slot("forecaster")
        if detail.type == "binary":
            texts = [
                st.text_input(
                    "Probability of yes", key=f"f-p-{detail.id}", placeholder="70%, 0.7, 7:3 or 1 in 20"
                )
            ]
            errors.slot("probability")
        elif detail.scale is not None:
            unit = f" ({plain(detail.unit)})" if detail.unit else ""
            is_date = detail.type == "date"
            texts = [
                st.text_input(
                    f"Forecast{unit}",
                    key=f"f-q-{detail.id}",
                    placeholder=PLACEHOLDERS[detail.type][0],
                    help=DATE_QUANTILE_HELP if is_date else QUANTILE_HELP,
                )
            ]
            errors.slot("quantiles")
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
    remember_me(saved.forecaster)
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


def _pending_key(question_id: int) -> str:
    return f"r-pending-{question_id}"


def resolution_form(detail: QuestionDetail) -> None:
    """Resolve in two steps: the form (nothing chosen for you, the time now at the latest), then a
    confirmation of what will be scored; undo stays available afterwards."""
    if said := st.session_state.pop(f"r-saved-{detail.id}", None):
        st.success(said)
    if detail.is_resolved:
        undo_form(detail)
        return
    pending = st.session_state.get(_pending_key(detail.id))
    if pending is not None:
        _confirm_resolution(detail, *pending)
        return
    if detail.scale is not None:
        choices = ["the value", "annulled"]
    else:
        choices = ["yes", "no", "annulled"] if detail.type == "binary" else [*detail.options, "annulled"]
    zone = user_timezone()
    with st.form(f"resolve-{detail.id}", enter_to_submit=False):
        st.markdown("**Resolve**")
        errors = FieldErrors(
            {"outcome": "Outcome", "option": "Outcome", "value": "Value", "resolved_at": "Settled"}
        )
        keys = {name: f"r-{name}-{detail.id}" for name in ("outcome", "day", "time", "shown")}
        now = datetime.now(zone).replace(second=0, microsecond=0)  # the form takes minutes: never ahead
        for name, default in (("outcome", None), ("day", now.date()), ("time", now.time())):
            st.session_state.setdefault(keys[name], default)  # nothing chosen for you; "Change" keeps it
        st.session_state.setdefault(keys["shown"], (now.date(), now.time()))
        outcome = st.radio("Outcome", choices, horizontal=True, format_func=plain, key=keys["outcome"])
        value_text = ""
        if detail.scale is not None:
            unit = f" ({plain(detail.unit)})" if detail.unit else ""
            label = "Date" if detail.type == "date" else f"Value{unit}"
            value_text = st.text_input(
                label, key=f"r-value-{detail.id}", placeholder=PLACEHOLDERS[detail.type][1]
            )
        errors.slot("outcome", "option", "value")
        day = st.date_input(
            "Settled on (your time zone)",
            min_value=min(detail.opens_at.astimezone(zone).date(), now.date()),  # not 10 years back only
            max_value=now.date(),
            key=keys["day"],
            format="YYYY-MM-DD",
        )
        at = st.time_input("at", key=keys["time"], step=60)
        errors.slot("resolved_at", "form")
        note = st.text_input("Note or source link", key=f"r-note-{detail.id}")
        submitted = st.form_submit_button("Review the resolution")
    if not submitted:
        return
    if outcome is None:
        errors.show(Invalid("outcome", "choose what happened (nothing is chosen for you)"))
        return
    is_value = detail.scale is not None and outcome != "annulled"
    is_option = detail.type == "multiple_choice" and outcome != "annulled"
    entered = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    # Left at the minute the form was first shown means "now", to the second (the form shows
    # minutes): compared with that minute, not this run's, which may have moved on since.
    shown_at = st.session_state.get(keys["shown"], (now.date(), now.time()))
    untouched = (day, at) == shown_at
    values: dict[str, Any] = {
        "outcome": "option" if is_option else "value" if is_value else str(outcome),
        "option": str(outcome) if is_option else None,
        "resolved_at": datetime.now(UTC) if untouched else entered,
    }
    try:
        if is_value:
            values["value"] = parse_value(value_text, detail.type)
        preview = resolutions.preview(get_database(), detail.id, **values)
    except SummitWatchError as error:
        errors.show(error)
        return
    st.session_state[_pending_key(detail.id)] = ({**values, "note": note}, preview)
    st.rerun()


def _confirm_resolution(detail: QuestionDetail, values: dict[str, Any], preview: ResolutionPreview) -> None:
    with st.container(border=True):
        st.markdown(f"**Resolve as {plain(preview.shown)}**, settled {local(preview.resolved_at)}?")
        if preview.shown == "annulled":
            st.caption("Annulled: no forecast on this question will be scored.")
        elif preview.scored:
            counted = f"{preview.n_counted} forecast{'s' * (preview.n_counted != 1)}"
            st.caption(f"Scored: each forecaster's last forecast before then (of {counted} in all).")
            st.dataframe(_scored_table(preview), hide_index=True, width="stretch")
        else:
            st.caption("No forecast was made before then: nothing will be scored.")
        if preview.n_later:
            later = f"{preview.n_later} forecast{'s' * (preview.n_later != 1)}"
            st.warning(f"{later} made after this time will not be scored.")
        with st.container(horizontal=True):
            confirmed = st.button("Confirm resolution", type="primary", key=f"r-confirm-{detail.id}")
            changed = st.button("Change", key=f"r-change-{detail.id}")
    if changed:  # back to the form, as it was filled in
        st.session_state.pop(_pending_key(detail.id), None)
        settled = values["resolved_at"].astimezone(user_timezone())
        outcome = values["option"] or values["outcome"]
        st.session_state[f"r-outcome-{detail.id}"] = "the value" if outcome == "value" else outcome
        if values.get("value") is not None:
            st.session_state[f"r-value-{detail.id}"] = f"{values['value']:.10g}"
        st.session_state[f"r-day-{detail.id}"] = settled.date()
        st.session_state[f"r-time-{detail.id}"] = settled.time().replace(tzinfo=None)
        st.session_state[f"r-note-{detail.id}"] = values["note"]
        st.rerun()
    if not confirmed:
        return
    st.session_state.pop(_pending_key(detail.id), None)
    try:
        resolutions.resolve(get_database(), detail.id, **values)
    except SummitWatchError as error:
        st.error(plain(error.message))
        return
    refresh()
    st.session_state[f"r-saved-{detail.id}"] = (
        f"Resolved as {plain(preview.shown)}. Undo below if it was a mistake."
    )
    st.rerun()


def _scored_table(preview: ResolutionPreview) -> pd.DataFrame:
    if any(s.crps is not None for s in preview.scored):
        return pd.DataFrame(
            {
                "Forecaster": [s.forecaster for s in preview.scored],
                "Last forecast": [local(s.made_at) for s in preview.scored],
                "Where it fell (PIT)": [f"{s.probability:.0%}" for s in preview.scored],
                "CRPS": [None if s.crps is None else round(s.crps, 3) for s in preview.scored],
            }
        )
    return pd.DataFrame(
        {
            "Forecaster": [s.forecaster for s in preview.scored],
            "Last forecast": [local(s.made_at) for s in preview.scored],
            f"P({preview.shown})": [f"{s.probability:.0%}" for s in preview.scored],
            "Brier": [None if s.brier is None else round(s.brier, 3) for s in preview.scored],
        }
    )
