"""The demo's numeric and date questions (issue 16): real outcomes with sources, forecasts that
react to the demo's events, and a story on the Calibration page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import EventQuestion, Forecast, ForecastEvent, Question
from forecasts.quantities import shown_value
from services import questions
from services.demo import load_demo, remove_demo
from services.demo_numeric import read_numeric
from services.numeric_scores import numeric_report

# Checked against ../shared/reference/sources-and-summit-facts.md (B1 rows 2, 5, 11, 18; the
# events table): Brent's 2016 close, the Russian count of documents, the first consultations,
# the five project areas.
REAL_OUTCOMES = {
    "demo-num-brent-end-2016": "56.82 USD",
    "demo-num-documents-2016": "80 documents",
    "demo-date-first-consultations": "2017-03-18",
    "demo-date-project-areas": "2017-09-07",
}


def _ids(database: Database) -> dict[str, int]:
    with database.read_session() as session:
        rows = session.execute(select(Question.uid, Question.id).where(Question.uid.in_(REAL_OUTCOMES)))
        return {str(uid): int(i) for uid, i in rows}


def test_the_demo_has_four_numeric_and_date_questions_with_their_real_outcomes(database: Database) -> None:
    load_demo(database)
    ids = _ids(database)
    assert set(ids) == set(REAL_OUTCOMES)
    for uid, question_id in ids.items():
        detail = questions.get_question(database, question_id)
        assert detail.outcome == REAL_OUTCOMES[uid]
        assert detail.status == "resolved"
    entries = {entry["uid"]: entry for entry in read_numeric()}
    for uid, entry in entries.items():
        assert entry["source"].startswith("http"), uid
        value = entry["value"]
        if isinstance(value, date):
            value = datetime.combine(value, datetime.min.time(), UTC).timestamp()
        shown = shown_value(entry["type"], value, entry.get("unit", ""))
        assert shown == REAL_OUTCOMES[uid]


def test_their_forecasts_cite_the_events_that_moved_them(database: Database) -> None:
    load_demo(database)
    ids = list(_ids(database).values())
    with database.read_session() as session:
        linked = session.scalar(
            select(func.count(func.distinct(EventQuestion.question_id))).where(
                EventQuestion.question_id.in_(ids)
            )
        )
        cited = session.scalar(
            select(func.count())
            .select_from(ForecastEvent)
            .join(Forecast)
            .where(Forecast.question_id.in_(ids))
        )
    assert linked == 4
    assert cited >= 8


def test_they_tell_a_story_on_the_calibration_page(database: Database) -> None:
    """The analyst updates and is best (the Kremlin's low count misled him once); the pundit's
    narrow intervals miss every time."""
    load_demo(database)
    report = numeric_report(database)
    assert report is not None
    mine = report.card.by_forecaster
    assert report.card.n_questions == 4
    assert min(mine, key=lambda name: mine[name].crps_quantile) == "analyst"
    assert mine["pundit"].interval_coverage["90"].inside == 0
    assert mine["analyst"].interval_coverage["90"].inside == 3
    pundit_pit = mine["pundit"].pit.counts
    assert pundit_pit[0] + pundit_pit[-1] == 4  # all at the ends: too narrow


def test_loading_twice_adds_nothing_and_removing_takes_them(database: Database) -> None:
    first = load_demo(database)
    again = load_demo(database)
    assert not again.changed
    assert first.new["questions"] >= 4
    assert len(_ids(database)) == 4
    remove_demo(database)
    assert _ids(database) == {}
    load_demo(database)
    assert len(_ids(database)) == 4


@pytest.mark.parametrize("entry", read_numeric(), ids=lambda e: e["uid"])
def test_every_forecast_is_made_while_its_question_is_open(entry: dict) -> None:
    for forecast in entry["forecasts"]:
        assert entry["opens"] <= forecast["at"] <= entry["closes"], forecast
