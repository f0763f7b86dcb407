"""The Add forecast page's two ways in: one line of quick entry, or explicit fields."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from dashboard.components.database import get_database, refresh
from dashboard.components.event_links import because_picker
from dashboard.components.forms import FieldErrors, local, user_timezone
from dashboard.components.me import forecaster_input, my_name, remember_me
from dashboard.components.text import plain
from forecasts.entry import parse_probability, parse_quick_entry
from forecasts.errors import Invalid, SummitWatchError
from forecasts.quantities import shown_quantiles, shown_value
from forecasts.quantity_entry import parse_quantity_entry
from forecasts.rules import split_tags
from services import event_links, forecasts, questions
from services.forecasts import ForecastInput, SavedForecast
from services.questions import NewQuestion

LABELS = {
    "forecaster": "Forecaster",
    "probability": "Probability",
    "title": "Question",
    "closes_at": "Closes on",
    "made_at": "Made on",
    "tags": "Tags",
    "resolution_criteria": "Resolution criteria",
}


def _closing(day: date | None) -> datetime | None:
    """The end of that day in the user's time zone, in UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=user_timezone()).astimezone(UTC) if day else None


def confirm(saved: SavedForecast) -> None:
    """After a save: remember who is forecasting, refresh cached reads, link to the question."""
    remember_me(saved.forecaster)
    refresh()
    earlier = saved.made_at < datetime.now(UTC) - timedelta(minutes=2)
    dated = f" (made {local(saved.made_at)}, recorded now)" if earlier else ""
    if saved.probability is not None:
        said = f"{saved.probability:.0%}"
    elif saved.quantiles is not None:
        said = shown_quantiles(saved.question_type, saved.quantiles, saved.unit)
    else:
        said = ", ".join(f"{p:.0%}" for p in saved.option_probabilities or ())
    st.success(f"Saved {said} on “{plain(saved.question_title)}”{dated}.")
    st.page_link(
        "dashboard/questions_page.py",
        label="Open the question",
        query_params={"question": str(saved.question_id)},
    )


OPEN_ENDED_HELP = "Without a close date a question never becomes ready to resolve, so it is never scored."


def check_closing(
    closes_at: datetime | None, open_ended: bool, *, where: str, opens_at: datetime | None = None
) -> None:
    """A new question closes after it opens (now, or when its back-dated first forecast was made),
    or is explicitly open-ended (never ready to resolve)."""
    if closes_at is None and not open_ended:
        raise Invalid(
            "closes_at", f"is missing: {where}, or tick “Open-ended” (it will then never be ready to resolve)"
        )
    if closes_at is None:
        return
    if opens_at is None and closes_at <= datetime.now(UTC):
        raise Invalid(
            "closes_at",
            f"{closes_at:%Y-%m-%d} has passed: a new question opens now, so it must close later "
            "(to log a forecast made back then, give its date under Fields)",
        )
    if opens_at is not None and closes_at <= opens_at:
        raise Invalid(
            "closes_at", f"{closes_at:%Y-%m-%d} is before the forecast was made ({local(opens_at)})"
        )


def _known_titles() -> set[str]:
    return {title for _, title in questions.question_titles(get_database())}


def _quick_question(line: str, open_ended: bool) -> tuple[NewQuestion, ForecastInput, bool]:
    """What a line of quick entry asks for: the question (new unless its title is known), the
    forecast, and whether the question is new. A quantity's forecast makes a numeric or date one."""
    quantity = parse_quantity_entry(line)
    title = quantity.title if quantity else parse_quick_entry(line).title
    is_new = title not in _known_titles()
    if quantity is not None:
        if is_new:
            check_closing(
                quantity.closes_at, open_ended, where="put its date in the title, “Brent on 2026-12-31”"
            )
        new = NewQuestion(
            title=title,
            type=quantity.question_type,
            scale=quantity.scale,
            unit=quantity.unit,
            closes_at=quantity.closes_at,
        )
        return new, ForecastInput("", quantiles=quantity.quantiles), is_new
    entry = parse_quick_entry(line)
    if is_new:
        check_closing(entry.closes_at, open_ended, where="end the line with “by 2026-12-31? 70%”")
    return NewQuestion(title=title, closes_at=entry.closes_at), ForecastInput("", entry.probability), is_new


def save_quick(line: str, who: str, open_ended: bool, errors: FieldErrors) -> None:
    try:
        new, given, is_new = _quick_question(line, open_ended)
        saved = forecasts.forecast_on_title(get_database(), new, replace(given, forecaster=who))
    except SummitWatchError as error:
        errors.show(error)
    else:
        confirm(saved)
        if is_new and new.scale is not None:
            low, high = (shown_value(new.type, v, new.unit) for v in (new.scale.lower, new.scale.upper))
            shown = f"{low} to {high}"
            st.caption(
                f"A new {new.type} question. Its range was set around your forecast, open on both sides "
                f"(any value can resolve it): {shown}; it is the scale its scores are measured on."
            )


@dataclass(frozen=True)
class Entered:
    title: str
    closes_on: date | None
    open_ended: bool
    criteria: str
    tags: str
    probability: str
    option_texts: list[str]  # one per option of a new multiple-choice question
    forecaster: str
    made_on: date | None  # None: now
    made_time: time | None
    rationale: str
    because: list[int]


def _new_question_fields(errors: FieldErrors) -> tuple[str, date | None, bool, str, str]:
    title = st.text_input("Question", key="fx_title", placeholder="Will … ?")
    errors.slot("title")
    closes_on = st.date_input("Closes on (your time zone)", value=None, key="fx_closes", format="YYYY-MM-DD")
    open_ended = st.checkbox("Open-ended: no close date", key="fx_open", help=OPEN_ENDED_HELP)
    errors.slot("closes_at", "resolve_by")
    criteria = st.text_area(
        "Resolution criteria (optional)", key="fx_criteria", height=68, placeholder="Resolves yes if …"
    )
    tags = st.text_input("Tags (comma-separated)", key="fx_tags")
    errors.slot("tags", "resolution_criteria")
    return title, closes_on, open_ended, criteria, tags


