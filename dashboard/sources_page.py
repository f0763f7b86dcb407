"""Sources & jobs: the worker's heartbeat, each source's runs and next run, add / edit / disable, run now."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from sqlalchemy import select

from dashboard.database import get_database
from dashboard.forms import FieldErrors, local
from db.models import SOURCE_KINDS, Command, JobRun, Source
from forecasts.errors import ValidationError
from tracker.matching import RuleError, compile_rule
from tracker.registry import (
    add_source,
    format_interval,
    list_sources,
    parse_interval,
    parse_settings,
    set_enabled,
)
from tracker.status import worker_status
from tracker.worker import request_run

st.title("Sources & jobs")
if added := st.session_state.pop("source_added", None):
    st.success(f"Added {added}; the worker starts polling it within 30 s.")


@st.fragment(run_every="10s")
def live_status() -> None:
    now = datetime.now(UTC)
    with get_database().read_session() as session:
        status = worker_status(session, now)
        sources = list_sources(session)
        runs = pd.DataFrame(
            session.execute(
                select(
                    JobRun.started_at,
                    JobRun.job,
                    JobRun.status,
                    JobRun.n_new,
                    JobRun.n_updated,
                    JobRun.n_duplicate,
                    JobRun.n_unmatched,
                    JobRun.n_rejected,
                    JobRun.error,
                    JobRun.notes,
                )
                .order_by(JobRun.id.desc())
                .limit(50)
            ).all(),
            columns=[
                "started",
                "job",
                "status",
                "new",
                "updated",
                "already stored",
                "unmatched",
                "rejected",
                "error",
                "notes",
            ],
        )
        pending = session.scalars(select(Command).where(Command.status.in_(("pending", "running")))).all()
    (st.success if status.alive else st.warning)(status.describe(now))
    if pending:
        st.info(f"{len(pending)} run-now request(s) waiting for the worker.")
    table = pd.DataFrame(
        [
            {
                "Source": s.name,
                "Kind": s.kind,
                "On": s.enabled,
                "Every": s.every,
                "Events": s.n_events,
                "Last run": local(s.last_run_at),
                "Result": s.last_status or "—",
                "Error": s.last_error or "",
                "Next run": local(s.next_run_at) if s.enabled else "off",
                "Rule": s.match_rule or "(everything)",
            }
            for s in sources
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.subheader("Recent runs")
    if runs.empty:
        st.caption("No runs yet.")
    else:
        runs["started"] = runs["started"].map(local)
        runs[["error", "notes"]] = runs[["error", "notes"]].fillna("—")
        st.dataframe(runs, hide_index=True, width="stretch")


live_status()

with get_database().read_session() as session:
    names = list(session.scalars(select(Source.name).where(Source.kind != "manual").order_by(Source.name)))

if names:
    st.subheader("Run, switch or edit a source")
    name = st.selectbox("Source", names, key="src_pick")
    with get_database().read_session() as session:
        source = session.scalar(select(Source).where(Source.name == name))
        source_id, enabled, every, rule = (
            source.id,
            source.enabled,
            source.every_seconds,
            source.match_rule or "",
        )
    with st.container(horizontal=True):
        if st.button("Run now", key="src_run", type="primary"):
            request_run(get_database(), source_id)
            st.toast(f"Asked the worker to run {name}; results appear above within seconds.")
        if st.button("Disable" if enabled else "Enable", key="src_toggle"):
            with get_database().write_session() as session:
                set_enabled(session, name, not enabled)
            st.rerun()
    with st.form("edit_source"):
        errors = FieldErrors()
        new_every = st.text_input("Every", value=format_interval(every) if every else "", key="src_every")
        errors.slot("every")
        new_rule = st.text_input("Topic rule", value=rule, key="src_rule")
        errors.slot("match")
        if st.form_submit_button("Save changes"):
            try:
                seconds = parse_interval(new_every)
                try:
                    compile_rule(new_rule)
                except RuleError as error:
                    raise ValidationError("match", str(error)) from None
                with get_database().write_session() as session:
                    edited = session.get(Source, source_id)
                    edited.every_seconds, edited.match_rule = seconds, new_rule.strip() or None
            except ValidationError as error:
                errors.show(error.field, error.message)
            else:
                st.success("Saved; the worker picks up the change within 30 s.")

st.subheader("Add a source")
with st.form("add_source"):
    errors = FieldErrors()
    name = st.text_input("Name", key="new_src_name", placeholder="tass-world")
    errors.slot("name")
    kind = st.selectbox("Kind", [k for k in SOURCE_KINDS if k != "manual"], key="new_src_kind")
    errors.slot("kind")
    url = st.text_input("URL (feed address, or API base)", key="new_src_url")
    errors.slot("url")
    every = st.text_input("Every", value="15m", key="new_src_every")
    errors.slot("every")
    match = st.text_input("Topic rule", key="new_src_match", placeholder='kuril* OR "northern territories"')
    errors.slot("match")
    setting = st.text_input(
        "Settings (key=value, separated by ';': query=…; market=…; post=…; actors=JPN,RUS)",
        key="new_src_settings",
    )
    errors.slot("setting")
    errors.slot("question")
    if st.form_submit_button("Add source"):
        try:
            settings = parse_settings(part for part in setting.split(";") if part.strip())
            with get_database().write_session() as session:
                add_source(
                    session,
                    name=name,
                    kind=kind,
                    url=url or None,
                    every=every,
                    match=match or None,
                    settings=settings,
                )
        except ValidationError as error:
            errors.show(error.field, error.message)
        else:
            st.session_state["source_added"] = name
            st.rerun()
