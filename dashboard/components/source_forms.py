"""Adding a source of any kind (the form follows the kind's declared settings), and editing one."""

from __future__ import annotations

import streamlit as st

from dashboard.components.database import get_database
from dashboard.components.forms import FieldErrors
from dashboard.components.text import plain
from forecasts.entry import format_interval
from forecasts.errors import SummitWatchError
from services import questions, sources
from services.sources import NewSource, SourceKind, SourceStatus

ADD_LABELS = {"name": "Name", "url": "URL", "every": "Every", "match": "Topic rule", "question": "Question"}


def edit_source_form(source: SourceStatus) -> None:
    database = get_database()
    with st.container(horizontal=True):
        if st.button("Run now", key="src_run", type="primary"):
            sources.request_run(database, source.name)
            st.toast(f"Asked the worker to run {plain(source.name)}; results appear above within seconds.")
        if st.button("Disable" if source.enabled else "Enable", key="src_toggle"):
            sources.set_enabled(database, source.name, not source.enabled)
            st.rerun()
    with st.form("edit_source"):
        errors = FieldErrors({"every": "Every", "match": "Topic rule"})
        every = st.text_input("Every", value=source.every if source.every_seconds else "", key="src_every")
        errors.slot("every")
        rule = st.text_input("Topic rule", value=source.match_rule or "", key="src_rule")
        errors.slot("match", "form")
        if st.form_submit_button("Save changes", key="src_save"):
            try:
                sources.edit_source(database, source.name, every=every, match=rule)
            except SummitWatchError as error:
                errors.show(error)
            else:
                st.success("Saved; the worker picks up the change within 30 s.")


def _question_picker(kind: SourceKind, errors: FieldErrors) -> int | None:
    """Crowd kinds forecast one open yes/no question (Metaculus: or a numeric or date one); feeds may
    link their events to any question."""
    titles = questions.question_titles(get_database(), open_yes_no=kind.is_crowd, numeric_too=kind.numeric)
    choices = {f"#{question_id} {title}": question_id for question_id, title in titles}
    label = "Question it forecasts" if kind.is_crowd else "Link its events to a question (optional)"
    none = "(choose one)" if kind.is_crowd else "(none)"
    picked = st.selectbox(label, [none, *choices], key=f"new_src_question_{kind.role}")
    errors.slot("question")
    return choices.get(picked)


def _kind_settings(kind: SourceKind, errors: FieldErrors) -> dict[str, str]:
    values = {}
    for setting in kind.settings:
        label = f"{setting.help[:1].upper()}{setting.help[1:]}{'' if setting.required else ' (optional)'}"
        values[setting.name] = st.text_input(
            label, key=f"new_src_{kind.name}_{setting.name}", placeholder=setting.example
        )
        errors.slot(f"settings.{setting.name}")
    return values


def add_source_form() -> None:
    kinds = {kind.label: kind for kind in sources.kinds()}
    kind = kinds[st.selectbox("Kind", list(kinds), key="new_src_kind")]
    if kind.note:
        st.caption(kind.note)
    with st.form("add_source"):
        errors = FieldErrors(ADD_LABELS)
        name = st.text_input("Name", key="new_src_name", placeholder="tass-world")
        errors.slot("name")
        url_label = f"URL: {kind.url_help}" + ("" if kind.url_required else " (empty: the public one)")
        url = st.text_input(url_label, key="new_src_url", placeholder=kind.default_url or "https://…")
        errors.slot("url")
        # Keyed by kind: each kind starts from its own default interval.
        every = st.text_input(
            "Every", value=format_interval(kind.default_every), key=f"new_src_every_{kind.name}"
        )
        errors.slot("every")
        match = (
            ""
            if kind.is_crowd
            else st.text_input(
                "Topic rule", key="new_src_match", placeholder='kuril* OR "northern territories"'
            )
        )
        errors.slot("match")
        settings = _kind_settings(kind, errors)
        question_id = _question_picker(kind, errors)
        errors.slot("kind", "settings", "form")
        if st.form_submit_button("Add source", key="new_src_add"):
            try:
                given = {key: value.strip() for key, value in settings.items() if value.strip()}
                pairs = [f"{key}={value}" for key, value in given.items()]
                new = NewSource(
                    name=name,
                    kind=kind.name,
                    url=url or None,
                    every=every or None,
                    match=match or None,
                    question_id=question_id,
                    settings=sources.parse_settings(kind.name, pairs),
                )
                sources.add_source(get_database(), new)
            except SummitWatchError as error:
                errors.show(error)
            else:
                st.session_state["source_added"] = name
                st.rerun()
