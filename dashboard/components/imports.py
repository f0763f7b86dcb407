"""The import section: upload, a preview of exactly what would change, then one click to write it."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from dashboard.components.database import refresh
from dashboard.components.text import plain
from db import Database
from forecasts.errors import Refused
from services import transfer
from services.transfer import IMPORT_FORMATS, ImportCounts, ImportFormat, MappingNeeded, Parsed

FORMAT_LABELS = {
    "auto": "Detect from the file",
    "ours": "Summit Watch (CSV or JSON export)",
    "fatebook": "Fatebook CSV export",
    "predictionbook": "PredictionBook API JSON",
    "csv": "Another CSV (map its columns)",
}
MAPPING_HINT = "Choose “Another CSV” as the format and fill in the column mapping beside it."
KINDS = ("questions", "forecasters", "forecasts", "resolutions", "sources", "events")


def _checked(
    database: Database, key: str, data: bytes, name: str, fmt: ImportFormat, mapping: str
) -> tuple[Parsed, ImportCounts]:
    """The file read and dry-run once per upload (kept in the session: a big file takes seconds)."""
    kept = st.session_state.get("import_checked")
    if kept is None or kept[0] != key:
        parsed = transfer.read_file(data, name, fmt, mapping)
        kept = (key, parsed, transfer.import_bundle(database, parsed.bundle, dry_run=True))
        st.session_state["import_checked"] = kept
    return kept[1], kept[2]


def counts_table(counts: ImportCounts) -> pd.DataFrame:
    buckets = {"new": counts.new, "updated": counts.updated, "unchanged": counts.unchanged}
    rows = [
        {"records": kind, **{label: bucket.get(kind, 0) for label, bucket in buckets.items()}}
        for kind in KINDS
    ]
    return pd.DataFrame([row for row in rows if any(row[label] for label in buckets)])


def _unreadable(parsed: Parsed, preview: ImportCounts) -> None:
    """Every row that will be skipped: unreadable ones by line, and ones the stored data refuses."""
    if parsed.errors:
        unit = parsed.errors[0].unit
        st.warning(
            f"{len(parsed.errors)} rows cannot be read and will be skipped:", icon=":material/warning:"
        )
        rows = [{unit: e.line, "column": e.field, "reason": e.reason} for e in parsed.errors[:500]]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    if preview.refused:
        st.warning(f"{len(preview.refused)} forecasts conflict with what is stored and will be skipped:")
        st.dataframe(pd.DataFrame({"forecast": preview.refused[:500]}), hide_index=True)


def _write(database: Database, parsed: Parsed, key: str) -> None:
    bar = st.progress(0.0, text="Writing…")

    def advance(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Writing {done:,} of {total:,}")

    counts = transfer.import_bundle(database, parsed.bundle, progress=advance)
    bar.progress(1.0, text="Done")
    st.session_state["imported"], st.session_state["import_summary"] = key, counts.summary()
    st.session_state.pop("import_checked", None)
    refresh()
    st.rerun()


def show_import(database: Database) -> None:
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
    if upload is None:
        return
    data = upload.getvalue()
    key = hashlib.sha256(data + fmt.encode() + mapping.encode()).hexdigest()
    try:
        parsed, preview = _checked(database, key, data, upload.name, fmt, mapping)
    except Refused as refusal:
        hint = f" {MAPPING_HINT}" if isinstance(refusal, MappingNeeded) else ""
        st.error(
            plain(f"{upload.name} cannot be imported: {refusal.message}.{hint}"), icon=":material/block:"
        )
        return
    st.markdown(f"**Preview** of {plain(upload.name)}, read as *{parsed.format}* — nothing is written yet.")
    for note in parsed.notes:
        st.caption(plain(note))
    st.dataframe(counts_table(preview), hide_index=True)
    _unreadable(parsed, preview)
    if st.session_state.get("imported") == key:
        st.success(plain(f"Imported: {st.session_state['import_summary']}."))
    elif not preview.changed:
        st.info("Everything in this file is already here; importing it again would change nothing.")
    elif st.button(f"Import {plain(upload.name)}", type="primary", key="import_go"):
        _write(database, parsed, key)
