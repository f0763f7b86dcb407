"""The updates behind "How you update": steps with their gains, the best and worst with what they
cited, and what forecasts did in the week after each event."""

from __future__ import annotations

import pytest

from dashboard.components.updating import sentence, verdict
from db import Database
from forecasts.scoring.updating import updating
from services import forecasts, scores, updates
from services.forecasts import ForecastInput
from tests.factories import E, F, Q, R, S, day


def test_steps_gains_citations_and_the_week_after_an_event(database: Database) -> None:
    q = Q(database, "Will the summit sign a treaty?", closes=60)
    wire = S(database, "wire").id
    deals = E(database, wire, "Tokyo: deals, no treaty", at=10, questions=[q])
    F(database, q, 0.5, by="ana", at=1)
    forecasts.add_forecast(
        database, q, ForecastInput("ana", probability=0.1, made_at=day(11), because=[deals])
    )
    F(database, q, 0.1, by="ana", at=12)  # a restatement is not a step
    F(database, q, 0.4, by="bo", at=2)
    F(database, q, 0.6, by="bo", at=20)  # away from what happened, and after the week
    R(database, q, "no", at=30)
    steps = updates.update_steps(database)
    assert sorted(zip(steps["forecaster"], steps["gain"].round(6), strict=True)) == [
        ("ana", round(0.25 - 0.01, 6)),
        ("bo", round(0.16 - 0.36, 6)),
    ]
    best, worst = updates.notable_updates(database, updates.notable_of(steps), n=1)
    kept = scores.report(database)  # the same two, kept with the scores
    assert kept is not None
    kept_best, kept_worst = updates.notable_updates(database, kept.notable, n=1)
    assert (
        kept_best[["forecast_id", "because"]].values.tolist()
        == best[["forecast_id", "because"]].values.tolist()
    )
    assert kept_worst["forecast_id"].tolist() == worst["forecast_id"].tolist()
    assert kept_best["gain"].tolist() == pytest.approx(best["gain"].tolist(), abs=1e-12)
    assert (best.iloc[0]["forecaster"], best.iloc[0]["because"]) == ("ana", "Tokyo: deals, no treaty")
    assert worst.iloc[0]["forecaster"] == "bo"
    [moved] = updates.event_moves(database, updates.update_steps(database, linked_only=True)).to_dict(
        "records"
    )
    assert (moved["event"], moved["steps"], moved["moved"], moved["toward_outcome"]) == (
        "Tokyo: deals, no treaty",
        1,
        pytest.approx(0.4),
        1.0,
    )


TOO_FEW = (
    "ana has too few resolved questions to tell how they update: excess movement -0.04 over 1 question; "
    "updates moved toward the outcome 50% of the time"
)
UNDER = (
    "ana under-reacts: excess movement -0.05 ± 0.00 over 40 questions; "
    "updates moved toward the outcome 100% of the time"
)
# X = (y − 0.3)² − 0.21: +0.28, −0.12, +0.28; mean +0.15, sd 0.231, se 0.13: within two of zero.
NEVER = (
    "ana never changed a forecast once made: excess movement +0.15 ± 0.13 over 3 questions; "
    "no update changed a value"
)
# 0.5 → 0.6 then yes: m = 0.01 + 0.16, X = −0.08; then no: m = 0.01 + 0.36, X = +0.12. Mean +0.02, se 0.10.
ABOUT_RIGHT = (
    "ana updates about as much as a Bayesian would: excess movement +0.02 ± 0.10 over 2 questions; "
    "updates moved toward the outcome 50% of the time"
)


@pytest.mark.parametrize(
    ("streams", "outcomes", "expected"),
    [
        ([[0.5, 0.7, 0.6]], [1], TOO_FEW),
        ([[0.5, 0.55]] * 40, [1] * 40, UNDER),
        ([[0.3]] * 3, [1, 0, 1], NEVER),
        ([[0.5, 0.6], [0.5, 0.6]], [1, 0], ABOUT_RIGHT),
    ],
)
def test_one_sentence_each(streams: list[list[float]], outcomes: list[float], expected: str) -> None:
    u = updating(streams, outcomes)
    assert sentence("ana", u) == expected
    assert verdict(u) in expected
