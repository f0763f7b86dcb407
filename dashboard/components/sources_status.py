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


# Long cells get some room (the whole text on hover); the errors are listed in full below the table.
WIDE = {name: st.column_config.TextColumn(width="large") for name in ("Error", "Rule", "error", "notes")}


@st.fragment(run_every="10s")
def live_status() -> None:
    database, now = get_database(), datetime.now(UTC)
    worker = status.worker_status(database, now)
    (st.success if worker.alive else st.warning)(worker.describe(now))
    waiting = sources.waiting_requests(database)
    if waiting:
        st.info(f"{waiting} run-now request(s) waiting for the worker.")
    table = _sources_table()
    st.dataframe(table, hide_index=True, width="stretch", column_config=WIDE)
    failing = table[table["Error"] != ""] if not table.empty else table
    if not failing.empty:
        with st.expander(f"Errors in full ({len(failing)})", icon=":material/error:"):
            for name, error in zip(failing["Source"], failing["Error"], strict=True):
                st.text(f"{name}: {error}")  # feed and network text: shown as text
    st.subheader("Recent runs")
    everything = st.toggle("Include the worker's rescoring and reminders", key="runs_all")
    runs = status.recent_runs(database, sources_only=not everything)
    if runs.empty:
        st.caption("No runs yet.")
        return
    runs["started"] = runs["started"].map(local)
    runs[["error", "notes"]] = runs[["error", "notes"]].fillna("—")
    st.dataframe(runs, hide_index=True, width="stretch", column_config=WIDE)
