"""The dashboard under AppTest: real Streamlit script runs against a temporary database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from db.migrate import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def app_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the dashboard at a fresh database; clear Streamlit's process-wide caches around it."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", database_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield database_url
    st.cache_resource.clear()
    st.cache_data.clear()


def run_app() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_first_open_lists_the_demo_questions(app_env: str) -> None:
    app = run_app()
    assert app.title[0].value == "Questions"
    table = app.dataframe[0].value
    assert len(table) == 29
    assert "Will Hillary Clinton win the 8 Nov 2016 US presidential election?" in set(table["Question"])
    clinton = table[table["Question"].str.startswith("Will Hillary Clinton")].iloc[0]
    assert (clinton["Status"], clinton["Outcome"]) == ("resolved", "no")
    assert any("forecasts are illustrative" in caption.value for caption in app.caption)
    assert "Worker never started on this database" in app.sidebar.warning[0].value


def test_empty_start_says_how_to_load_the_demo(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DEMO", "0")
    app = run_app()
    assert len(app.dataframe) == 0
    assert "python -m tracker demo" in app.info[0].value
