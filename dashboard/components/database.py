"""The dashboard's one open database, shared by every page and session of this process."""

from __future__ import annotations

import streamlit as st

from dashboard.components.text import plain
from db import Database
from forecasts.errors import SummitWatchError
from services import demo, status
from services.database import open_database


@st.cache_resource(show_spinner="Opening the database…")
def get_database() -> Database:
    """Upgrade the schema, load the demo on the very first open, and keep the engine.

    Cached per process: the engine (not any session) is what may be shared.
    """
    database = open_database()
    demo.load_demo_on_first_open(database)
    return database


def data_version() -> tuple[int, ...]:
    """A cheap fingerprint of the data: cached reads take it as an argument, so a change made by this
    session or by the worker is seen on the next rerun."""
    return status.data_version(get_database())


def refresh() -> None:
    """After a write: drop cached reads so every page shows it."""
    st.cache_data.clear()


def open_or_stop() -> None:
    """Open the database before any page draws; one that cannot be opened (not ours, read-only,
    damaged, unreachable) is said in one line, and nothing else runs."""
    try:
        get_database()
    except SummitWatchError as error:
        st.error(plain(error.message), icon=":material/database:")
        st.caption("Set TRACKER_DATABASE_URL to a Summit Watch database (or a new file) and restart.")
        st.stop()
