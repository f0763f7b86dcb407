"""Every page and form under AppTest: real Streamlit script runs against a temporary database.

Widgets are found by their keys, never by position, and the data each test needs
is written by the factories, so nothing here depends on the demo's contents.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db import Database
from db.engine import connect
from db.migrate import PROJECT_ROOT
from db.models import Command, Forecast, Heartbeat, Question, Reminder, Resolution, ScoreSnapshot, Source
from services import questions
from services.score_report import DEFAULT_KEY
from tests.factories import E, F, Q, R, S, day

APP = str(PROJECT_ROOT / "app.py")
PAGES = ["overview", "timeline", "questions", "add_forecast", "calibration", "sources", "data"]


@pytest.fixture
def app_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """Point the dashboard at a fresh database (no demo unless a test asks); clear Streamlit's caches."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    database = connect(database_url)
    yield database
    database.dispose()
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


def text(markdown: str) -> str:
    """What a person reads: user text reaches Markdown with every punctuation mark escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def count(database: Database, model, *where) -> int:
    with database.read_session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def settled_history(database: Database, n: int = 6) -> None:
    """Ana calls ``n`` questions well, Bo badly (six: enough to rank them)."""
    for i in range(n):
        outcome = ("yes", "no")[i % 2]
        q = Q(database, f"Will the {outcome} question number {i} resolve yes?", tags=["summit"])
        F(database, q, 0.9 if outcome == "yes" else 0.1, by="ana", at=2)
        F(database, q, 0.3 if outcome == "yes" else 0.7, by="bo", at=3)
        R(database, q, outcome, at=30)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_an_empty_database(app_env: Database, page: str) -> None:
    app = run_app(page)
    assert app.title[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo(app_env: Database, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    monkeypatch.setenv("TRACKER_DEMO", "1")
    app = run_app(page)
    assert app.title[0].value


def test_questions_list_filters_by_text(app_env: Database) -> None:
    settled_history(app_env, n=2)
    Q(app_env, "Will Brent close above $60?")
    app = run_app("questions")
    assert len(app.dataframe[0].value) == 3
    assert "Worker never started on this database" in app.sidebar.warning[0].value
    app.text_input(key="q_text").input("Brent").run()
    assert app.dataframe[0].value["title"].tolist() == ["Will Brent close above $60?"]


def test_an_unknown_question_link_says_so_and_offers_the_way_back(app_env: Database) -> None:
    for link in ("999", "abc"):
        app = run_app("questions", question=link)
        assert "There is no question" in text(app.warning[0].value)
        assert [p.label for p in app.get("page_link")] == ["All questions"]


def test_empty_start_says_what_to_do(app_env: Database) -> None:
    app = run_app("questions")
    assert "python -m tracker demo" in app.info[0].value


def test_calibration_tells_who_did_best(app_env: Database) -> None:
    settled_history(app_env)
    app = run_app("calibration")
    story = text(app.markdown[0].value)
    assert story.startswith("**ana** forecast best: Brier (0–1 scale) 0.010 over 6 questions")
    assert len(app.get("vega_lite_chart")) >= 4


def test_no_one_is_crowned_on_too_few_questions(app_env: Database) -> None:
    settled_history(app_env, n=2)
    story = text(run_app("calibration").markdown[0].value)
    assert story.startswith("Too few resolved questions to rank anyone yet (it takes 5 each).")
    assert "ana (2 questions)" in story
    cautions = [w.value for w in run_app("calibration").warning]
    assert any("too few for calibration to say much (under 10)" in text(w) for w in cautions), cautions
    overview = run_app()
    assert not any("ana" in metric.label for metric in overview.metric)
    assert any("Too few resolved questions to rank" in c.value for c in overview.caption)


def test_quick_entry_creates_question_and_forecast_once(app_env: Database) -> None:
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan by 2031-12-31? 1 in 20")
    app.text_input(key="qe_who").input("me")
    app.button(key="qe_save").click().run()
    assert not app.exception
    assert "Saved 5%" in app.success[0].value
    app.button(key="qe_save").click().run()  # a double submit
    title = "Will Russia hand over Shikotan by 2031-12-31?"
    assert count(app_env, Question, Question.title == title) == 1
    (question,) = questions.list_questions(app_env, questions.QuestionFilter(text="Shikotan"))
    assert count(app_env, Forecast, Forecast.question_id == question.id) == 1
    assert app.session_state["me"] == "me"  # remembered for the next form


def test_quick_entry_errors_appear_next_to_the_field_and_store_nothing(app_env: Database) -> None:
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan by 2031-12-31? lots")
    app.text_input(key="qe_who").input("me")
    app.button(key="qe_save").click().run()
    assert "Probability: 'lots' is not a probability" in text(app.error[0].value)
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan by 2031-12-31? 5%")
    app.text_input(key="qe_who").input(" ")
    app.button(key="qe_save").click().run()
    assert "Forecaster: is empty" in text(app.error[0].value)
    assert count(app_env, Question) == 0


def _order(app: AppTest) -> list[str]:
    """The page's elements top to bottom: an error by its text, an input by its key."""
    found: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", "") == "error":
                found.append(f"error:{text(child.value)}")
            elif getattr(child, "key", None):
                found.append(f"input:{child.key}")
            walk(child)

    walk(app.main)
    return found


