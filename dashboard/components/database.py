"""The dashboard's one open database, shared by every page and session of this process."""

from __future__ import annotations

import streamlit as st

from db import Database
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
