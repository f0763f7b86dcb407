"""The demo scenario: enough real history to be worth scoring, loaded once however often asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import AppSetting, Event, Forecast, Forecaster, Question, Resolution
from services import questions, resolutions
from services.demo import (
    DEMO_DATA,
    load_demo,
    load_demo_on_first_open,
    read_scenario,
    remove_demo,
)
from services.demo_numeric import read_numeric
from tests.factories import F, Q


def _counts(database: Database) -> dict[str, int]:
    with database.read_session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Question, Forecast, Forecaster, Resolution, Event)
        }


def test_demo_loads_twice_without_duplicates(database: Database) -> None:
    first = load_demo(database)
    after_first = _counts(database)
    second = load_demo(database)
    assert not second.changed
    assert _counts(database) == after_first
    assert first.new["questions"] == after_first["question"]


def test_a_second_load_keeps_the_users_edits_and_undos(database: Database) -> None:
    """The demo goes through the import writer in its only-what-is-missing mode."""
    load_demo(database)
    clinton = next(q for q in questions.list_questions(database) if q.uid == "demo-clinton-wins-2016")
    questions.edit_question(database, clinton.id, title="Will Hillary Clinton win? (my wording)")
    resolutions.undo(database, clinton.id, note="checking the source")
    assert not load_demo(database).changed
    detail = questions.get_question(database, clinton.id)
    assert (detail.title, detail.outcome) == ("Will Hillary Clinton win? (my wording)", None)


def test_demo_has_the_promised_scope(database: Database) -> None:
    load_demo(database)
    with database.read_session() as session:
        questions = session.scalars(select(Question)).all()
        events = session.scalars(select(Event)).all()
        forecasters = session.scalars(select(Forecaster)).all()
        assert len(questions) >= 25
        assert {q.type for q in questions} == {"binary", "multiple_choice", "numeric", "date"}
        assert len(events) >= 40
        assert min(e.occurred_at for e in events) >= datetime(2016, 5, 1, tzinfo=UTC)
        assert max(e.occurred_at for e in events) < datetime(2022, 4, 1, tzinfo=UTC)
        assert sum(1 for e in events if (e.url or "").startswith("http")) >= 40
        assert len([f for f in forecasters if f.kind == "person"]) >= 3
        # Every settled question carries its real outcome; a few stay open to forecast on.
        open_ones = [q for q in questions if q.latest_resolution is None]
        assert len(open_ones) == 3
        assert all(q.closes_at > datetime(2026, 12, 1, tzinfo=UTC) for q in open_ones)


def test_seed_article_forecaster_states_what_the_article_implied(database: Database) -> None:
    load_demo(database)
    with database.read_session() as session:

        def article_says(uid: str) -> float:
            return session.scalar(
                select(Forecast.probability)
                .join(Forecaster)
                .join(Question)
                .where(Forecaster.name == "seed-article", Question.uid == uid)
            )

        assert article_says("demo-clinton-wins-2016") >= 0.8  # "strongly favored"
        assert article_says("demo-island-handover-at-summit") <= 0.1  # "no discussion ... at all"
        assert 0.1 < article_says("demo-peace-treaty-2016") < 0.5  # "considering concessions"


def test_forecasters_update_after_events(database: Database) -> None:
    load_demo(database)
    with database.read_session() as session:
        updates = session.execute(
            select(Forecaster.name, func.count())
            .join(Forecast)
            .group_by(Forecaster.name, Forecast.question_id)
            .having(func.count() >= 3)
        ).all()
    assert {name for name, _ in updates} >= {"analyst", "crowd:demo", "pundit"}


def test_every_demo_forecast_is_made_while_its_question_is_open(database: Database) -> None:
    load_demo(database)
    with database.read_session() as session:
        for question in session.scalars(select(Question)):
            latest = question.latest_resolution
            resolved_at = latest.resolved_at if latest else question.closes_at
            for forecast in question.forecasts:
                assert forecast.made_at < datetime.now(UTC), (question.uid, forecast.made_at)
                assert question.opens_at <= forecast.made_at, (question.uid, forecast.made_at)
                assert forecast.made_at < min(question.closes_at, resolved_at), (
                    question.uid,
                    forecast.made_at,
                )
            assert question.opens_at <= resolved_at <= question.closes_at, question.uid


def test_demo_outcomes_match_the_scenario_file(database: Database) -> None:
    expected = {q["uid"]: q.get("option", q.get("outcome")) for q in read_scenario()["question"]}
    expected |= {q["uid"]: "value" for q in read_numeric()}  # their values: tests/test_demo_numeric.py
    load_demo(database)
    with database.read_session() as session:
        for question in session.scalars(select(Question)):
            latest = question.latest_resolution
            got = (latest.option or latest.outcome) if latest else None
            assert got == expected[question.uid]
    assert expected["demo-clinton-wins-2016"] == "no"
    assert expected["demo-documents-count"] == "80 or more"


def test_first_open_loads_the_demo_once(database: Database) -> None:
    assert load_demo_on_first_open(database, wanted=True).new["questions"] >= 25
    remove_demo(database)
    assert load_demo_on_first_open(database, wanted=True) is None
    assert _counts(database)["question"] == 0


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_first_open_can_start_empty(database: Database, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TRACKER_DEMO", value)
    assert load_demo_on_first_open(database) is None
    assert _counts(database)["question"] == 0
    with database.read_session() as session:
        assert session.get(AppSetting, "first_open_done") is not None


def test_first_open_leaves_a_database_with_questions_alone(database: Database) -> None:
    Q(database, "My own question?")
    assert load_demo_on_first_open(database, wanted=True) is None
    assert _counts(database)["question"] == 1


def test_remove_demo_keeps_the_users_own_rows(database: Database) -> None:
    load_demo(database)
    F(database, Q(database, "Will Russia hand over Shikotan by 2030?", closes=None), 0.02, by="analyst")
    assert remove_demo(database) >= 25
    counts = _counts(database)
    assert counts["question"] == 1
    assert counts["forecast"] == 1
    assert counts["event"] == 0
    with database.read_session() as session:
        assert session.scalars(select(Forecaster.name)).all() == ["analyst"]


def test_demo_data_files_ship_with_the_package() -> None:
    assert {p.name for p in DEMO_DATA.iterdir()} >= {"scenario.toml", "events.csv", "forecasts.csv"}


def test_demo_sources_are_valid_and_switched_off(database: Database) -> None:
    from db.models import Source
    from forecasts.topic_rules import compile_rule

    load_demo(database)
    with database.read_session() as session:
        sources = session.scalars(select(Source).where(Source.kind != "manual")).all()
    assert len(sources) >= 4
    assert not any(source.enabled for source in sources)
    for source in sources:
        compile_rule(source.match_rule)
        for rule in (source.settings.get("tag_rules") or {}).values():
            compile_rule(rule)
    tass = next(s for s in sources if s.name == "tass-world")
    from forecasts.topic_rules import rule_matches

    assert rule_matches(
        compile_rule(tass.match_rule), "Russia halts peace treaty talks with Japan over sanctions"
    )
    assert not rule_matches(compile_rule(tass.match_rule), "Russia and China hold naval drills")


def test_demo_scorecard_tells_the_story(database: Database) -> None:
    """The analyst beats the pundit; the seed article's Clinton call costs it dearly."""
    from forecasts.scoring.scorecard import score_forecasts
    from services.score_data import resolved_binary_table

    load_demo(database)
    with database.read_session() as session:
        card = score_forecasts(resolved_binary_table(session))
    analyst, pundit, article = (card.by_forecaster[n] for n in ("analyst", "pundit", "seed-article"))
    assert analyst.brier < article.brier < pundit.brier
    assert analyst.timeline.relative_brier_daily < 0 < pundit.timeline.relative_brier_daily
    assert card.corp.mcb - card.corp.dsc + card.corp.unc == pytest.approx(card.brier)