def test_quick_entry_asks_for_a_close_date_or_an_open_ended_question(app_env: Database) -> None:
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan? 5%")
    app.text_input(key="qe_who").input("me")
    app.button(key="qe_save").click().run()
    message = text(app.error[0].value)
    assert message.startswith("Closes on: is missing: end the line with “by 2026-12-31? 70%”")
    order = _order(app)
    error_at = next(i for i, item in enumerate(order) if item.startswith("error:Closes on"))
    assert error_at < order.index("input:qe_open") < order.index("input:qe_who")  # under the line
    assert count(app_env, Question) == 0
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan by 2016-12-31? 5%")
    app.button(key="qe_save").click().run()
    assert "Closes on: 2016-12-31 has passed: a new question opens now" in text(app.error[0].value)
    assert count(app_env, Question) == 0
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan? 5%")
    app.checkbox(key="qe_open").check()
    app.button(key="qe_save").click().run()
    assert "Saved 5%" in app.success[0].value
    assert count(app_env, Question) == 1


def test_the_forecaster_is_asked_once_then_remembered_in_later_sessions(app_env: Database) -> None:
    app = run_app("add_forecast")
    assert app.text_input(key="qe_who").value == ""
    assert app.text_input(key="qe_who").placeholder == "me"  # offered on first use
    app.text_input(key="qe_line").input("Will Russia hand over Shikotan by 2031-12-31? 5%")
    app.text_input(key="qe_who").input("analyst")
    app.button(key="qe_save").click().run()
    later = run_app("add_forecast")  # another session, another day
    assert later.text_input(key="qe_who").value == "analyst"
    assert later.text_input(key="fx_who").value == "analyst"


def test_a_forecast_made_earlier_is_logged_with_its_own_date_and_criteria(app_env: Database) -> None:
    app = run_app("add_forecast")
    app.text_input(key="fx_title").input("Will Abe visit Moscow in 2017?")
    app.date_input(key="fx_closes").set_value(date(2017, 12, 31))
    app.text_area(key="fx_criteria").input("Yes if Abe meets Putin in Moscow during 2017.")
    app.text_input(key="fx_p").input("60%")
    app.text_input(key="fx_who").input("analyst")
    app.date_input(key="fx_made_on").set_value(date(2016, 12, 16))
    app.time_input(key="fx_made_time").set_value(time(9, 30))
    app.button(key="fx_save").click().run()
    assert not app.error, [e.value for e in app.error]
    assert "recorded now" in app.success[0].value
    (question,) = questions.list_questions(app_env)
    detail = questions.get_question(app_env, question.id)
    assert detail.resolution_criteria == "Yes if Abe meets Putin in Moscow during 2017."
    with app_env.read_session() as session:
        forecast = session.scalars(select(Forecast)).one()
        assert forecast.made_at.date() == date(2016, 12, 16)
        assert forecast.recorded_at > forecast.made_at + timedelta(days=3000)  # marked as recorded later
    assert detail.opens_at == forecast.made_at  # the question was open when the forecast was made
    page = run_app("questions", question=str(question.id))
    (when,) = page.dataframe[0].value["When"].tolist()
    assert when.startswith("2016-12-16")
    assert "(logged " in when  # marked as recorded later


