"""Time-averaged question scores against Metaculus, Fatebook and GJ Open examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecasts.scoring.rules import brier_01, brier_02
from forecasts.scoring.samples import sample_weights
from forecasts.scoring.timeline import (
    DAY,
    Window,
    daily_average,
    daily_standing,
    exact_time_average,
    metaculus_baseline,
    metaculus_baseline_multi,
    peer_scores,
    relative_to_median,
    time_averaged_peer,
)

TEN_DAYS = Window(opens=0.0, closes=10 * DAY)


def baseline_over_time(start_day: float, p: float, window: Window = TEN_DAYS):
    return exact_time_average([start_day * DAY], metaculus_baseline([p], [1]), window)


@pytest.mark.parametrize(
    ("start_day", "p", "score", "coverage"),
    [
        (0, 0.9, 84.79969066, 1.0),
        (0, 0.1, -232.19280949, 1.0),
        (0, 2**-0.5, 50.0, 1.0),
        (0, 2**-1.5, -50.0, 1.0),
        (5, 0.9, 42.39984533, 0.5),  # zero before the first forecast
        (3, 0.9, 84.79969066 * 0.7, 0.7),
    ],
)
def test_metaculus_baseline_vectors(start_day: float, p: float, score: float, coverage: float) -> None:
    result = baseline_over_time(start_day, p)
    assert result.score == pytest.approx(score)
    assert result.coverage == pytest.approx(coverage)


def test_metaculus_early_resolution_counts_zero_afterwards() -> None:
    result = baseline_over_time(0, 0.9, Window(opens=0.0, closes=10 * DAY, resolved=5 * DAY))
    assert result.coverage == pytest.approx(0.5)
    assert result.score == pytest.approx(84.79969066 / 2)


@pytest.mark.parametrize(
    ("probabilities", "expected"),
    [
        ([0.1, 0.9], [-219.72245773, 219.72245773]),
        ([0.1, 0.5, 0.9], [-190.3331, 51.0826, 139.2506]),
        ([0.4], [0.0]),
    ],
)
def test_metaculus_peer_vectors(probabilities: list[float], expected: list[float]) -> None:
    assert list(peer_scores(probabilities, 1)) == pytest.approx(expected, abs=1e-4)
    constant = time_averaged_peer([([0.0], [p]) for p in probabilities], 1, TEN_DAYS)
    assert list(constant) == pytest.approx(expected, abs=1e-4)


def test_peer_scores_sum_to_zero_while_everyone_forecasts() -> None:
    forecasts = [([0.0, 4 * DAY], [0.2, 0.6]), ([0.0], [0.7]), ([0.0, 8 * DAY], [0.5, 0.9])]
    assert time_averaged_peer(forecasts, 0, TEN_DAYS).sum() == pytest.approx(0.0, abs=1e-9)


def test_late_peer_forecaster_gets_zero_before_joining() -> None:
    late = time_averaged_peer([([0.0], [0.1]), ([5 * DAY], [0.9])], 1, TEN_DAYS)
    assert list(late) == pytest.approx([-219.72245773 / 2, 219.72245773 / 2])


# --- Fatebook's debug vectors (question resolves yes) --------------------------------------

SEVEN_DAYS = Window(opens=0.0, closes=7 * DAY, resolved=7 * DAY)


def _daily(times_days: list[float], probabilities: list[float]) -> np.ndarray:
    times = np.asarray(times_days) * DAY
    return daily_standing(times, brier_02(probabilities, [1] * len(probabilities)), SEVEN_DAYS)


def test_relative_brier_against_the_daily_median() -> None:
    matrix = [_daily([0, 3], [0.9, 0.95]), _daily([0, 2], [0.25, 0.2]), _daily([5], [0.99])]
    assert list(relative_to_median(matrix)) == pytest.approx([-0.43, 0.7943, -0.00137], abs=1e-4)


def test_daily_brier_carries_the_last_forecast_forward() -> None:
    result = daily_average(np.array([0, 3]) * DAY, brier_02([0.9, 0.95], [1, 1]), SEVEN_DAYS)
    assert result.standing_mean == pytest.approx(0.0114, abs=1e-4)


def test_part_day_before_the_first_forecast_is_not_penalised() -> None:
    window = Window(opens=0.0, closes=0.7 * DAY, resolved=0.7 * DAY)
    result = exact_time_average([0.2 * DAY], brier_02([0.9], [1]), window)
    assert result.standing_mean == pytest.approx(0.02)


def test_daily_uses_the_last_forecast_of_each_day() -> None:
    # 09:09 then 21:42 on day 0: the day scores the 21:42 value (GJ Open's example).
    standing = daily_standing([0.38 * DAY, 0.904 * DAY], [0.3, 0.8], Window(0.0, 2 * DAY))
    assert list(standing) == [0.8, 0.8]


def test_final_partial_day_is_not_scored() -> None:
    assert daily_standing([0.0], [0.5], Window(0.0, 2.5 * DAY)).size == 2


# --- Properties ---------------------------------------------------------------------------------


@given(
    st.floats(min_value=0, max_value=1),
    st.integers(0, 1),
    st.floats(min_value=0.5, max_value=400),
)
def test_constant_forecast_time_average_equals_its_plain_score(p: float, y: int, days: float) -> None:
    window = Window(opens=0.0, closes=days * DAY)
    plain = brier_01([p], [y])[0]
    result = exact_time_average([0.0], [plain], window)
    assert result.score == pytest.approx(plain)
    assert result.standing_mean == pytest.approx(plain)
    assert result.coverage == pytest.approx(1.0)
    if days >= 1:
        assert daily_average([0.0], [plain], window).standing_mean == pytest.approx(plain)


@given(st.lists(st.floats(min_value=0, max_value=9.99), min_size=1, max_size=20))
def test_coverage_stays_in_the_unit_interval(start_days: list[float]) -> None:
    times = np.sort(np.asarray(start_days)) * DAY
    result = exact_time_average(times, np.ones_like(times), TEN_DAYS)
    assert 0.0 <= result.coverage <= 1.0
    assert result.coverage == pytest.approx(1 - times[0] / TEN_DAYS.closes)


# --- Calibration samples ------------------------------------------------------------------------


def test_last_forecast_per_forecaster_and_question() -> None:
    weights = sample_weights(["a", "a", "b", "a"], ["x", "x", "x", "y"], [1, 2, 1, 5], "last")
    assert list(weights) == [0, 1, 1, 1]


def test_time_weighted_samples_weigh_each_pair_once() -> None:
    weights = sample_weights(
        ["a", "a", "b", "a"], ["x", "x", "x", "y"], [0, 5, 1, 5], "time", [0] * 4, [10] * 4
    )
    assert list(weights) == [0.5, 0.5, 1.0, 1.0]


def test_every_forecast_counts_once() -> None:
    assert list(sample_weights(["a", "a"], ["x", "x"], [0, 1], "every")) == [1, 1]


@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=2)), min_size=4, max_size=4),
        min_size=1,
        max_size=6,
    )
)
def test_relative_to_median_matches_a_plain_loop(rows: list[list[float | None]]) -> None:
    """Oracle: the statistics module, one day at a time."""
    import statistics

    matrix = np.array([[np.nan if v is None else v for v in row] for row in rows])
    expected = np.zeros(len(rows))
    for day in range(4):
        active = [r for r in range(len(rows)) if rows[r][day] is not None]
        if not active:
            continue
        median = statistics.median(rows[r][day] for r in active)
        for r in active:
            expected[r] += rows[r][day] - median
    assert list(relative_to_median(matrix)) == pytest.approx(list(expected / 4))


@pytest.mark.parametrize(("outcome", "expected"), [(0, 0.0), (2, 50.0)])
def test_metaculus_multiple_choice_baseline(outcome: int, expected: float) -> None:
    p = [1 / 3, 1 - 1 / 3 - 1 / np.sqrt(3), 1 / np.sqrt(3)]
    assert metaculus_baseline_multi([p], [outcome])[0] == pytest.approx(expected)


def test_we_average_scores_not_forecasts_within_a_day() -> None:
    """Fatebook scores the time-averaged *forecast* of a part-day (0.9 then 0.95 at 0.21 of a
    0.7-day question → 2·(1 − 0.935)² = 0.00845). We average the *scores*, as Metaculus does,
    which keeps the time average proper: 0.3·0.02 + 0.7·0.005 = 0.0095."""
    window = Window(opens=0.0, closes=0.7 * DAY, resolved=0.7 * DAY)
    result = exact_time_average([0.0, 0.21 * DAY], brier_02([0.9, 0.95], [1, 1]), window)
    assert result.standing_mean == pytest.approx(0.0095)


def test_per_question_scores_match_the_plain_time_average() -> None:
    """The vectorised per-question table agrees with exact_time_average pair by pair."""
    from forecasts.scoring.scorecard import ForecastTable, per_question_scores

    rng = np.random.default_rng(5)
    n = 300
    question = rng.integers(0, 20, n)
    opens = np.zeros(n)
    closes = np.full(n, 100 * DAY)
    resolved = np.where(question % 3 == 0, 60 * DAY, np.nan)
    table = ForecastTable(
        question=question.astype(str),
        forecaster=np.array(["a", "b", "c"])[rng.integers(0, 3, n)],
        made_at=rng.uniform(-5, 99, n) * DAY,
        probability=rng.uniform(0, 1, n),
        outcome=(question % 2).astype(float),
        opens_at=opens,
        closes_at=closes,
        resolved_at=resolved,
    )
    for row in per_question_scores(table):
        mine = (table.question == row.question) & (table.forecaster == row.forecaster)
        order = np.argsort(table.made_at[mine], kind="stable")
        times, p, y = table.made_at[mine][order], table.probability[mine][order], table.outcome[mine][order]
        window = Window(0.0, 100 * DAY, 60 * DAY if int(row.question) % 3 == 0 else None)
        expected = exact_time_average(times, brier_01(p, y), window)
        assert row.n_forecasts == mine.sum()
        assert row.last_probability == p[-1]
        assert row.coverage == pytest.approx(expected.coverage)
        if np.isnan(expected.standing_mean):
            assert np.isnan(row.brier_exact)
        else:
            assert row.brier_exact == pytest.approx(expected.standing_mean)
