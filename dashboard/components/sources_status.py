"""The live part of the Sources page: the worker, every source's last and next run, recent runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.components.database import get_database
from dashboard.components.forms import local
from services import sources, status


def _sources_table() -> pd.DataFrame:
    return pd.DataFrame(
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
            for s in sources.list_sources(get_database())
        ]
    )


@st.fragment(run_every="10s")
def live_status() -> None:
    database, now = get_database(), datetime.now(UTC)
    worker = status.worker_status(database, now)
    (st.success if worker.alive else st.warning)(worker.describe(now))
    waiting = sources.waiting_requests(database)
    if waiting:
        st.info(f"{waiting} run-now request(s) waiting for the worker.")
    st.dataframe(_sources_table(), hide_index=True, width="stretch")
    st.subheader("Recent runs")
    runs = status.recent_runs(database)
    if runs.empty:
        st.caption("No runs yet.")
        return
    runs["started"] = runs["started"].map(local)
    runs[["error", "notes"]] = runs[["error", "notes"]].fillna("—")
    st.dataframe(runs, hide_index=True, width="stretch")