def test_choosing_an_existing_question_shows_its_context(app_env: Database) -> None:
    qid = Q(app_env, "Will talks resume by 2027?", closes=None, criteria="Yes if both ministries say so.")
    F(app_env, qid, 0.2, by="ana", at=2)
    F(app_env, qid, 0.35, by="crowd:manifold", at=3)
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input("Will talks resume by 2027? 25%")  # to learn who I am
    app.text_input(key="qe_who").input("ana")
    app.button(key="qe_save").click().run()
    app.selectbox(key="fx_which").set_value("Will talks resume by 2027?").run()
    captions = [text(c.value) for c in app.caption]
    assert "Resolves: Yes if both ministries say so." in captions
    assert any(c.startswith("Your latest: 25%") for c in captions)
    assert any(c.startswith("crowd:manifold's latest: 35%") for c in captions)


def test_a_new_multiple_choice_question_with_criteria(app_env: Database) -> None:
    app = run_app("add_forecast")
    app.get("button_group")[0].set_value("Multiple choice").run()
    app.text_area(key="fx_options").input("Fewer than 30\n30–79\n80 or more").run()
    app.text_input(key="fx_title").input("How many documents will Abe and Putin sign in Nagato?")
    app.date_input(key="fx_closes").set_value(date(2031, 12, 16))
    app.text_area(key="fx_criteria").input("The count in the joint statement.")
    for i, value in enumerate(("20%", "50%", "30%")):
        app.text_input(key=f"fx_o_{i}").input(value)
    app.text_input(key="fx_who").input("analyst")
    app.button(key="fx_save").click().run()
    assert not app.error, [e.value for e in app.error]
    assert "Saved 20%, 50%, 30%" in app.success[0].value
    (question,) = questions.list_questions(app_env)
    detail = questions.get_question(app_env, question.id)
    assert (detail.type, detail.options) == ("multiple_choice", ("Fewer than 30", "30–79", "80 or more"))
    assert detail.resolution_criteria == "The count in the joint statement."
    app.text_input(key="fx_o_2").input("40%")
    app.button(key="fx_save").click().run()
    assert "add up" in text(app.error[0].value)  # next to the options: 20 + 50 + 40 is not 100


def test_fields_form_on_a_new_question(app_env: Database) -> None:
    app = run_app("add_forecast")
    app.text_input(key="fx_title").input("Will Japan and Russia sign a peace treaty by 2030?")
    app.date_input(key="fx_closes").set_value(date(2030, 12, 31))
    app.text_input(key="fx_tags").input("Treaty, summit")
    app.text_input(key="fx_p").input("3:97")
    app.text_input(key="fx_who").input("me")
    app.button(key="fx_save").click().run()
    assert "Saved 3%" in app.success[0].value
    (question,) = questions.list_questions(app_env)
    assert question.tags == ("summit", "treaty")


def test_forecast_resolve_and_undo_on_the_question_page(app_env: Database) -> None:
    qid = Q(app_env, "Will the Kremlin confirm a 2031 Abe-style summit?", closes=None)
    app = run_app("questions", question=str(qid))
    app.text_input(key=f"f-name-{qid}").input("me")
    app.text_input(key=f"f-p-{qid}").input("150")
    app.button(key=f"FormSubmitter:forecast-{qid}-Save forecast").click().run()
    assert "Probability of yes: '150' is outside 0% to 100%" in text(app.error[0].value)
    app.text_input(key=f"f-p-{qid}").input("30%")
    app.button(key=f"FormSubmitter:forecast-{qid}-Save forecast").click().run()
    assert "Saved me's forecast" in app.success[0].value
    assert count(app_env, Forecast, Forecast.question_id == qid) == 1
    app.radio(key=f"r-outcome-{qid}").set_value("no")
    app.button(key=f"FormSubmitter:resolve-{qid}-Review the resolution").click().run()
    assert count(app_env, Resolution) == 0  # not yet: first, what will be scored
    assert "**Resolve as no**" in app.markdown[-1].value or any(
        "**Resolve as no**" in m.value for m in app.markdown
    )
    app.button(key=f"r-confirm-{qid}").click().run()
    assert not app.exception
    assert count(app_env, Resolution, Resolution.question_id == qid) == 1
    assert "Resolved as no" in app.success[0].value
    assert "Resolved **no**" in app.markdown[0].value
    app.button(key=f"FormSubmitter:undo-{qid}-Undo resolution").click().run()
    assert count(app_env, Resolution, Resolution.question_id == qid, Resolution.outcome == "unresolved") == 1


