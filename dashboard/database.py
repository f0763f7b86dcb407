"""The dashboard's one open database, shared by every page and session of this process."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from db import Database, open_database
from db.models import Event, Forecast, JobRun, Question, Resolution
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


def data_version() -> tuple[int, ...]:
    """A cheap fingerprint of the data: cached reads take it as an argument, so a new forecast,
    resolution or event (from this session or the worker) is seen on the next rerun."""
    with get_database().read_session() as session:
        row = session.execute(
            select(
                select(func.coalesce(func.max(Forecast.id), 0)).scalar_subquery(),
                select(func.count()).select_from(Forecast).scalar_subquery(),
                select(func.coalesce(func.max(Resolution.id), 0)).scalar_subquery(),
                select(func.coalesce(func.max(Event.id), 0)).scalar_subquery(),
                select(func.coalesce(func.max(Question.id), 0)).scalar_subquery(),
                select(func.coalesce(func.max(JobRun.id), 0)).scalar_subquery(),
            )
        ).one()
    return tuple(int(v) for v in row)
