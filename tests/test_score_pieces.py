"""Scores kept as per-question pieces: after any sequence of changes, re-summing the kept pieces gives
what scoring everything from scratch gives, to 1e-12, while rescoring only the questions that changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, select

from db import Database
from db.models import Question, ScorePiece
from forecasts.errors import SummitWatchError
from forecasts.scoring.pieces import from_records, pair_pieces, to_records
from forecasts.scoring.scorecard import Scorecard
from services import questions, resolutions, transfer
from services.score_data import resolved_binary_table
from services.score_report import (
    CalibrationReport,
    _rescore_and_keep,
    build_report,
    current_report,
    refresh_pieces,
    stored_report,
)
from tests.factories import F, Q, R, day

PEOPLE = ("ana", "bo", "crowd:manifold")


def assert_close(got: Any, expected: Any, path: str = "card") -> None:
    """Equal, floats to 1e-12 (nan equal to nan), through dataclasses, dicts and lists."""
    if dataclasses.is_dataclass(got) and not isinstance(got, type):
        assert type(got) is type(expected), path
        for f in dataclasses.fields(got):
            assert_close(getattr(got, f.name), getattr(expected, f.name), f"{path}.{f.name}")
    elif isinstance(got, dict):
        assert got.keys() == expected.keys(), path
        for key in got:
            assert_close(got[key], expected[key], f"{path}[{key}]")
    elif isinstance(got, list | tuple):
        assert len(got) == len(expected), path
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_close(a, b, f"{path}[{i}]")
    elif isinstance(got, float) and isinstance(expected, float):
        assert (math.isnan(got) and math.isnan(expected)) or abs(got - expected) <= 1e-12, (
            path,
            got,
            expected,
        )
    else:
        assert got == expected, (path, got, expected)


def assert_same_report(kept: CalibrationReport | None, fresh: CalibrationReport | None) -> None:
    assert (kept is None) == (fresh is None)
    if kept is None or fresh is None:
        return
    assert_close(kept.card, fresh.card)
    pd.testing.assert_frame_equal(kept.questions, fresh.questions, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(kept.sharpness, fresh.sharpness)
    pd.testing.assert_frame_equal(kept.notable, fresh.notable, rtol=1e-12, atol=1e-12)
    assert kept.curves.keys() == fresh.curves.keys()
    for name in kept.curves:
        pd.testing.assert_frame_equal(kept.curves[name], fresh.curves[name], rtol=1e-12, atol=1e-12)


def _from_scratch(database: Database) -> CalibrationReport | None:
    with database.read_session() as session:
        return build_report(session)


class Changes:
    """Random changes of every kind that moves a score, each through the service a person uses."""

    def __init__(self, database: Database, rng: random.Random) -> None:
        self.database, self.rng = database, rng
        self.questions: list[int] = []

    def new_question(self) -> None:
        windowed = self.rng.random() < 0.7
        self.questions.append(Q(self.database, opens=0, closes=90 if windowed else None))

    def forecast(self) -> None:
        question = self.rng.choice(self.questions)
        p = self.rng.choice([0.0, 0.05, 0.15, 0.3, 0.5, 0.5, 0.7, 0.95, 1.0, self.rng.random()])
        F(self.database, question, p, by=self.rng.choice(PEOPLE), at=self.rng.uniform(0, 80))

    def resolve(self) -> None:
        R(self.database, self.rng.choice(self.questions), self.rng.choice(["yes", "no", "annulled"]), at=85)

    def undo(self) -> None:
        resolutions.undo(self.database, self.rng.choice(self.questions))

    def move_close(self) -> None:
        closes = day(self.rng.choice([60, 85, 120]))
        questions.edit_question(self.database, self.rng.choice(self.questions), closes_at=closes)

    def correct_by_import(self) -> None:
        # A re-import that corrects a stored probability: the forecast's id stays, so it is marked.
        bundle = transfer.export_bundle(self.database)
        binary = [i for i, f in enumerate(bundle.forecasts) if f.probability is not None]
        if binary:
            i = self.rng.choice(binary)
            corrected = bundle.forecasts[i]._replace(probability=round(self.rng.random(), 3))
            forecasts = [*bundle.forecasts[:i], corrected, *bundle.forecasts[i + 1 :]]
            transfer.import_bundle(self.database, dataclasses.replace(bundle, forecasts=forecasts))

    def step(self) -> str:
        kind = self.rng.choices(
            ["new_question", "forecast", "resolve", "undo", "move_close", "correct_by_import"],
            weights=[1, 8, 2, 1, 1, 1],
        )[0]
        if not self.questions:
            kind = "new_question"
        with contextlib.suppress(SummitWatchError):  # refused (a forecast on a resolved question…)
            getattr(self, kind)()
        return kind


@pytest.mark.parametrize("seed", range(4))
def test_kept_scores_equal_scores_from_scratch_after_random_changes(database: Database, seed: int) -> None:
    changes = Changes(database, random.Random(seed))
    for _ in range(3):
        changes.new_question()
    incremental = 0
    for _ in range(30):
        changes.step()
        incremental += refresh_pieces(database).rescored is not None  # what changed, only
        assert_same_report(_rescore_and_keep(database), _from_scratch(database))
    assert incremental >= 29  # the first refresh scores everything; no change here deletes rows


def test_one_new_forecast_rescores_only_its_question(database: Database) -> None:
    ids = [Q(database) for _ in range(5)]
    for n, question in enumerate(ids):
        F(database, question, 0.2 + 0.1 * n, by="ana", at=5)
        F(database, question, 0.6, by="bo", at=6)
        R(database, question, "yes" if n % 2 else "no", at=80)
    assert refresh_pieces(database).rescored is None  # nothing kept yet: everything, from scratch
    assert refresh_pieces(database).rescored == 0  # nothing changed
    resolutions.undo(database, ids[2])  # reopened, forecast again, settled again: one question moved
    F(database, ids[2], 0.9, by="ana", at=7)
    R(database, ids[2], "yes", at=80)
    assert refresh_pieces(database).rescored == 1
    F(database, Q(database), 0.9, by="ana", at=7)  # a forecast on an open question: nothing to rescore
    assert refresh_pieces(database).rescored == 1  # its question is looked at (and has no pieces)
    questions.edit_question(database, ids[4], title="Will a renamed question resolve yes?")
    refreshed = refresh_pieces(database)
    assert refreshed.rescored is not None
    assert refreshed.rescored == 1  # the edited one
    assert_same_report(_rescore_and_keep(database), _from_scratch(database))


def test_deleted_rows_make_everything_rescored(database: Database) -> None:
    ids = [Q(database) for _ in range(3)]
    for question in ids:
        F(database, question, 0.7, at=3)
        R(database, question, "yes", at=80)
    _rescore_and_keep(database)
    with database.write_session() as session:
        session.execute(delete(Question).where(Question.id == ids[0]))  # forecasts go with it
    assert refresh_pieces(database).rescored is None
    assert_same_report(_rescore_and_keep(database), _from_scratch(database))


def test_pieces_kept_in_another_layout_are_rescored_not_misread(database: Database) -> None:
    question = Q(database)
    F(database, question, 0.7, at=3)
    R(database, question, "yes", at=80)
    _rescore_and_keep(database)
    with database.write_session() as session:
        session.execute(ScorePiece.__table__.update().values(records=b"\x00" * 7))
    F(database, Q(database), 0.4, at=3)  # a change, so the kept pieces are read again
    assert_same_report(_rescore_and_keep(database), _from_scratch(database))


def test_pieces_read_back_exactly(database: Database) -> None:
    ids = [Q(database) for _ in range(4)]
    for n, question in enumerate(ids):
        for k in range(5):
            F(database, question, (n + k) / 10, by=PEOPLE[k % 3], at=k + 1)
        R(database, question, "no", at=80)
    with database.read_session() as session:
        pieces = pair_pieces(resolved_binary_table(session))
    again = from_records(to_records(pieces).tobytes())
    for f in dataclasses.fields(pieces):
        np.testing.assert_array_equal(getattr(again, f.name), getattr(pieces, f.name), err_msg=f.name)
    _rescore_and_keep(database)
    with database.read_session() as session:
        kept = session.scalars(select(ScorePiece.question_id).order_by(ScorePiece.question_id)).all()
    assert kept == sorted(ids)


def test_a_scorecard_from_pieces_keeps_every_field(database: Database) -> None:
    question = Q(database)
    F(database, question, 0.3, by="ana", at=2)
    F(database, question, 0.8, by="ana", at=20)
    F(database, question, 0.5, by="bo", at=3)
    R(database, question, "yes", at=40)
    report = _rescore_and_keep(database)
    assert report is not None
    card: Scorecard = report.card
    assert card.n_forecasts == 3
    assert set(card.by_forecaster) == {"ana", "bo"}
    assert card.by_forecaster["ana"].updating is not None
    assert card.by_forecaster["ana"].updating.n_updates == 1
    assert card.by_forecaster["ana"].timeline is not None


def test_a_kept_report_without_its_pieces_is_scored_again(database: Database) -> None:
    question = Q(database)
    F(database, question, 0.7, at=3)
    R(database, question, "yes", at=80)
    kept = _rescore_and_keep(database)
    with database.write_session() as session:
        session.execute(delete(ScorePiece))  # the per-question table of the kept report is gone
    with database.read_session() as session:
        assert stored_report(session) is None  # not shown with an empty table: scored again
    again = current_report(database)  # everything, from scratch: the kept count no longer adds up
    assert again is not None
    assert kept is not None
    assert_same_report(again, kept)