def test_resolving_chooses_nothing_for_you_and_shows_what_will_be_scored(app_env: Database) -> None:
    qid = Q(app_env, "Will a treaty be signed in 2016?", closes=None)
    F(app_env, qid, 0.8, by="ana", at=2)
    F(app_env, qid, 0.3, by="bo", at=3)
    F(app_env, qid, 0.9, by="ana", at=5)
    app = run_app("questions", question=str(qid))
    assert app.radio(key=f"r-outcome-{qid}").value is None  # no outcome preselected
    settled = datetime.combine(
        app.date_input(key=f"r-day-{qid}").value, app.time_input(key=f"r-time-{qid}").value
    )
    assert settled <= datetime.now()  # the form's default is now at the latest, never ahead
    app.button(key=f"FormSubmitter:resolve-{qid}-Review the resolution").click().run()
    assert text(app.error[0].value) == "Outcome: choose what happened (nothing is chosen for you)"
    app.radio(key=f"r-outcome-{qid}").set_value("no")
    app.date_input(key=f"r-day-{qid}").set_value(day(4).date())
    app.time_input(key=f"r-time-{qid}").set_value(day(4).time())
    app.button(key=f"FormSubmitter:resolve-{qid}-Review the resolution").click().run()
    scored = app.dataframe[-1].value  # the confirmation, below the history
    assert scored["Forecaster"].tolist() == ["ana", "bo"]
    assert scored["P(no)"].tolist() == ["20%", "70%"]  # each one's last forecast before day 4
    assert scored["Brier"].round(2).tolist() == [0.64, 0.09]
    assert any("1 forecast made after this time will not be scored." in w.value for w in app.warning)
    app.button(key=f"r-change-{qid}").click().run()  # back to the form: nothing written
    assert count(app_env, Resolution) == 0
    assert app.radio(key=f"r-outcome-{qid}").value == "no"


def test_resolving_moves_the_calibration_page(app_env: Database) -> None:
    settled_history(app_env)
    before = text(run_app("calibration").markdown[0].value)
    q = Q(app_env, "Will the islands question be settled by 2031?")
    F(app_env, q, 0.99, by="ana", at=2)
    F(app_env, q, 0.01, by="bo", at=2)
    R(app_env, q, "no", at=30)
    after = text(run_app("calibration").markdown[0].value)
    # A 99 % miss costs Ana 0.98 on one question: (6 × 0.01 + 0.9801) / 7 = 0.149.
    assert before.startswith("**ana** forecast best: Brier (0–1 scale) 0.010 over 6 questions")
    assert after.startswith("**ana** forecast best: Brier (0–1 scale) 0.149 over 7 questions")


def test_a_source_reading_what_another_reads_is_refused_next_to_its_url(app_env: Database) -> None:
    S(app_env, "wire", url="http://127.0.0.1:9/feed")
    app = run_app("sources")
    app.text_input(key="new_src_name").input("wire-again")
    app.text_input(key="new_src_url").input("http://127.0.0.1:9/feed")
    app.button(key="new_src_add").click().run()
    message = text(app.error[0].value)
    assert message.startswith("URL: the rss source 'wire' already reads http://127.0.0.1:9/feed")
    assert count(app_env, Source) == 1


def test_recent_runs_leave_out_the_workers_own_jobs_unless_asked(app_env: Database) -> None:
    from services.status import RunCounts, finish_run, record_run, start_run

    now = datetime.now(UTC)
    record_run(app_env, "scores", now, RunCounts(n_updated=1), notes="rescored in 0.4 s")
    source_id = S(app_env, "wire").id
    with app_env.write_session() as session:
        run_id = start_run(session, "source:wire", source_id=source_id, now=now)
        finish_run(
            session, run_id, "error", RunCounts(), error="HTTP 503 from 127.0.0.1: " + "x" * 300, notes=[]
        )
    app = run_app("sources")
    jobs = app.dataframe[-1].value["job"].tolist()
    assert jobs == ["source:wire"]
    app.toggle(key="runs_all").set_value(True).run()
    assert app.dataframe[-1].value["job"].tolist() == ["source:wire", "scores"]  # newest first
    (error,) = [t.value for t in app.text if t.value.startswith("wire: HTTP 503")]
    assert error.endswith("x" * 300)  # the whole error, not cut


