"""The worker's heartbeat in the sidebar, refreshed on its own every 15 s."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard.components.database import get_database
from services.status import worker_status


@st.fragment(run_every="15s")
def show_worker_status() -> None:
    now = datetime.now(UTC)
    status = worker_status(get_database(), now)
    message = status.describe(now)
    if status.alive:
        st.sidebar.success(message, icon=":material/check_circle:")
    else:
        st.sidebar.warning(message, icon=":material/warning:")
