"""Tables the pages share: events and a question's latest forecasts. Cells are text, never Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from dashboard.components.forms import local
from dashboard.components.text import http_link
from forecasts.quantities import shown_quantiles
from forecasts.rules import RANGED_TYPES


def show_events(frame: pd.DataFrame, *, with_tags: bool = False, key: str | None = None) -> list[int]:
    """Events newest first; only http(s) links are clickable. With a ``key`` rows can be selected:
    returns their positions."""
    shown = frame.assign(url=frame["url"].map(http_link))
    columns = ["occurred_at", "title", "source", *(["tags"] if with_tags else []), "url"]
    config: dict[str, ColumnConfig] = {
        "occurred_at": st.column_config.DatetimeColumn(
            "When (UTC)", format="YYYY-MM-DD HH:mm", timezone="UTC"
        ),
        "title": st.column_config.TextColumn("Event", width="large"),
        "source": st.column_config.TextColumn("Source"),
        "tags": st.column_config.TextColumn("Tags"),
        "url": st.column_config.LinkColumn("Link", display_text="open"),
    }
    if key is None:
        st.dataframe(shown[columns], hide_index=True, width="stretch", column_config=config)
        return []
    picked = st.dataframe(
        shown[columns],
        hide_index=True,
        width="stretch",
        column_config=config,
        key=key,
        on_select="rerun",
        selection_mode="multi-row",
    )
    return list(picked.selection.rows)


def show_latest_forecasts(
    latest: pd.DataFrame, question_type: str, options: tuple[str, ...], unit: str = ""
) -> None:
    shown = latest.rename(columns={"forecaster": "Forecaster", "made_at": "When", "rationale": "Why"})
    if question_type in RANGED_TYPES:
        shown["probability"] = shown["quantiles"].map(
            lambda pairs: shown_quantiles(question_type, pairs or [], unit)
        )
    elif question_type != "binary":
        shown["probability"] = shown["option_probabilities"].map(
            lambda values: " / ".join(f"{o}: {p:.0%}" for o, p in zip(options, values or [], strict=False))
        )
    # A forecast logged a day or more after it was made (back-dated) says so beside its time.
    later = shown["recorded_at"] - shown["When"] > pd.Timedelta(days=1)
    when = shown["When"].map(local)
    shown["When"] = when.where(
        ~later, when + " (logged " + shown["recorded_at"].map(lambda t: local(t, "%Y-%m-%d")) + ")"
    )
    st.dataframe(
        shown.drop(columns=["option_probabilities", "quantiles", "recorded_at"]),
        hide_index=True,
        width="stretch",
        column_config={
            "probability": st.column_config.NumberColumn("P(yes)", format="percent")
            if question_type == "binary"
            else st.column_config.TextColumn(
                "Forecast (quantiles)" if question_type in RANGED_TYPES else "Forecast"
            )
        },
    )


QUESTION_COLUMNS = [
    "open", "title", "status", "outcome", "closes_at", "resolved_at", "tags", "n_forecasts", "new_events",
]  # fmt: skip


def _day(label: str) -> ColumnConfig:
    return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD", timezone="UTC", width="small")


def show_questions(frame: pd.DataFrame) -> None:
    """The questions list: a link to each question, its status, outcome and dates."""
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height="content" if len(frame) <= 40 else 600,
        column_order=QUESTION_COLUMNS,
        column_config={
            "open": st.column_config.LinkColumn("", display_text="Open", width="small"),
            "title": st.column_config.TextColumn("Question", width=440),
            "status": st.column_config.TextColumn("Status", width="small"),
            "outcome": st.column_config.TextColumn("Outcome"),
            "closes_at": _day("Closes"),
            "resolved_at": _day("Resolved"),
            "tags": st.column_config.TextColumn("Tags"),
            "n_forecasts": st.column_config.NumberColumn("Forecasts", width="small"),
            "new_events": st.column_config.NumberColumn(
                "New events", width="small", help="Linked events since your last forecast on it"
            ),
        },
    )