def test_sources_page_adds_a_feed_and_requests_a_run(app_env: Database) -> None:
    app = run_app("sources")
    app.text_input(key="new_src_name").input("wire")
    app.text_input(key="new_src_url").input("http://127.0.0.1:9/feed")
    app.button(key="new_src_add").click().run()
    assert "Added wire" in app.success[0].value
    app.selectbox(key="src_pick").set_value("wire").run()
    app.button(key="src_run").click().run()
    assert count(app_env, Command, Command.status == "pending") == 1


def test_sources_page_adds_a_crowd_source_on_a_question(app_env: Database) -> None:
    qid = Q(app_env, "Will talks resume by 2027?", closes=None)
    app = run_app("sources")
    app.selectbox(key="new_src_kind").set_value("Manifold market").run()
    app.text_input(key="new_src_name").input("manifold-talks")
    app.button(key="new_src_add").click().run()
    assert text(app.error[0].value) == "A Manifold market needs the market's id"
    app.text_input(key="new_src_manifold_market").input("abc123")
    app.button(key="new_src_add").click().run()
    assert "Question: a Manifold market logs the crowd's forecast" in text(app.error[0].value)
    assert "--question" not in text(app.error[0].value)  # the page speaks of its own controls
    app.selectbox(key="new_src_question_crowd").set_value(f"#{qid} Will talks resume by 2027?")
    app.button(key="new_src_add").click().run()
    assert not app.exception
    with app_env.read_session() as session:
        source = session.scalar(select(Source).where(Source.name == "manifold-talks"))
        assert (source.kind, source.question_id, source.settings) == ("manifold", qid, {"market": "abc123"})


def test_overview_lists_what_needs_attention_at_once_without_the_worker(app_env: Database) -> None:
    """Ready and stale are computed when the page opens: no worker has raised a reminder."""
    stale = Q(app_env, "Will talks resume by 2027?", closes=None)
    F(app_env, stale, 0.2, by="ana", at=2)
    overdue = Q(app_env, "Will a treaty be signed in 2016?", closes=90, resolve_by=91)
    F(app_env, overdue, 0.1, by="ana", at=3)
    with app_env.read_session() as session:
        assert not session.scalar(select(func.count()).select_from(Reminder))
    app = run_app()
    labels = [text(link.label) for link in app.get("page_link")]
    assert any(label.startswith("Stale forecast: Will talks resume by 2027?") for label in labels)
    assert any(label.startswith("Ready to resolve: Will a treaty be signed in 2016?") for label in labels)
    assert "Worker never started" in app.warning[0].value
    assert not [s for s in app.success if "Nothing needs you" in s.value]


def test_overview_introduces_the_demo_and_pairs_each_event_with_its_date(app_env: Database) -> None:
    from services import demo

    demo.load_demo(app_env)
    app = run_app()
    assert "Demo scenario: the December 2016 Abe–Putin summit" in app.info[0].value
    assert "Import & export page" in app.info[0].value  # the page's own control, not a CLI flag
    lines = [m.value for m in app.markdown if re.match(r"\*\*\d{4}-\d{2}-\d{2}[^*]*\*\* ", m.value)]
    assert len(lines) == 8
    assert all(" · " in line for line in lines)  # date, title and source on one line


def test_the_demo_can_be_removed_from_the_import_page(app_env: Database) -> None:
    from services import demo

    demo.load_demo(app_env)
    Q(app_env, "My own question?")
    app = run_app("data")
    assert app.button(key="remove_demo").disabled  # nothing happens without the confirmation
    app.checkbox(key="remove_demo_sure").check().run()
    app.button(key="remove_demo").click().run()
    assert not app.exception
    assert not demo.demo_loaded(app_env)
    assert count(app_env, Question) == 1


