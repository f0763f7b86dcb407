"""Who "you" are on the forms: asked once, then remembered for the session and in the database."""

from __future__ import annotations

import streamlit as st

from dashboard.components.database import get_database
from services import forecasts

FIRST_USE_HELP = (
    f"Your name or handle, as your forecasts are scored under it (“{forecasts.SUGGESTED_NAME}” will do). "
    "Remembered once saved."
)


def my_name() -> str:
    """The name the forms start with: this session's, else the one saved in the database, else ''."""
    if name := st.session_state.get("me"):
        return str(name)
    stored = forecasts.default_forecaster(get_database())
    if stored:
        st.session_state["me"] = stored
    return stored or ""


def forecaster_input(label: str, key: str) -> str:
    """A Forecaster box filled with :func:`my_name`; on first use it suggests a name instead."""
    name = my_name()
    return st.text_input(
        label,
        value=name,
        key=key,
        placeholder=forecasts.SUGGESTED_NAME if not name else "",
        help=None if name else FIRST_USE_HELP,
    )


def remember_me(name: str) -> None:
    """After a save: this name is the default from now on, here and in later sessions."""
    st.session_state["me"] = name
    if forecasts.default_forecaster(get_database()) != name:
        forecasts.remember_forecaster(get_database(), name)