def _made_when(errors: FieldErrors) -> tuple[date | None, time | None]:
    """Back-dating: a forecast made earlier (on paper, elsewhere) is logged with its own date."""
    left, right = st.columns(2)
    made_on = left.date_input(
        "Made on (empty: now)",
        value=None,
        min_value=date(1990, 1, 1),
        max_value=datetime.now(user_timezone()).date(),
        key="fx_made_on",
        format="YYYY-MM-DD",
    )
    made_time = right.time_input("at", value=time(12, 0), key="fx_made_time", step=60)
    errors.slot("made_at")
    return made_on, made_time


def question_kind() -> list[str] | None:
    """Above the form (the boxes for the probabilities follow from it): yes/no, or the options of a
    new multiple-choice question (None for yes/no)."""
    kind = st.segmented_control("Kind", ["Yes / no", "Multiple choice"], default="Yes / no", key="fx_kind")
    if kind != "Multiple choice":
        return None
    text = st.text_area(
        "Options, one per line", key="fx_options", height=96, placeholder="Fewer than 30\n30–79\n80 or more"
    )
    return [line.strip() for line in text.splitlines() if line.strip()]


def fields_form(question_id: int | None, errors: FieldErrors, options: list[str] | None = None) -> Entered:
    """The fields; a new question (``question_id`` None) also asks for its title, close, criteria and
    tags, and for a multiple-choice one (``options``) a probability per option."""
    title, closes_on, open_ended, criteria, tags = "", None, False, "", ""
    if question_id is None:
        title, closes_on, open_ended, criteria, tags = _new_question_fields(errors)
    probability, option_texts = "", []
    if options is None:
        probability = st.text_input("Probability of yes", key="fx_p", placeholder="70%")
    else:
        option_texts = [
            st.text_input(plain(o), key=f"fx_o_{i}", placeholder="%") for i, o in enumerate(options)
        ]
        errors.slot("options", "option_probabilities")
    errors.slot("probability")
    forecaster = forecaster_input("Forecaster", "fx_who")
    errors.slot("forecaster")
    made_on, made_time = _made_when(errors)
    rationale = st.text_area("Why (optional)", key="fx_why", height=80)
    because: list[int] = []
    if question_id is not None:
        linked = event_links.linked_events(get_database(), question_id, limit=200)
        because = because_picker(linked, key=f"fx_because_{question_id}")
    errors.slot("question", "form", "event")
    return Entered(
        title,
        closes_on,
        open_ended,
        criteria,
        tags,
        probability,
        option_texts,
        forecaster,
        made_on,
        made_time,
        rationale,
        because,
    )


def _made_at(entered: Entered) -> datetime | None:
    if entered.made_on is None:
        return None
    when = datetime.combine(entered.made_on, entered.made_time or time(12, 0), tzinfo=user_timezone())
    return when.astimezone(UTC)


def _given(entered: Entered, options: list[str] | None, made_at: datetime | None) -> ForecastInput:
    probability, option_probabilities = None, None
    if options is None:
        probability = parse_probability(entered.probability)
    else:
        option_probabilities = [parse_probability(t, "option_probabilities") for t in entered.option_texts]
    return ForecastInput(
        entered.forecaster,
        probability=probability,
        option_probabilities=option_probabilities,
        made_at=made_at,
        rationale=entered.rationale,
        because=entered.because,
    )


def save_fields(
    entered: Entered, question_id: int | None, errors: FieldErrors, options: list[str] | None = None
) -> None:
    try:
        made_at = _made_at(entered)
        given = _given(entered, options, made_at)
        if question_id is None:
            closes_at = _closing(entered.closes_on)
            check_closing(closes_at, entered.open_ended, where="give the date it closes", opens_at=made_at)
            new = NewQuestion(
                title=entered.title,
                resolution_criteria=entered.criteria,
                type="binary" if options is None else "multiple_choice",
                options=options,
                opens_at=made_at,  # a back-dated first forecast: the question was open then
                closes_at=closes_at,
                tags=split_tags(entered.tags),
            )
            saved = forecasts.forecast_on_title(get_database(), new, given)
        else:
            saved = forecasts.add_forecast(get_database(), question_id, given)
    except SummitWatchError as error:
        errors.show(error)
    else:
        confirm(saved)


def question_context(question_id: int) -> None:
    """What a forecaster wants beside the form: the criteria, their last forecast and the others'
    (the crowd's included), and the latest events linked to the question."""
    database = get_database()
    detail = questions.get_question(database, question_id)
    if detail.resolution_criteria:
        st.caption(plain(f"Resolves: {detail.resolution_criteria}"))
    latest = forecasts.latest_forecasts(database, question_id, limit=200)
    standing = latest.drop_duplicates("forecaster")  # newest first: each one's latest
    me = my_name()
    for name, made_at, probability in zip(
        standing["forecaster"], standing["made_at"], standing["probability"], strict=True
    ):
        whose = "Your" if name == me else f"{name}'s"
        if pd.notna(probability):  # yes/no questions only are offered here
            st.caption(plain(f"{whose} latest: {float(probability):.0%} on {local(made_at)}"))
    if standing.empty:
        st.caption("No forecasts on it yet.")
    for event in event_links.linked_events(database, question_id, limit=3):
        st.caption(plain(f"Event {local(event.occurred_at, '%Y-%m-%d')}: {event.title}"))
