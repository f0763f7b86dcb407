"""The question lifecycle through the services, on a real database: create, forecast, resolve, undo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import Forecast, Resolution
from forecasts.errors import Invalid, NotFound
from services import forecasts, questions, resolutions
from services.forecasts import ForecastInput
from services.questions import NewQuestion
from tests.factories import F, Q, R, day

NOW = day(30)
OPTIONS = ("Fewer than 50", "50 to 79", "80 or more")


def test_create_question_cleans_tags_and_defaults_resolve_by(database: Database) -> None:
    question_id = Q(
        database,
        "Will Japan and Russia sign a peace treaty by 31 Dec 2016?",
        tags=["Treaty", "territory", " "],
    )
    detail = questions.get_question(database, question_id)
    assert detail.tags == ("territory", "treaty")
    assert detail.resolve_by == detail.closes_at == day(90)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "Eh?"}, "title"),
        ({"closes_at": day(-1)}, "closes_at"),
        ({"type": "ranking"}, "type"),
        ({"type": "numeric"}, "range"),
        ({"type": "multiple_choice", "options": ["only"]}, "options"),
        ({"options": ["yes", "no"]}, "options"),
        ({"opens_at": day(0).replace(tzinfo=None)}, "opens_at"),
    ],
)
def test_create_question_rejections_name_the_field(database: Database, fields: dict, field: str) -> None:
    new = NewQuestion(**({"title": "Will Putin visit Japan in 2016?", "opens_at": day(0)} | fields))
    with pytest.raises(Invalid) as caught:
        questions.create_question(database, new)
    assert caught.value.field == field
    assert questions.list_questions(database) == []


def test_a_missing_question_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match="no question with id 999"):
        questions.get_question(database, 999)


def test_forecast_update_and_double_submit(database: Database) -> None:
    q = Q(database)
    first = forecasts.add_forecast(database, q, ForecastInput("analyst", probability=0.07), now=NOW)
    again = forecasts.add_forecast(
        database, q, ForecastInput("analyst", probability=0.07), now=NOW + timedelta(seconds=3)
    )
    assert (again.id, again.duplicate, first.duplicate) == (first.id, True, False)
    forecasts.add_forecast(
        database, q, ForecastInput("analyst", probability=0.04), now=NOW + timedelta(days=1)
    )
    with database.read_session() as session:
        assert session.scalars(select(Forecast.probability).order_by(Forecast.made_at)).all() == [0.07, 0.04]


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"probability": 1.2}, "probability", "outside 0% to 100%"),
        ({"probability": None}, "probability", "is required"),
        ({"option_probabilities": [0.5, 0.5]}, "probability", "one probability"),
        ({"probability": 0.5, "made_at": day(-1)}, "made_at", "before the question opened"),
        ({"probability": 0.5, "made_at": NOW + timedelta(days=2)}, "made_at", "in the future"),
        ({"probability": 0.5, "forecaster": " "}, "forecaster", "is empty"),
    ],
)
def test_binary_forecast_rejections(database: Database, given: dict, field: str, message: str) -> None:
    q = Q(database)
    with pytest.raises(Invalid, match=message) as caught:
        forecasts.add_forecast(database, q, ForecastInput(**({"forecaster": "analyst"} | given)), now=NOW)
    assert caught.value.field == field


def test_no_forecast_after_the_question_closes(database: Database) -> None:
    q = Q(database, closes=60)
    with pytest.raises(Invalid, match="closed on 2016-11-30") as caught:
        forecasts.add_forecast(database, q, ForecastInput("analyst", probability=0.1), now=day(61))
    assert caught.value.field == "made_at"


def test_multiple_choice_forecasts(database: Database) -> None:
    q = Q(database, options=OPTIONS)
    saved = forecasts.add_forecast(
        database, q, ForecastInput("analyst", option_probabilities=[0.2, 0.5, 0.3]), now=NOW
    )
    assert saved.option_probabilities == (0.2, 0.5, 0.3)
    with pytest.raises(Invalid, match=r"add up to 100%, they add up to 110\.00%"):
        forecasts.add_forecast(
            database, q, ForecastInput("pundit", option_probabilities=[0.3, 0.5, 0.3]), now=NOW
        )
    with pytest.raises(Invalid, match="needs 3 probabilities"):
        forecasts.add_forecast(database, q, ForecastInput("pundit", option_probabilities=[0.5, 0.5]), now=NOW)


def test_a_refused_forecast_on_a_new_title_creates_no_question(database: Database) -> None:
    new = NewQuestion(title="Will the islands be handed over by 2030?")
    with pytest.raises(Invalid, match="outside 0% to 100%"):
        forecasts.forecast_on_title(database, new, ForecastInput("me", probability=2.0))
    assert questions.list_questions(database) == []
    saved = forecasts.forecast_on_title(database, new, ForecastInput("me", probability=0.02))
    again = forecasts.forecast_on_title(database, new, ForecastInput("me", probability=0.03))
    assert saved.question_id == again.question_id  # the same title finds the same question


def test_resolve_then_undo_keeps_history(database: Database) -> None:
    q = Q(database)
    F(database, q, 0.05, at=5)
    R(database, q, "no", at=50, note="DW report")
    with pytest.raises(Invalid, match="is resolved"):
        F(database, q, 0.01, at=52)
    with pytest.raises(Invalid, match="already resolved"):
        R(database, q, "yes", at=50)
    resolutions.undo(database, q)
    assert questions.get_question(database, q).outcome is None
    R(database, q, "no", at=50)
    with database.read_session() as session:
        outcomes = session.scalars(select(Resolution.outcome).order_by(Resolution.recorded_at)).all()
    assert outcomes == ["no", "unresolved", "no"]
    assert questions.get_question(database, q).outcome == "no"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"outcome": "option", "option": "80 or more"}, "outcome"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "no", "resolved_at": day(-1)}, "resolved_at"),
        ({"outcome": "no", "resolved_at": NOW + timedelta(days=400)}, "resolved_at"),
    ],
)
def test_resolution_rejections_name_the_field(database: Database, arguments: dict, field: str) -> None:
    q = Q(database)
    with pytest.raises(Invalid) as caught:
        resolutions.resolve(database, q, **({"resolved_at": NOW, "now": NOW} | arguments))
    assert caught.value.field == field


def test_multiple_choice_resolution_names_a_real_option(database: Database) -> None:
    q = Q(database, options=OPTIONS)
    with pytest.raises(Invalid, match="must be one of Fewer than 50, 50 to 79, 80 or more"):
        R(database, q, "100", at=20)
    assert R(database, q, "80 or more", at=20).shown == "80 or more"
    with database.read_session() as session:
        assert session.scalar(select(Resolution.option)) == "80 or more"


def test_undo_needs_a_resolution(database: Database) -> None:
    with pytest.raises(Invalid, match="not resolved"):
        resolutions.undo(database, Q(database))


def test_edit_question(database: Database) -> None:
    q = Q(database, tags=["summit"])
    questions.edit_question(database, q, title="Will a peace treaty be signed in 2016?", tags=["Treaty"])
    F(database, q, 0.05)
    with pytest.raises(Invalid, match="has forecasts"):
        questions.edit_question(database, q, type="multiple_choice", options=["a", "b"])
    with pytest.raises(Invalid, match="cannot be edited"):
        questions.edit_question(database, q, uid="other")
    detail = questions.get_question(database, q)
    assert (detail.title, detail.tags) == ("Will a peace treaty be signed in 2016?", ("treaty",))
    with database.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Forecast)) == 1


def test_question_filters(database: Database) -> None:
    kuril = Q(database, "Will the Kuril islands question be settled?", tags=["territory"])
    oil = Q(database, "Will Brent close above $60?", tags=["oil"])
    R(database, oil, "no", at=20)
    listed = questions.list_questions
    assert [q.id for q in listed(database, questions.QuestionFilter(text="KURIL"))] == [kuril]
    assert [q.id for q in listed(database, questions.QuestionFilter(statuses=("resolved",)))] == [oil]
    assert [q.id for q in listed(database, questions.QuestionFilter(tag="territory"))] == [kuril]
    assert {q.id for q in listed(database)} == {kuril, oil}
    with pytest.raises(Invalid, match="must be one of all, ready"):
        listed(database, questions.QuestionFilter(view="everything"))


def test_pickers_offer_only_open_yes_no_questions(database: Database) -> None:
    open_one = Q(database, "Will talks resume by 2027?", closes=None)
    closed = Q(database, "Did the summit happen on time?", closes=5)
    settled = Q(database, "Will Brent close above $60?", closes=None)
    R(database, settled, "no", at=3)
    choice = Q(database, "How many documents?", options=["few", "many"], closes=None)
    titles = questions.question_titles
    assert [i for i, _ in titles(database, open_yes_no=True, now=NOW)] == [open_one]
    assert {i for i, _ in titles(database)} == {open_one, closed, settled, choice}


def test_a_question_cannot_open_after_its_first_forecast(database: Database) -> None:
    q = Q(database, opens=0)
    F(database, q, 0.3, at=5)
    with pytest.raises(Invalid, match="is after the question's first forecast") as caught:
        questions.edit_question(database, q, opens_at=day(6))
    assert caught.value.field == "opens_at"
    assert questions.edit_question(database, q, opens_at=day(5)).opens_at == day(5)
