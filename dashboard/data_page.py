"""Import & export: download everything, bring in other trackers' files with a preview, back up."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboard.components.database import get_database, refresh
from dashboard.components.imports import show_import
from dashboard.components.text import plain
from forecasts.errors import Refused
from services import backups, demo, transfer

DOWNLOADS = (
    ("Forecasts (CSV)", "forecasts", "summit-watch.csv", "text/csv"),
    ("Events (CSV)", "events", "summit-watch.events.csv", "text/csv"),
    ("Everything (JSON)", "json", "summit-watch.json", "application/json"),
)
WRITERS = {"forecasts": transfer.forecasts_csv, "events": transfer.events_csv, "json": transfer.bundle_json}


def exported(kind: str) -> bytes:
    """Built when the button is clicked, not on every page run: a big history takes seconds."""
    return WRITERS[kind](transfer.export_bundle(get_database())).encode()


st.title("Import & export")
st.subheader("Export")
st.caption(
    "Everything you have put in, in files you can import again here or elsewhere. "
    "Times are ISO 8601 in UTC; importing an export into an empty database gives the same file back."
)
with st.container(horizontal=True):
    for label, kind, file_name, mime in DOWNLOADS:
        st.download_button(
            label,
            partial(exported, kind),
            file_name,
            mime,
            on_click="ignore",
            icon=":material/download:",
        )

st.subheader("Import")
show_import(get_database())

st.subheader("Backup")
try:
    path = backups.sqlite_file(get_database())
except Refused as error:
    st.info(plain(error.message))
else:
    st.caption(
        f"A consistent copy of {plain(path.name)}, taken with SQLite's online backup "
        "(safe while the worker writes). "
        "Restore it with `python -m tracker restore FILE` while the worker is stopped."
    )
    st.download_button(
        "Download a backup",
        lambda: backups.backup_bytes(get_database()),
        "summit-watch-backup.db",
        "application/vnd.sqlite3",
        on_click="ignore",
        icon=":material/backup:",
    )

if demo.demo_loaded(get_database()):
    st.subheader("Demo")
    st.caption(
        "The demo's questions, forecasts, events and sources (uids starting with demo-). "
        "Your own questions and forecasts stay. It is not loaded again once removed."
    )
    sure = st.checkbox("Yes, remove the demo", key="remove_demo_sure")
    if st.button("Remove the demo", key="remove_demo", disabled=not sure, icon=":material/delete:"):
        removed = demo.remove_demo(get_database())
        refresh()
        st.toast(f"Removed the demo: {removed} questions with their forecasts and events.")
        st.rerun()
