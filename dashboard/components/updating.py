"""The Calibration page's "How you update": each forecaster's updating in a sentence, the numbers,
excess movement with its interval (zero is a Bayesian), the best and worst updates, and what the
forecasts did in the week after each event."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.charts import excess_movement_chart
from dashboard.components.database import data_version, get_database
from dashboard.components.text import plain
from forecasts.scoring.updating import Updating
from services import updates
from services.scores import CalibrationReport, questions_count


def verdict(u: Updating) -> str:
    """Over- or under-reacting, only when the interval says so (two standard errors from zero)."""
    if u.magnitude is None:  # not one update changed a value: there is no updating to judge
        return "never changed a forecast once made"
    if u.excess_movement_se is None:
        return "has too few resolved questions to tell how they update"
    if abs(u.excess_movement) <= 2 * u.excess_movement_se:
        return "updates about as much as a Bayesian would"
    return "over-reacts" if u.excess_movement > 0 else "under-reacts"


def sentence(name: str, u: Updating) -> str:
    """``analyst under-reacts: excess movement −0.04 ± 0.02 over 27 questions; updates moved toward
    the outcome 71 % of the time``"""
    spread = f" ± {u.excess_movement_se:.2f}" if u.excess_movement_se is not None else ""
    over = questions_count(u.n_questions)
    said = f"{name} {verdict(u)}: excess movement {u.excess_movement:+.2f}{spread} over {over}"
    if u.update_hit_rate is None:
        return f"{said}; no update changed a value"
    return f"{said}; updates moved toward the outcome {u.update_hit_rate:.0%} of the time"


def _table(report: CalibrationReport) -> pd.DataFrame:
    rows = []
    for name, card in report.card.by_forecaster.items():
        u = card.updating
        if u is None:
            continue
        rows.append(
            {
                "Forecaster": name,
                "Questions": u.n_questions,
                "Forecasts per question": u.frequency,
                "Size of a change": u.magnitude,
                "Restated": u.confirmation,
                "Excess movement": u.excess_movement,
                "± (standard error)": u.excess_movement_se,
                "Normalised": u.normalized_excess_movement,
                "Brier won per update": u.update_gain,
                "Moved toward outcome": u.update_hit_rate,
            }
        )
    return pd.DataFrame(rows)


@st.cache_data(ttl=60, show_spinner=False)
def _linked_steps(version: tuple[int, ...]) -> pd.DataFrame:
    return updates.update_steps(get_database(), linked_only=True)


def _updates_table(frame: pd.DataFrame) -> None:
    shown = frame.assign(
        move=[f"{a:.0%} → {b:.0%}" for a, b in zip(frame["previous"], frame["probability"], strict=True)]
    )
    st.dataframe(
        shown[["made_at", "forecaster", "title", "move", "outcome", "gain", "because"]],
        hide_index=True,
        width="stretch",
        column_config={
            "made_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD", timezone="UTC"),
            "forecaster": st.column_config.TextColumn("Forecaster"),
            "title": st.column_config.TextColumn("Question", width="large"),
            "move": st.column_config.TextColumn("Update"),
            "outcome": st.column_config.NumberColumn("Happened", format="%d", help="1 yes, 0 no"),
            "gain": st.column_config.NumberColumn("Brier won (0–1)", format="%+.3f"),
            "because": st.column_config.TextColumn("Because of", width="medium"),
        },
    )


def how_you_update(report: CalibrationReport) -> None:
    st.subheader("How you update")
    table = _table(report)
    if table.empty:
        return
    for name, card in report.card.by_forecaster.items():
        if card.updating is not None:
            st.markdown(f"- {plain(sentence(name, card.updating))}")
    st.caption(
        "Excess movement (Augenblick & Rabin): how far a forecast travelled, counting the last step to the "
        "outcome, minus how much uncertainty the first forecast had. A Bayesian's is 0 on average; above 0 "
        "over-reacts (too much back and forth), below 0 under-reacts. A verdict needs two standard errors."
    )
    st.altair_chart(excess_movement_chart(table), width="stretch")
    numbers = [c for c in table.columns if c not in ("Forecaster", "Questions")]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.3f") for c in numbers},
    )
    if report.notable.empty:
        return
    best, worst = updates.notable_updates(get_database(), report.notable)
    st.markdown("**The five updates that helped most**, and **the five that hurt most**")
    _updates_table(best)
    _updates_table(worst)
    moves = updates.event_moves(get_database(), _linked_steps(data_version()))
    if not moves.empty:
        st.markdown("**After each event**: the updates on its questions in the following week")
        st.dataframe(
            moves.head(30),
            hide_index=True,
            width="stretch",
            column_config={
                "event": st.column_config.TextColumn("Event", width="large"),
                "occurred_at": st.column_config.DatetimeColumn(
                    "When (UTC)", format="YYYY-MM-DD", timezone="UTC"
                ),
                "question": st.column_config.TextColumn("Question", width="large"),
                "steps": st.column_config.NumberColumn("Updates"),
                "moved": st.column_config.NumberColumn("Moved in all", format="%.2f", help="Σ |change|"),
                "toward_outcome": st.column_config.NumberColumn("Toward the outcome", format="percent"),
            },
        )
