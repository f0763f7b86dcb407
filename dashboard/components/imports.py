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
MAPPING_HINT = "Say below which of its columns holds what."
FIELD_LABELS = {  # the fields a row-per-forecast CSV can give, as a person names them
    "title": "Question (required)",
    "probability": "Probability (required)",
    "made_at": "Date of the forecast",
    "forecaster": "Forecaster",
    "created_at": "Question asked on",
    "resolve_by": "Resolve by",
    "resolution": "Outcome (yes / no)",
    "resolved_at": "Resolved on",
    "tags": "Tags",
    "notes": "Notes",
}
GUESSES = {  # lower-case column names that usually mean a field
    "title": ("question", "title", "question title"),
    "probability": ("probability", "p", "chance", "forecast", "prob"),
    "made_at": ("date", "made_at", "when", "forecast date", "time"),
    "forecaster": ("forecaster", "who", "name", "user"),
    "created_at": ("created", "created_at", "asked"),
    "resolve_by": ("resolve by", "resolve_by", "deadline", "closes"),
    "resolution": ("outcome", "resolution", "result"),
    "resolved_at": ("resolved", "resolved_at", "settled", "resolved on"),
    "tags": ("tags", "tag"),
    "notes": ("notes", "note", "comment"),
}
NONE = "(not in the file)"
KINDS = ("questions", "forecasters", "forecasts", "resolutions", "sources", "events")


def _checked(
    database: Database, key: str, data: bytes, name: str, fmt: ImportFormat, mapping: dict[str, str]
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


def _guess(field: str, columns: list[str]) -> int:
    lowered = [c.strip().lower() for c in columns]
    for name in GUESSES[field]:
        if name in lowered:
            return 1 + lowered.index(name)
    return 0


def mapping_step(columns: list[str]) -> dict[str, str]:
    """Which of the file's columns holds each field: one choice per field, guessed from the names."""
    st.markdown("**Which column holds what?** Question and probability are needed; the rest is optional.")
    chosen: dict[str, str] = {}
    places = st.columns(3)
    for i, (field, label) in enumerate(FIELD_LABELS.items()):
        options = [NONE, *columns]
        picked = places[i % 3].selectbox(label, options, index=_guess(field, columns), key=f"map_{field}")
        if picked != NONE:
            chosen[field] = picked
    return chosen


def _columns_of(data: bytes, name: str) -> list[str] | None:
    try:
        return transfer.csv_header_of(data, name)
    except Refused:
        return None


def _read(
    database: Database, data: bytes, name: str, fmt: ImportFormat
) -> tuple[Parsed, ImportCounts, str] | None:
    """The file read (with the on-page mapping when it is another CSV), or None after saying why."""
    mapping: dict[str, str] = {}
    if fmt == "csv" or st.session_state.get("import_needs_mapping") == name:
        columns = _columns_of(data, name) or []
        mapping, fmt = mapping_step(columns), "csv"
    key = hashlib.sha256(data + fmt.encode() + repr(sorted(mapping.items())).encode()).hexdigest()
    try:
        parsed, preview = _checked(database, key, data, name, fmt, mapping)
    except MappingNeeded as refusal:
        if st.session_state.get("import_needs_mapping") != name:  # a CSV of its own layout: map it
            st.session_state["import_needs_mapping"] = name
            st.rerun()
        st.info(plain(f"{name}: {refusal.message}. {MAPPING_HINT}"), icon=":material/table_view:")
        return None
    except Refused as refusal:
        st.error(plain(f"{name} cannot be imported: {refusal.message}."), icon=":material/block:")
        return None
    return parsed, preview, key


def show_import(database: Database) -> None:
    upload = st.file_uploader("A file to import", type=["csv", "json", "txt"], key="import_file")
    fmt = st.selectbox("Format", IMPORT_FORMATS, format_func=FORMAT_LABELS.__getitem__, key="import_format")
    if upload is None:
        return
    data = upload.getvalue()
    read = _read(database, data, upload.name, fmt)
    if read is None:
        return
    parsed, preview, key = read
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
