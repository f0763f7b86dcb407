"""The all-pairs time averages agree with the one-question definitions in ``timeline.py``.

The reference below walks questions one at a time with the readable functions;
the vectorised ``pair_time_scores`` must give the same number for every pair.
"""

from __future__ import annotations

import numpy as np
import pytest

from forecasts.scoring.rules import brier_01
from forecasts.scoring.segments import pair_time_scores
from forecasts.scoring.timeline import (
    DAY,
    Window,
    daily_standing,
    exact_time_average,
    metaculus_baseline,
    relative_to_median,
    time_averaged_peer,
)

KEYS = ("brier_exact", "coverage", "brier_daily", "relative_brier_daily", "baseline", "peer")


def reference(question, forecaster, made_at, p, y, opens, closes, resolved) -> dict[tuple, dict[str, float]]:
    """Pair → scores, one question at a time."""
    result: dict[tuple, dict[str, float]] = {}
    for q in np.unique(question):
        rows = np.flatnonzero(question == q)
        resolved_q = resolved[rows]
        window = Window(
            float(opens[rows].min()),
            float(closes[rows].max()),
            float(np.nanmin(resolved_q)) if np.isfinite(resolved_q).any() else None,
        )
        outcome = int(y[rows[0]])
        names, series, daily = [], [], []
        for name in np.unique(forecaster[rows]):
            mine = rows[forecaster[rows] == name]
            mine = mine[np.argsort(made_at[mine], kind="stable")]
            times, probabilities = made_at[mine], p[mine]
            outcomes = np.full_like(probabilities, outcome)
            brier = brier_01(probabilities, outcomes)
            exact = exact_time_average(times, brier, window)
            per_day = daily_standing(times, brier, window)
            active = per_day[~np.isnan(per_day)]
            result[(q, name)] = {
                "brier_exact": exact.standing_mean,
                "coverage": exact.coverage,
                "brier_daily": float(active.mean()) if active.size else np.nan,
                "baseline": exact_time_average(
                    times, metaculus_baseline(probabilities, outcomes), window
                ).score,
            }
            names.append(name)
            series.append((times, probabilities))
            daily.append(per_day)
        relative = relative_to_median(np.vstack(daily)) if daily[0].size else np.full(len(names), np.nan)
        peers = time_averaged_peer(series, outcome, window)
        alone = len(names) < 2  # no one to compare against: n/a, not 0
        for i, name in enumerate(names):
            result[(q, name)]["relative_brier_daily"] = float("nan") if alone else float(relative[i])
            result[(q, name)]["peer"] = float("nan") if alone else float(peers[i])
    return result


def random_history(seed: int, n: int, n_questions: int, n_forecasters: int, on_day_ends: bool):
    rng = np.random.default_rng(seed)
    question = rng.integers(0, n_questions, n)
    opens_q = rng.uniform(0, 50, n_questions) * DAY
    lifetime_q = rng.uniform(0.5, 40, n_questions) * DAY  # some questions have no full day
    early = rng.uniform(0, 1, n_questions) < 0.3
    resolved_q = np.where(early, opens_q + lifetime_q * rng.uniform(0.2, 0.9, n_questions), np.nan)
    offsets = rng.uniform(-0.1, 1.1, n) * lifetime_q[question]  # before opening and after closing too
    if on_day_ends:  # land exactly on day ends, where "standing at the end of the day" is decided
        offsets = np.round(offsets / DAY) * DAY
    made_at = opens_q[question] + offsets
    forecaster = rng.integers(0, n_forecasters, n).astype(str)
    # One forecast per forecaster and moment, as the database guarantees.
    _, keep = np.unique(np.c_[question, forecaster.astype(int), made_at], axis=0, return_index=True)
    keep = np.sort(keep)
    truth = rng.uniform(0, 1, n_questions) < 0.5
    probability = np.round(rng.uniform(0, 1, n), 2)
    return (
        question[keep],
        forecaster[keep],
        made_at[keep],
        probability[keep],
        truth[question][keep].astype(float),
        opens_q[question][keep],
        (opens_q + lifetime_q)[question][keep],
        resolved_q[question][keep],
    )


@pytest.mark.parametrize(
    ("seed", "n", "n_questions", "n_forecasters", "on_day_ends"),
    [
        (1, 400, 30, 3, False),
        (2, 400, 30, 3, True),
        (3, 60, 40, 2, False),  # many single-forecast questions
        (4, 800, 10, 6, True),  # crowded questions: medians over up to six forecasters
        (5, 1, 1, 1, False),
    ],
)
def test_every_pair_matches_the_one_question_definitions(
    seed: int, n: int, n_questions: int, n_forecasters: int, on_day_ends: bool
) -> None:
    columns = random_history(seed, n, n_questions, n_forecasters, on_day_ends)
    expected = reference(*columns)
    got = pair_time_scores(*columns)
    assert len(got.question) == len(expected)
    for i, (q, name) in enumerate(zip(got.question, got.forecaster, strict=True)):
        for key in KEYS:
            want = expected[(q, name)][key]
            value = getattr(got, key)[i]
            assert value == pytest.approx(want, abs=1e-9, nan_ok=True), (q, name, key)


def test_a_window_that_never_opens_is_refused() -> None:
    one = np.array([0.0])
    with pytest.raises(ValueError, match="close after it opens"):
        pair_time_scores(np.array(["q"]), np.array(["a"]), one, one + 0.5, one, one, one, one * np.nan)


def test_scoring_in_batches_of_questions_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import forecasts.scoring.segments as segments

    columns = random_history(6, 600, 40, 4, False)
    whole = pair_time_scores(*columns)
    monkeypatch.setattr(segments, "CHUNK_ROWS", 37)  # many batches, cut at question boundaries
    batched = pair_time_scores(*columns)
    assert np.array_equal(batched.question, whole.question)
    assert np.array_equal(batched.forecaster, whole.forecaster)
    for key in KEYS:
        assert np.array_equal(getattr(batched, key), getattr(whole, key), equal_nan=True), key
