"""The Overview's "Needs attention": reminders, crowd proposals to accept or dismiss, failing sources."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard.components.database import refresh
from dashboard.components.forms import local
from dashboard.components.text import plain
from db import Database
from forecasts.errors import SummitWatchError
from services import attention, proposals
from services.status import WorkerStatus

ERROR_KEY = "overview_error"


def _accept(database: Database, proposal_id: int) -> None:
    try:
        proposals.accept(database, proposal_id)
    except SummitWatchError as error:
        st.session_state[ERROR_KEY] = error.message
    refresh()


def _dismiss(database: Database, proposal_id: int) -> None:
    try:
        proposals.dismiss(database, proposal_id)
    except SummitWatchError as error:
        st.session_state[ERROR_KEY] = error.message


def _reminders(todo: attention.Attention) -> None:
    for kind, frame, icon in (
        ("Ready to resolve", todo.ready_to_resolve, ":material/alarm:"),
        ("Stale forecast", todo.stale, ":material/history:"),
    ):
        for row in frame:
            st.page_link(
                "dashboard/questions_page.py",
                label=plain(f"{kind}: {row.title} ({row.detail})"),
                query_params={"question": str(row.question_id)},
                icon=icon,
            )


def _proposals(database: Database, todo: attention.Attention) -> None:
    for row in todo.proposals:
        with st.container(border=True, horizontal=True):
            st.markdown(f"**{plain(row.source)}** proposes **{plain(row.outcome)}** for *{plain(row.title)}*")
            st.button("Accept", key=f"accept-{row.id}", on_click=_accept, args=(database, row.id))
            st.button("Dismiss", key=f"dismiss-{row.id}", on_click=_dismiss, args=(database, row.id))


def show_attention(database: Database, worker: WorkerStatus, now: datetime) -> None:
    todo = attention.needs_attention(database, now)
    st.subheader("Needs attention")
    if message := st.session_state.pop(ERROR_KEY, None):
        st.error(plain(message))
    if not worker.alive:
        st.warning(worker.describe(now))
    if todo.total == 0:
        st.success("Nothing needs you right now.")
    _reminders(todo)
    _proposals(database, todo)
    for row in todo.failing_sources:
        st.error(
            plain(f"Source {row.source} failed at {local(row.at)}: {row.error}"), icon=":material/cell_tower:"
        )
