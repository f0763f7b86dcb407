"""The kept calibration report: scored once per change, read back exactly, refreshed by the worker."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from db import Database
from db.models import JobRun, ScoreSnapshot
from services import questions
from services.score_data import resolved_binary_table
from services.score_report import (
    DEFAULT_KEY,
    ReportFilters,
    build_report,
    current_report,
    inputs_version,
    kept_report_is_current,
    refresh_stored_report,
    report_from_json,
    report_to_json,
    stored_report,
)
from tests.factories import F, Q, R
from tracker.worker import Worker

OPEN_TITLE = "Will the treaty be signed by 2027?"


@pytest.fixture
def history(database: Database) -> Database:
    """A small resolved history: three forecasters on four settled questions, and one still open."""
    for n, (outcome, tag) in enumerate([("yes", "oil"), ("no", "treaty"), ("no", "treaty"), ("yes", "us")]):
        q = Q(database, f"Will settled question {n} resolve yes?", tags=[tag])
        F(database, q, 0.3 + 0.1 * n, by="analyst", at=2)
        F(database, q, 0.8 if outcome == "yes" else 0.2, by="analyst", at=20)
        F(database, q, 0.5, by="pundit", at=3)
        F(database, q, 0.65 if n % 2 else 0.15, by="seed-article", at=1)
        R(database, q, outcome, at=40)
    F(database, Q(database, OPEN_TITLE, closes=None), 0.1, by="analyst", at=5)
    return database


def _question_id(database: Database, title: str) -> int:
    return next(q.id for q in questions.list_questions(database) if q.title == title)


def test_a_report_reads_back_exactly_from_its_json(history: Database) -> None:
    with history.read_session() as session:
        report = build_report(session)
        snapshot = ScoreSnapshot(
            key="k",
            inputs_version=report.inputs_version,
            payload="",
            computed_at=report.computed_at,
            compute_seconds=report.compute_seconds,
        )
    again = report_from_json(report_to_json(report), snapshot)
    assert again.card == report.card
    pd.testing.assert_frame_equal(again.questions, report.questions)
    pd.testing.assert_frame_equal(again.tags, report.tags)
    pd.testing.assert_frame_equal(again.sharpness, report.sharpness)
    pd.testing.assert_frame_equal(again.choices, report.choices, check_dtype=False)
    assert again.curves.keys() == report.curves.keys()
    for name, curve in report.curves.items():
        pd.testing.assert_frame_equal(again.curves[name], curve)


def test_the_second_open_reads_the_kept_report(history: Database) -> None:
    first = current_report(history)
    second = current_report(history)
    assert second.computed_at == first.computed_at  # not scored again
    assert second.card == first.card


@pytest.mark.parametrize("change", ["forecast", "resolution", "tags"])
def test_any_change_to_what_is_scored_makes_the_kept_report_stale(history: Database, change: str) -> None:
    before = current_report(history)
    open_id = _question_id(history, OPEN_TITLE)
    if change == "forecast":
        F(history, open_id, 0.04, at=6)
    elif change == "resolution":
        R(history, open_id, "no", at=50)
    else:
        questions.edit_question(
            history, _question_id(history, "Will settled question 0 resolve yes?"), tags=["renamed-tag"]
        )
    with history.read_session() as session:
        kept, current = stored_report(session)
    assert not current
    assert kept.stale
    after = current_report(history)
    assert after.computed_at > before.computed_at
    if change == "tags":
        assert "renamed-tag" in set(after.tags["tag"])


def test_resolving_changes_the_scores_at_once(history: Database) -> None:
    """The Calibration page never shows a stale report: it rescores when the data moved."""
    before = current_report(history)
    q = Q(history, "Will the test resolve yes?")
    F(history, q, 0.01, by="analyst", at=2)
    R(history, q, "yes", at=3)
    after = current_report(history)
    assert (
        after.card.by_forecaster["analyst"].n_questions
        == before.card.by_forecaster["analyst"].n_questions + 1
    )
    assert after.card.by_forecaster["analyst"].brier > before.card.by_forecaster["analyst"].brier


def test_filtered_views_are_scored_live_and_not_kept(history: Database) -> None:
    report = current_report(history, ReportFilters(forecasters=("seed-article",)))
    assert set(report.card.by_forecaster) == {"seed-article"}
    with history.read_session() as session:
        assert session.get(ScoreSnapshot, DEFAULT_KEY) is None


def test_an_unreadable_snapshot_is_scored_again(history: Database) -> None:
    current_report(history)
    with history.write_session() as session:
        session.get(ScoreSnapshot, DEFAULT_KEY).payload = '{"card": {}}'
    with history.read_session() as session:
        assert stored_report(session) is None
    assert current_report(history).card.n_questions > 0


def test_nothing_resolved_is_kept_as_nothing(database: Database) -> None:
    assert current_report(database) is None
    with database.read_session() as session:
        assert stored_report(session) == (None, True)


def test_sharpness_counts_every_forecast_in_five_point_bins(history: Database) -> None:
    with history.read_session() as session:
        report = build_report(session)
    assert report.sharpness["forecasts"].sum() == report.card.n_forecasts
    assert np.allclose(report.sharpness["upper"] - report.sharpness["lower"], 0.05)
    assert report.sharpness["lower"].between(0, 0.95).all()
    with history.read_session() as session:
        table = resolved_binary_table(session)
    for name in ("analyst", "seed-article"):
        # numpy's histogram on whole percents as the oracle (float edges like 0.15000000000000002
        # would file a 15 % forecast under 10–15 %); its last bin includes 100 %, as ours does.
        percents = np.round(table.probability[table.forecaster == name] * 100, 6)
        expected, _ = np.histogram(percents, bins=np.arange(0, 101, 5))
        mine = report.sharpness[report.sharpness["forecaster"] == name]
        got = np.zeros(20, dtype=int)
        got[np.round(mine["lower"].to_numpy() * 20).astype(int)] = mine["forecasts"]
        assert got.tolist() == expected.tolist()


def test_the_worker_rescores_only_when_the_data_changed(history: Database) -> None:
    worker = Worker(history)
    worker.rescore()
    worker.rescore()
    with history.read_session() as session:
        runs = session.scalars(select(JobRun).where(JobRun.job == "scores")).all()
        kept, current = stored_report(session)
        version = inputs_version(session)
    assert len(runs) == 1
    assert runs[0].status == "ok"
    assert "rescored in" in runs[0].notes
    assert current
    assert kept.inputs_version == version
    assert refresh_stored_report(history) is False


def _make_stale(database: Database) -> None:
    F(database, _question_id(database, OPEN_TITLE), 0.05, at=7)


@pytest.mark.parametrize(
    ("scored_in", "worker_alive", "served_stale"),
    [
        (0.2, True, False),  # quick to score: the page rescores while it loads
        (30.0, False, False),  # slow, but no worker would ever rescore: score now
        (30.0, True, True),  # slow and the worker is up: show the kept one, marked stale
    ],
)
def test_a_stale_report_is_shown_only_when_rescoring_would_keep_the_user_waiting(
    history: Database, scored_in: float, worker_alive: bool, served_stale: bool
) -> None:
    current_report(history)
    with history.write_session() as session:
        session.get(ScoreSnapshot, DEFAULT_KEY).compute_seconds = scored_in
    _make_stale(history)
    report = current_report(history, worker_alive=worker_alive)
    assert report.stale is served_stale
    with history.read_session() as session:
        assert kept_report_is_current(session) is not served_stale
