"""Import & export: download everything, bring in other trackers' files with a preview, back up."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.database import get_database
from db import Database
from db.backup import BackupError, backup, sqlite_path
from forecasts.transfer import (
    IMPORT_FORMATS,
    ImportCounts,
    ImportRefused,
    Parsed,
    bundle_json,
    events_csv,
    forecasts_csv,
    import_bundle,
    read_bundle,
    read_file,
)

FORMAT_LABELS = {
    "auto": "Detect from the file",
    "ours": "Summit Watch (CSV or JSON export)",
    "fatebook": "Fatebook CSV export",
    "predictionbook": "PredictionBook API JSON",
    "csv": "Another CSV (map its columns)",
}


def exported(database: Database, kind: str) -> bytes:
    """Built when the button is clicked, not on every page run: a big history takes seconds."""
    with database.read_session() as session:
        bundle = read_bundle(session)
    return {"forecasts": forecasts_csv, "events": events_csv, "json": bundle_json}[kind](bundle).encode()


def backup_bytes(database: Database) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return backup(database, Path(folder) / "summit-watch.db").path.read_bytes()


def checked(key: str, data: bytes, name: str, fmt: str, mapping: str) -> tuple[Parsed, ImportCounts]:
    """The file read and dry-run once per upload (kept in the session: a big file takes seconds)."""
    kept = st.session_state.get("import_checked")
    if kept is None or kept[0] != key:
        parsed = read_file(data, name, fmt, mapping)  # type: ignore[arg-type]
        kept = (key, parsed, import_bundle(database, parsed.bundle, dry_run=True))
        st.session_state["import_checked"] = kept
    return kept[1], kept[2]


def counts_table(counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    kinds = ("questions", "forecasters", "forecasts", "resolutions", "sources", "events")
    rows = [{"records": kind, **{label: counts[label].get(kind, 0) for label in counts}} for kind in kinds]
    return pd.DataFrame([row for row in rows if any(row[label] for label in counts)])


database = get_database()
st.title("Import & export")

st.subheader("Export")
st.caption(
    "Everything you have put in, in files you can import again here or elsewhere. "
    "Times are ISO 8601 in UTC; importing an export into an empty database gives the same file back."
)
DOWNLOADS = (
    ("Forecasts (CSV)", "forecasts", "summit-watch.csv", "text/csv"),
    ("Events (CSV)", "events", "summit-watch.events.csv", "text/csv"),
    ("Everything (JSON)", "json", "summit-watch.json", "application/json"),
)
with st.container(horizontal=True):
    for label, kind, file_name, mime in DOWNLOADS:
        st.download_button(
            label,
            lambda kind=kind: exported(database, kind),
            file_name,
            mime,
            on_click="ignore",
            icon=":material/download:",
        )

st.subheader("Import")
upload = st.file_uploader("A file to import", type=["csv", "json", "txt"], key="import_file")
left, right = st.columns(2)
fmt = left.selectbox("Format", IMPORT_FORMATS, format_func=FORMAT_LABELS.__getitem__, key="import_format")
mapping = right.text_input(
    "Column mapping (for another CSV)",
    placeholder="title=Question,probability=Chance,made_at=Date,resolution=Outcome",
    help="Fields: title, probability, made_at, forecaster, created_at, resolve_by, resolution, "
    "resolved_at, tags, notes. Probabilities above 1 anywhere in the column are read as percent.",
    key="import_mapping",
    disabled=fmt not in ("csv", "auto"),
)
if upload is not None:
    data = upload.getvalue()
    key = hashlib.sha256(data + fmt.encode() + mapping.encode()).hexdigest()
    try:
        parsed, preview = checked(key, data, upload.name, fmt, mapping)
    except ImportRefused as refusal:
        st.error(f"{upload.name} cannot be imported: {refusal}", icon=":material/block:")
        st.stop()
    st.markdown(f"**Preview** of {upload.name}, read as *{parsed.format}* — nothing is written yet.")
    for note in parsed.notes:
        st.caption(note)
    st.dataframe(
        counts_table({"new": preview.new, "updated": preview.updated, "unchanged": preview.unchanged}),
        hide_index=True,
    )
    if parsed.errors:
        st.warning(
            f"{len(parsed.errors)} rows cannot be read and will be skipped:", icon=":material/warning:"
        )
        st.dataframe(
            pd.DataFrame(
                [{e.unit: e.line, "column": e.field, "reason": e.reason} for e in parsed.errors[:500]]
            ),
            hide_index=True,
        )
    if st.session_state.get("imported") == key:
        st.success(f"Imported: {st.session_state['import_summary']}.")
    elif not preview.changed:
        st.info("Everything in this file is already here; importing it again would change nothing.")
    elif st.button(f"Import {upload.name}", type="primary", key="import_go"):
        bar = st.progress(0.0, text="Writing…")
        counts = import_bundle(
            database,
            parsed.bundle,
            progress=lambda done, total: bar.progress(
                done / max(total, 1), text=f"Writing {done:,} of {total:,}"
            ),
        )
        bar.progress(1.0, text="Done")
        st.session_state["imported"], st.session_state["import_summary"] = key, counts.summary()
        st.session_state.pop("import_checked", None)
        st.cache_data.clear()
        st.rerun()

st.subheader("Backup")
try:
    path = sqlite_path(database)
except BackupError as error:
    st.info(str(error))
else:
    st.caption(
        f"A consistent copy of {path.name}, taken with SQLite's online backup "
        "(safe while the worker writes). "
        "Restore it with `python -m tracker restore FILE` while the worker is stopped."
    )
    st.download_button(
        "Download a backup",
        lambda: backup_bytes(database),
        "summit-watch-backup.db",
        "application/vnd.sqlite3",
        on_click="ignore",
        icon=":material/backup:",
    )
