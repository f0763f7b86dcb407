"""Add forecast: one line (`Will … by DATE? 70%`) or explicit fields, on a new or an existing question."""

from __future__ import annotations

import streamlit as st

from dashboard.components.database import get_database
from dashboard.components.forecast_entry import (
    LABELS,
    OPEN_ENDED_HELP,
    fields_form,
    question_context,
    question_kind,
    save_fields,
    save_quick,
)
from dashboard.components.forms import FieldErrors
from dashboard.components.me import forecaster_input
from services import questions

NEW = "A new question"
LINE_FIELDS = (
    "quick entry",
    "title",
    "probability",
    "date",
    "closes_at",
    "resolve_by",
    "made_at",
    "question",
)

st.title("Add a forecast")
st.caption(
    "Probabilities can be written as 70, 70%, 0.7, odds 7:3 or 1 in 20. A number or a date takes a median "
    "and a 90 % interval after a colon: Brent on 2017-06-30 (USD): 55 (48–62), or "
    "First joint project by 2018-12-31: 2017-09-01 (2017-03-01 to 2018-06-30)."
)
quick, explicit = st.tabs(["Quick entry", "Fields"])

with quick, st.form("quick_entry", enter_to_submit=True):
    errors = FieldErrors(LABELS)
    line = st.text_input(
        "One line", key="qe_line", placeholder="Will Russia hand over Shikotan by 2030-12-31? 5%"
    )
    # Each message under the box it is about: the line holds the question, its date and the probability.
    errors.slot(
        "quick entry", "title", "probability", "date", "closes_at", "resolve_by", "made_at", "question"
    )
    open_ended = st.checkbox("Open-ended: no close date", key="qe_open", help=OPEN_ENDED_HELP)
    who = forecaster_input("Forecaster", "qe_who")
    errors.slot("forecaster", "form")
    if st.form_submit_button("Save", type="primary", key="qe_save"):
        save_quick(line, who, open_ended, errors)

with explicit:
    choices = {
        title: question_id
        for question_id, title in questions.question_titles(get_database(), open_yes_no=True)
    }
    which = st.selectbox("Question", [NEW, *choices], key="fx_which")
    options = None
    if which in choices:
        question_context(choices[which])
    else:
        options = question_kind()
    with st.form("fields_entry", enter_to_submit=False):
        errors = FieldErrors(LABELS)
        entered = fields_form(choices.get(which), errors, options)
        if st.form_submit_button("Save forecast", type="primary", key="fx_save"):
            save_fields(entered, choices.get(which), errors, options)
