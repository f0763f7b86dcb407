"""The dashboard's one open database, shared by every page and session of this process."""

from __future__ import annotations

import streamlit as st

from db import Database, open_database
from forecasts.demo import load_demo_on_first_open


@st.cache_resource(show_spinner="Opening the database…")
def get_database() -> Database:
    """Upgrade the schema, load the demo on the very first open, and keep the engine.

    Cached per process: the engine (not any session) is what may be shared.
    """
    database = open_database()
    with database.write_session() as session:
        load_demo_on_first_open(session)
    return database
