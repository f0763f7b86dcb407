"""Every page and form under AppTest: real Streamlit script runs against a temporary database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db import open_database
from db.migrate import PROJECT_ROOT
from db.models import Forecast, Question, Resolution

APP = str(PROJECT_ROOT / "app.py")
PAGES = ["overview", "timeline", "questions", "add_forecast", "calibration", "sources", "data"]


@pytest.fixture
def app_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the dashboard at a fresh database; clear Streamlit's process-wide caches around it."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", database_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield database_url
    st.cache_resource.clear()
    st.cache_data.clear()


def run_app(page: str | None = None, **query: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    if page:
        app.switch_page(f"dashboard/{page}_page.py")
        for key, value in query.items():
            app.query_params[key] = value
        app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def count(url: str, model, *where) -> int:
    database = open_database(url)
    with database.read_session() as session:
        n = session.scalar(select(func.count()).select_from(model).where(*where))
    database.dispose()
    return n


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(app_env: str, page: str) -> None:
    app = run_app(page)
    assert app.title[0].value


def test_questions_list_shows_the_demo(app_env: str) -> None:
    app = run_app("questions")
    table = app.dataframe[0].value
    assert len(table) == 32
    clinton = table[table["Question"].str.startswith("Will Hillary Clinton")].iloc[0]
    assert (clinton["Status"], clinton["Outcome"]) == ("resolved", "no")
    assert any("forecasts are illustrative" in caption.value for caption in app.caption)
    assert "Worker never started on this database" in app.sidebar.warning[0].value
    app.text_input(key="q_text").input("Brent").run()
    assert set(app.dataframe[0].value["Question"].str.contains("Brent")) == {True}


def test_empty_start(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DEMO", "0")
    app = run_app("questions")
    assert "python -m tracker demo" in app.info[0].value


def test_calibration_tells_the_story(app_env: str) -> None:
    app = run_app("calibration")
    story = app.markdown[0].value
    assert "**analyst** forecast best" in story
    assert "seed article" in story
    assert "Hillary Clinton" in story
    assert len(app.get("vega_lite_chart")) >= 4


def test_quick_entry_creates_question_and_forecast_once(app_env: str) -> None:
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan by 2031-12-31? 1 in 20")
    app.text_input(key="qe_who").input("me")
    app.button[0].click().run()  # the quick-entry submit
    assert not app.exception
    assert "Saved 5%" in app.success[0].value
    app.button[0].click().run()  # a double submit
    title = "Will Russia hand over Shikotan by 2031-12-31?"
    assert count(app_env, Question, Question.title == title) == 1
    assert count(app_env, Forecast, Forecast.question_id == question_id_of(app_env, title)) == 1


def question_id_of(url: str, title: str) -> int:
    database = open_database(url)
    with database.read_session() as session:
        found = session.scalar(select(Question.id).where(Question.title == title))
    database.dispose()
    return found


def test_quick_entry_errors_appear_next_to_the_field(app_env: str) -> None:
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan by 2031-12-31? lots")
    app.text_input(key="qe_who").input("me")
    app.button[0].click().run()
    assert "is not a probability" in app.error[0].value
    assert count(app_env, Question, Question.title.like("%Shikotan by 2031%")) == 0


def test_fields_form_on_a_new_question(app_env: str) -> None:
    app = run_app("add_forecast")
    app.text_input(key="fx_title").input("Will Japan and Russia sign a peace treaty by 2030?")
    app.text_input(key="fx_p").input("3:97")
    app.text_input(key="fx_who").input("me")
    app.button[1].click().run()
    assert "Saved 3%" in app.success[0].value


def test_forecast_and_resolve_on_the_question_page(app_env: str) -> None:
    database = open_database(app_env)
    with database.write_session() as session:
        from forecasts.services import create_question

        qid = create_question(
            session,
            title="Will the Kremlin confirm a 2031 Abe-style summit?",
            opens_at=datetime(2026, 1, 1, tzinfo=UTC),
        ).id
    database.dispose()
    app = run_app("questions", question=str(qid))
    app.text_input(key=f"f-name-{qid}").input("me")
    app.text_input(key=f"f-p-{qid}").input("150")
    app.button[0].click().run()
    assert "outside 0% to 100%" in app.error[0].value
    app.text_input(key=f"f-p-{qid}").input("30%")
    app.button[0].click().run()
    assert "Saved me's forecast" in app.success[0].value
    assert count(app_env, Forecast, Forecast.question_id == qid) == 1
    app.radio(key=f"r-outcome-{qid}").set_value("no")
    app.button[1].click().run()
    assert not app.exception
    assert count(app_env, Resolution, Resolution.question_id == qid) == 1
    assert "Resolved **no**" in app.markdown[0].value
    app.button[0].click().run()  # undo
    assert count(app_env, Resolution, Resolution.question_id == qid, Resolution.outcome == "unresolved") == 1


def test_resolving_moves_the_calibration_page(app_env: str) -> None:
    before = run_app("calibration").markdown[0].value
    database = open_database(app_env)
    with database.write_session() as session:
        from forecasts.services import add_forecast, create_question, resolve_question

        qid = create_question(
            session,
            title="Will the islands question be settled by 2031?",
            opens_at=datetime(2026, 1, 1, tzinfo=UTC),
        ).id
        add_forecast(
            session,
            question_id=qid,
            forecaster="analyst",
            probability=0.99,
            made_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        resolve_question(session, qid, outcome="no", resolved_at=datetime(2026, 3, 1, tzinfo=UTC))
    database.dispose()
    after = run_app("calibration").markdown[0].value
    # A 99 % miss costs the analyst 0.98 on one question: the crowd now leads.
    assert before.startswith("**analyst** forecast best")
    assert after.startswith("**crowd:demo** forecast best")


def test_sources_page_adds_a_source_and_requests_a_run(app_env: str) -> None:
    app = run_app("sources")
    app.text_input(key="new_src_name").input("wire")
    app.text_input(key="new_src_url").input("http://127.0.0.1:9/feed")
    app.button[-1].click().run()
    assert "Added wire" in app.success[0].value
    app.selectbox(key="src_pick").set_value("wire").run()
    app.button(key="src_run").click().run()
    from db.models import Command

    assert count(app_env, Command, Command.status == "pending") == 1


def test_overview_lists_what_needs_attention(app_env: str) -> None:
    run_app()  # first open loads the demo
    from tracker.reminders import refresh_reminders

    database = open_database(app_env)
    with database.write_session() as session:
        assert refresh_reminders(session, datetime.now(UTC)).raised == 3  # the demo's open questions
    database.dispose()
    st.cache_data.clear()
    app = run_app()
    labels = [link.label for link in app.get("page_link")]
    assert sum(label.startswith("Stale forecast: ") for label in labels) == 3
    assert "Worker never started" in app.warning[0].value


def _stale_slow_scores_and_a_live_worker(url: str) -> None:
    """A kept report that took long to score, a newer forecast, and a worker that is beating."""
    from db.models import Heartbeat, ScoreSnapshot
    from forecasts.calibration_report import DEFAULT_KEY
    from forecasts.services import add_forecast

    database = open_database(url)
    now = datetime.now(UTC)
    with database.write_session() as session:
        session.get(ScoreSnapshot, DEFAULT_KEY).compute_seconds = 30.0
        open_question = session.scalar(select(Question.id).where(Question.uid == "demo-peace-treaty-2027"))
        add_forecast(session, question_id=open_question, forecaster="analyst", probability=0.05)
        session.add(
            Heartbeat(
                worker="scheduler", pid=1, hostname="test", started_at=now, beat_at=now, state="running"
            )
        )
    database.dispose()


def test_stale_scores_are_labelled_while_the_worker_rescores(app_env: str) -> None:
    app = run_app("calibration")  # scores the demo and keeps the report
    _stale_slow_scores_and_a_live_worker(app_env)
    st.cache_data.clear()
    app.run()
    assert any("are being scored now" in info.value for info in app.info)
    app.switch_page("dashboard/overview_page.py")
    app.run()
    assert any("newer forecasts and resolutions are not counted yet" in c.value for c in app.caption)


def test_a_multiple_choice_question_charts_each_option(app_env: str) -> None:
    from forecasts.views import option_trajectories

    database = open_database(app_env)
    with database.write_session() as session:
        run_app()  # loads the demo
        question_id = session.scalar(select(Question.id).where(Question.uid == "demo-documents-count"))
        paths = option_trajectories(session, question_id, datetime.now(UTC))
    database.dispose()
    assert set(paths["option"]) == {"Fewer than 30", "30 to 49", "50 to 79", "80 or more"}
    # At every moment, one forecaster's options sum to one.
    sums = paths.groupby(["forecaster", "made_at"])["probability"].sum()
    assert sums.round(6).eq(1.0).all()
    app = run_app("questions", question=str(question_id))
    assert app.selectbox(key=f"q-whose-{question_id}").options
    specs = [str(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert any('"field": "option"' in spec for spec in specs)
