"""Sources & jobs: the worker's heartbeat, each source's runs and next run, add / edit / switch, run now."""

from __future__ import annotations

import streamlit as st

from dashboard.components.database import get_database
from dashboard.components.source_forms import add_source_form, edit_source_form
from dashboard.components.sources_status import live_status
from dashboard.components.text import plain
from services import sources

st.title("Sources & jobs")
if added := st.session_state.pop("source_added", None):
    st.success(f"Added {plain(added)}; the worker starts polling it within 30 s.")
live_status()

names = sources.source_names(get_database())
if names:
    st.subheader("Run, switch or edit a source")
    name = st.selectbox("Source", names, key="src_pick")
    edit_source_form(sources.get_source(get_database(), name))

st.subheader("Add a source")
add_source_form()