def _stale_slow_scores_and_a_live_worker(database: Database) -> None:
    """A kept report that took long to score, a newer forecast, and a worker that is beating."""
    now = datetime.now(UTC)
    with database.write_session() as session:
        session.get(ScoreSnapshot, DEFAULT_KEY).compute_seconds = 30.0
        session.add(
            Heartbeat(
                worker="scheduler", pid=1, hostname="test", started_at=now, beat_at=now, state="running"
            )
        )
    F(database, Q(database, "Will talks resume by 2027?", closes=None), 0.05, by="ana", at=5)


def test_stale_scores_are_labelled_while_the_worker_rescores(app_env: Database) -> None:
    settled_history(app_env)
    app = run_app("calibration")  # scores the history and keeps the report
    _stale_slow_scores_and_a_live_worker(app_env)
    st.cache_data.clear()
    app.run()
    assert any("are being scored now" in info.value for info in app.info)
    app.switch_page("dashboard/overview_page.py")
    app.run()
    assert any("newer forecasts and resolutions are not counted yet" in c.value for c in app.caption)


def test_a_multiple_choice_question_charts_each_option(app_env: Database) -> None:
    from services.forecasts import option_trajectories

    options = ["Fewer than 30", "30 to 49", "50 to 79", "80 or more"]
    qid = Q(app_env, "How many documents will be signed?", options=options)
    F(app_env, qid, [0.1, 0.2, 0.3, 0.4], by="ana", at=2)
    F(app_env, qid, [0.4, 0.3, 0.2, 0.1], by="ana", at=5)
    paths = option_trajectories(app_env, qid, datetime.now(UTC))
    assert set(paths["option"]) == set(options)
    # At every moment, one forecaster's options sum to one.
    sums = paths.groupby(["forecaster", "made_at"])["probability"].sum()
    assert sums.round(6).eq(1.0).all()
    app = run_app("questions", question=str(qid))
    assert app.selectbox(key=f"q-whose-{qid}").options == ["ana"]
    specs = [str(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert any('"field": "option"' in spec for spec in specs)


def test_a_question_page_search_becomes_its_watch_rule_and_whats_new_shows_on_the_overview(
    app_env: Database,
) -> None:
    qid = Q(app_env, "Will the Kuril talks resume by 2031?", closes=None)
    F(app_env, qid, 0.2, by="ana", at=1)
    wire = S(app_env, "wire").id
    E(app_env, wire, "Kuril talks: a date is set", at=5)
    E(app_env, wire, "Football", at=6)
    app = run_app("questions", question=str(qid))
    app.text_input(key=f"find-{qid}").input("kuril*").run()
    assert "The one match" in app.caption[-1].value or any("The one match" in c.value for c in app.caption)
    app.button(key=f"watch-{qid}").click().run()
    assert not app.exception
    assert "Watching: 1 stored events match, 1 newly linked." in app.success[0].value
    with app_env.read_session() as session:
        assert session.get(Question, qid).watch_rule == "kuril*"
    overview = run_app()
    overview.selectbox(key="whats_new_me").set_value("ana").run()
    shown = " ".join(text(m.value) for m in overview.markdown)
    assert "1 new event on 1 question" in shown
    labels = [link.proto.label for link in overview.get("page_link")]
    assert any("Kuril talks: a date is set" in text(label) for label in labels), labels


def test_the_calibration_page_says_how_each_forecaster_updates(app_env: Database) -> None:
    from services import demo

    demo.load_demo(app_env)
    app = run_app("calibration")
    said = [text(m.value) for m in app.markdown]
    for name in ("analyst", "crowd:demo", "seed-article"):
        assert any(line.startswith(f"- {name} ") and "excess movement" in line for line in said), name
    assert any("The five updates that helped most" in line for line in said)
    assert any(line.startswith("**Multiple-choice questions**") for line in said)
    assert any(line.startswith("**Multiple choice, one-vs-rest**") for line in said)
    frames = [frame.value for frame in app.dataframe]
    choices = next(f for f in frames if "happened" in f.columns)
    assert "How many documents will be signed during Putin's December 2016 visit to Japan?" in set(
        choices["title"]
    )


def test_a_database_that_is_not_ours_is_said_in_one_line_and_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = tmp_path / "notes.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.commit()
    connection.close()
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{foreign}")
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert "is another application's database (its tables: notes)" in text(app.error[0].value)
    assert not app.sidebar.markdown  # no page, no worker panel: nothing reads the database
    st.cache_resource.clear()
