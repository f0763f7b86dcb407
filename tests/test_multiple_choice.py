"""Multiple-choice questions scored and calibrated: against scikit-learn's multiclass Brier and log
loss, hand-computed RPS, one-vs-rest samples, and end to end on the demo."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import brier_score_loss, log_loss

from db import Database
from forecasts.scoring.multiple_choice import ChoiceForecast, choice_scores, one_vs_rest, time_averaged_brier
from services import demo
from tracker.cli import cli


def _rows(matrix: list[list[float]], outcomes: list[int], *, ordered: bool = False) -> list[ChoiceForecast]:
    return [
        ChoiceForecast(question, 0, 0.0, tuple(p), y, ordered)
        for question, (p, y) in enumerate(zip(matrix, outcomes, strict=True))
    ]


def test_brier_and_log_agree_with_sklearn_multiclass() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.dirichlet([3, 3, 3, 3], size=200)
    assert matrix.min() > 0.001  # inside our log clamp, so the two log losses are the same sum
    outcomes = rng.integers(0, 4, 200)
    scores = choice_scores(_rows(matrix.tolist(), outcomes.tolist()))
    labels = [0, 1, 2, 3]
    assert scores.brier == pytest.approx(
        brier_score_loss(outcomes, matrix, labels=labels, scale_by_half=False)
    )
    assert scores.log == pytest.approx(log_loss(outcomes, matrix, labels=labels))


@pytest.mark.parametrize(
    ("probabilities", "outcome", "rps"),
    [
        ((0.2, 0.5, 0.3), 2, (0.2**2 + 0.7**2) / 2),  # F = (.2, .7, 1), O = (0, 0, 1)
        ((1.0, 0.0, 0.0), 0, 0.0),  # sure and right
        ((0.0, 0.0, 1.0), 0, 1.0),  # sure and as far off as possible
        ((0.5, 0.0, 0.5), 1, (0.5**2 + 0.5**2) / 2),  # the middle, split on the ends
    ],
)
def test_ranked_probability_score_on_ordered_options(
    probabilities: tuple[float, ...], outcome: int, rps: float
) -> None:
    scores = choice_scores(_rows([list(probabilities)], [outcome], ordered=True))
    assert scores.rps == pytest.approx(rps)
    assert choice_scores(_rows([list(probabilities)], [outcome])).rps is None  # unordered: no RPS


def test_one_vs_rest_makes_a_sample_of_every_option() -> None:
    rows = _rows([[0.6, 0.3, 0.1], [0.25, 0.25, 0.25, 0.25]], [0, 3])
    p, y = one_vs_rest(rows)
    assert p.tolist() == [0.6, 0.3, 0.1, 0.25, 0.25, 0.25, 0.25]
    assert y.tolist() == [1, 0, 0, 0, 0, 0, 1]
    scores = choice_scores(rows)
    assert (scores.n_samples, scores.n_questions) == (7, 2)
    # Questions of three and four options, scored in their own groups: (0.16+0.09+0.01 + 0.1875+0.5625) / 2.
    assert scores.brier == pytest.approx((0.26 + 0.75) / 2)


def test_only_the_last_forecast_on_a_question_counts() -> None:
    early = ChoiceForecast(1, 0, 1.0, (0.1, 0.9), 0, False)
    late = ChoiceForecast(1, 0, 2.0, (0.8, 0.2), 0, False)
    assert choice_scores([late, early]).brier == pytest.approx(0.04 + 0.04)


def test_the_demos_multiple_choice_questions_are_in_scores_json(
    database: Database, database_url: str
) -> None:
    demo.load_demo(database)
    report = json.loads(CliRunner().invoke(cli, ["--db", database_url, "scores", "--json"]).stdout)
    overall = report["multiple_choice"]
    assert overall["n_questions"] == 2
    assert 0 <= overall["brier"] <= 2
    analyst = report["by_forecaster"]["analyst"]["multiple_choice"]
    assert analyst["n_ordered"] == 2  # both demo questions have ordered options (counts, price ranges)
    assert 0 <= analyst["brier_exact"] <= 2  # time-averaged over each question's window
    assert 0 <= analyst["rps"] <= 1
    assert analyst["n_samples"] == sum(b["count"] for b in analyst["calibration"])


def test_the_kept_report_keeps_the_multiple_choice_rows(database: Database) -> None:
    from db.models import ScoreSnapshot
    from services.score_report import build_report, report_from_json, report_to_json

    demo.load_demo(database)
    with database.read_session() as session:
        report = build_report(session)
    assert report is not None
    assert len(report.choices) == 8  # two questions, four forecasters on each
    snapshot = ScoreSnapshot(
        key="k", inputs_version="v", payload="", computed_at=report.computed_at, compute_seconds=1.0
    )
    again = report_from_json(report_to_json(report), snapshot)
    import pandas as pd

    pd.testing.assert_frame_equal(again.choices, report.choices)
    assert again.card.multiple_choice == report.card.multiple_choice


@pytest.mark.parametrize(
    ("first_at", "expected"),
    [
        (0.0, (0.38 * 50 + 0.0 * 50) / 100),  # 0.38 = 0.2² + 0.5² + 0.3², standing for half the window
        (20.0, (0.38 * 30 + 0.0 * 50) / 80),  # averaged from the first forecast on
    ],
)
def test_the_multi_category_brier_is_time_averaged_like_yes_no(first_at: float, expected: float) -> None:
    window = {"opens_at": 0.0, "ends_at": 100.0}
    rows = [
        ChoiceForecast(1, 0, first_at, (0.2, 0.5, 0.3), 1, False, **window),
        ChoiceForecast(1, 0, 50.0, (0.0, 1.0, 0.0), 1, False, **window),
    ]
    assert time_averaged_brier(rows) == {(1, 0): pytest.approx(expected)}
    assert choice_scores(rows).brier_exact == pytest.approx(expected)
    assert choice_scores(rows).brier == 0.0  # the last forecast was right
