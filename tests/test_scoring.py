"""Scores and calibration against independent oracles: sklearn, R reliabilitydiag
(through model-diagnostics' published vectors), Metaculus and GJ Open examples."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sklearn_log_loss

from forecasts.scoring.calibration import DECILE_EDGES, bin_index, reliability_bins, wilson_interval
from forecasts.scoring.decomposition import (
    corp_brier,
    corp_log,
    corp_reliability_curve,
    ferro_fricker,
    murphy,
    pav_recalibrate,
)
from forecasts.scoring.rules import (
    brier_01,
    brier_02,
    gj_ordered_brier,
    log_loss,
    multi_brier_02,
    multi_log_loss,
    multi_spherical_gain,
    ranked_probability_score,
    spherical_gain,
)

NIAMEY = Path(__file__).parent / "data" / "niamey_2016.csv"
TOY_P = [0.1, 0.1, 0.3, 0.3, 0.3, 0.7, 0.7, 0.9, 0.9, 0.9]
TOY_Y = [0, 0, 0, 1, 0, 1, 1, 1, 1, 0]
TEN_PERCENT_EDGES = tuple(range(0, 101, 10))

probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
# Forecasts as people and platforms state them: at most three decimals. (sklearn's isotonic
# regression merges values closer than float tolerance, which differ only in subnormals.)
stated_probabilities = st.integers(0, 1000).map(lambda k: k / 1000)


def niamey() -> dict[str, np.ndarray]:
    with open(NIAMEY, newline="") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return {
        name: np.array([float(row[name]) for row in rows])
        for name in ("Logistic", "EMOS", "ENS", "EPC", "obs")
    }


# --- Per-forecast rules -----------------------------------------------------------------


def test_brier_matches_sklearn_vector() -> None:
    y = [0, 1, 1, 0, 1, 1]
    p = [0.1, 0.8, 0.9, 0.3, 1.0, 0.95]
    assert brier_01(p, y).mean() == pytest.approx(0.0254167, abs=1e-7)
    assert brier_01(p, y).mean() == pytest.approx(brier_score_loss(y, p))
    assert brier_02(p, y).mean() == pytest.approx(brier_score_loss(y, p, scale_by_half=False))


@pytest.mark.parametrize(
    ("p", "y", "expected"),
    [
        (0.7, 1, 0.18),  # GJ Open FAQ: 70% on an event that happened
        (0.5, 0, 0.5),
        (1.0, 0, 2.0),
    ],
)
def test_brier_original_scale(p: float, y: int, expected: float) -> None:
    assert brier_02([p], [y])[0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("probabilities", "outcome", "expected"),
    [
        ([[0.6, 0.1, 0.3]], [0], 0.26),  # GJ Open FAQ, three options
        ([[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]], [1, 0, 2], 0.41333333),  # sklearn
        ([[0.0, 1.0, 0.0]], [0], 2.0),  # perfectly wrong
    ],
)
def test_multi_category_brier(probabilities: list[list[float]], outcome: list[int], expected: float) -> None:
    assert multi_brier_02(probabilities, outcome).mean() == pytest.approx(expected, abs=1e-7)


def test_multi_category_brier_matches_sklearn() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.dirichlet([1, 1, 1, 1], size=200)
    outcome = rng.integers(0, 4, size=200)
    assert multi_brier_02(matrix, outcome).mean() == pytest.approx(
        brier_score_loss(outcome, matrix, labels=[0, 1, 2, 3])
    )


@pytest.mark.parametrize(
    ("probabilities", "outcome", "expected"),
    [
        ([0.01, 0.32, 0.44, 0.23], 2, 0.1619),  # scoringrules test (1-based category 3)
        ([0.25, 0.25, 0.30, 0.20], 1, 0.3525),  # GJ ordered-categorical example
        ([1.0, 0.0, 0.0], 0, 0.0),
        ([0.0, 0.0, 1.0], 0, 2.0),
    ],
)
def test_ranked_probability_score(probabilities: list[float], outcome: int, expected: float) -> None:
    assert ranked_probability_score([probabilities], [outcome])[0] == pytest.approx(expected)


def test_log_loss_matches_sklearn_inside_the_clamp() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.001, 0.999, 500)
    y = rng.integers(0, 2, 500)
    assert log_loss(p, y).mean() == pytest.approx(sklearn_log_loss(y, p))


@pytest.mark.parametrize(
    ("p", "y", "expected"),
    [
        (0.0, 1, -np.log(0.001)),  # clamped: a sure miss costs ln 1000, not infinity
        (1.0, 0, -np.log(0.001)),
        (1.0, 1, -np.log(0.999)),
        (0.481, 0, 0.6558514),  # scoringrules log_score vector
    ],
)
def test_log_loss_clamp(p: float, y: int, expected: float) -> None:
    assert log_loss([p], [y])[0] == pytest.approx(expected)


@pytest.mark.parametrize(("p", "y", "expected"), [(1.0, 1, 1.0), (0.5, 1, 1 / np.sqrt(2)), (0.0, 1, 0.0)])
def test_spherical_gain(p: float, y: int, expected: float) -> None:
    assert spherical_gain([p], [y])[0] == pytest.approx(expected)


# --- Binned reliability --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected_bin"),
    [(0.0, 0), (0.049, 0), (0.05, 1), (0.15, 2), (0.35, 4), (0.5, 5), (0.95, 10), (1.0, 10)],
)
def test_round_forecasts_land_in_their_bin(p: float, expected_bin: int) -> None:
    assert bin_index([p])[0] == expected_bin


@given(st.lists(probabilities, min_size=1, max_size=200))
def test_every_probability_lands_in_exactly_one_bin(values: list[float]) -> None:
    index = bin_index(values)
    assert np.all((index >= 0) & (index < len(DECILE_EDGES) - 1))
    bins = reliability_bins(values, [0] * len(values))
    assert sum(b.count for b in bins) == len(values)


def test_reliability_points_sit_at_the_mean_forecast() -> None:
    bins = reliability_bins([0.1, 0.12, 0.7, 0.7, 0.7], [0, 1, 1, 1, 0])
    assert [(b.lower, b.upper, b.count) for b in bins] == [(0.05, 0.15, 2), (0.65, 0.75, 3)]
    assert bins[0].mean_forecast == pytest.approx(0.11)
    assert bins[1].observed == pytest.approx(2 / 3)


def test_reliability_matches_sklearn_calibration_curve() -> None:
    rng = np.random.default_rng(11)
    # Continuous forecasts never sit on an edge, where sklearn (right-closed bins) and we
    # (left-closed) differ by design.
    p = rng.uniform(0, 1, 1000)
    y = (rng.uniform(0, 1, 1000) < p).astype(int)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    bins = reliability_bins(p, y, TEN_PERCENT_EDGES)
    assert [b.observed for b in bins] == pytest.approx(list(prob_true))
    assert [b.mean_forecast for b in bins] == pytest.approx(list(prob_pred))


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(7, 10, 0.39678, 0.89221), (0, 10, 0.0, 0.27753), (10, 10, 0.72247, 1.0)],
)
def test_wilson_interval_vectors(k: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(k, n)
    assert (float(got_low), float(got_high)) == pytest.approx((low, high), abs=1e-5)


# --- Decompositions ------------------------------------------------------------------------


def test_murphy_toy_vector() -> None:
    result = murphy(TOY_P, TOY_Y, TEN_PERCENT_EDGES)
    assert (result.rel, result.res, result.unc) == pytest.approx((0.036667, 0.116667, 0.25), abs=1e-6)
    assert (result.wbv, result.wbc, result.brier) == pytest.approx((0.0, 0.0, 0.17))


@given(st.lists(st.tuples(probabilities, st.integers(0, 1)), min_size=1, max_size=300))
@settings(max_examples=200)
def test_murphy_stephenson_identity_is_exact(pairs: list[tuple[float, int]]) -> None:
    p, y = (np.array(column) for column in zip(*pairs, strict=True))
    for edges in (DECILE_EDGES, TEN_PERCENT_EDGES, (0, 100), None):
        d = murphy(p, y, edges)
        assert d.rel - d.res + d.unc + d.wbv - d.wbc == pytest.approx(d.brier, abs=1e-12)


def test_corp_toy_vector_pools_ties() -> None:
    assert list(pav_recalibrate(TOY_P, TOY_Y)) == pytest.approx([0, 0, 1 / 3, 1 / 3, 1 / 3] + [0.8] * 5)
    result = corp_brier(TOY_P, TOY_Y)
    assert (result.mcb, result.dsc, result.unc) == pytest.approx((0.023333, 0.103333, 0.25), abs=1e-6)


def test_corp_matches_model_diagnostics_vectors() -> None:
    """model-diagnostics' test_decompose_with_numbers (values from R reliabilitydiag)."""
    y = [0, 0, 0, 1, 1, 1]
    p = [0.4, 0.3, 0.2, 0.1, 0.5, 0.9]
    brier = corp_brier(p, y)
    assert (brier.mcb, brier.dsc, brier.unc, brier.score) == pytest.approx(
        (0.1016667, 0.125, 0.25, 0.2266667), abs=1e-7
    )
    log = corp_log(p, y)
    assert (log.mcb, log.dsc, log.unc, log.score) == pytest.approx(
        (0.3237327, 0.3182571, 0.6931472, 0.6986228), abs=1e-7
    )


@pytest.mark.parametrize(
    ("method", "mcb", "dsc", "unc", "score"),
    [
        ("Logistic", 0.01708, 0.05554, 0.24421, 0.20575),
        ("EMOS", 0.01828, 0.03047, 0.24421, 0.23203),
        ("ENS", 0.06607, 0.04412, 0.24421, 0.26617),  # many tied forecasts
        ("EPC", 0.02235, 0.03228, 0.24421, 0.23428),
    ],
)
def test_corp_matches_r_reliabilitydiag_on_niamey(
    method: str, mcb: float, dsc: float, unc: float, score: float
) -> None:
    data = niamey()
    result = corp_brier(data[method], data["obs"])
    assert (result.mcb, result.dsc, result.unc, result.score) == pytest.approx(
        (mcb, dsc, unc, score), abs=5e-6
    )


@given(st.lists(st.tuples(stated_probabilities, st.integers(0, 1)), min_size=1, max_size=300))
@settings(max_examples=200)
def test_pav_agrees_with_sklearn_isotonic_and_corp_terms_are_nonnegative(
    pairs: list[tuple[float, int]],
) -> None:
    p, y = (np.array(column, dtype=float) for column in zip(*pairs, strict=True))
    expected = IsotonicRegression(y_min=0, y_max=1).fit(p, y).predict(p)
    assert pav_recalibrate(p, y) == pytest.approx(expected, abs=1e-9)
    for result in (corp_brier(p, y), corp_log(p, y)):
        assert result.mcb >= -1e-12
        assert result.dsc >= -1e-12
        assert result.mcb - result.dsc + result.unc == pytest.approx(result.score, abs=1e-9)


# --- Properties of the rules ----------------------------------------------------------------


@given(probabilities, st.integers(0, 1))
def test_scores_stay_in_their_ranges(p: float, y: int) -> None:
    assert 0.0 <= brier_01([p], [y])[0] <= 1.0
    assert 0.0 <= brier_02([p], [y])[0] <= 2.0
    assert 0.0 < log_loss([p], [y])[0] <= -np.log(0.001) + 1e-12
    assert 0.0 <= spherical_gain([p], [y])[0] <= 1.0


@given(st.floats(min_value=0.01, max_value=0.99), st.floats(min_value=0.0, max_value=1.0))
def test_expected_score_is_minimised_by_the_true_probability(truth: float, report: float) -> None:
    """Propriety: reporting anything but your belief never pays in expectation."""

    def expected(rule, q: float) -> float:
        return truth * rule([q], [1])[0] + (1 - truth) * rule([q], [0])[0]

    for rule in (brier_01, log_loss):
        assert expected(rule, truth) <= expected(rule, report) + 1e-12
    gain = spherical_gain
    assert truth * gain([truth], [1])[0] + (1 - truth) * gain([truth], [0])[0] >= (
        truth * gain([report], [1])[0] + (1 - truth) * gain([report], [0])[0] - 1e-12
    )


# --- Weights and the consistency band ---------------------------------------------------------


@given(
    st.lists(
        st.tuples(stated_probabilities, st.integers(0, 1), st.integers(1, 4)),
        min_size=1,
        max_size=100,
    )
)
@settings(max_examples=100)
def test_integer_weights_equal_repeated_rows(rows: list[tuple[float, int, int]]) -> None:
    p, y, w = (np.array(column, dtype=float) for column in zip(*rows, strict=True))
    repeated_p, repeated_y = np.repeat(p, w.astype(int)), np.repeat(y, w.astype(int))
    weighted, repeated = corp_brier(p, y, weights=w), corp_brier(repeated_p, repeated_y)
    assert (weighted.mcb, weighted.dsc, weighted.unc) == pytest.approx(
        (repeated.mcb, repeated.dsc, repeated.unc), abs=1e-12
    )
    split, plain = murphy(p, y, weights=w), murphy(repeated_p, repeated_y)
    assert (split.rel, split.res, split.wbv, split.wbc) == pytest.approx(
        (plain.rel, plain.res, plain.wbv, plain.wbc), abs=1e-12
    )
    assert split.rel - split.res + split.unc + split.wbv - split.wbc == pytest.approx(split.brier, abs=1e-12)
    binned = reliability_bins(p, y, weights=w)
    assert [b.observed for b in binned] == pytest.approx(
        [b.observed for b in reliability_bins(repeated_p, repeated_y)]
    )


def test_consistency_band_contains_a_calibrated_forecaster() -> None:
    rng = np.random.default_rng(1)
    p = rng.choice(np.linspace(0.05, 0.95, 10), size=2000)
    y = (rng.random(p.size) < p).astype(float)
    curve = corp_reliability_curve(p, y, n_resamples=200, seed=3)
    assert curve.level == 0.9
    inside = (curve.band_low <= curve.forecast + 1e-9) & (curve.forecast - 1e-9 <= curve.band_high)
    assert inside.all()
    assert np.mean((curve.band_low <= curve.recalibrated) & (curve.recalibrated <= curve.band_high)) >= 0.7


def test_consistency_band_exposes_overconfidence() -> None:
    p = np.full(200, 0.9)
    y = np.tile([1.0, 0.0], 100)  # says 90%, right half the time
    curve = corp_reliability_curve(p, y, seed=5)
    assert curve.recalibrated[0] == pytest.approx(0.5)
    assert curve.recalibrated[0] < curve.band_low[0]


def test_consistency_band_is_reproducible() -> None:
    p, y = niamey()["EMOS"], niamey()["obs"]
    first, second = corp_reliability_curve(p, y, seed=9), corp_reliability_curve(p, y, seed=9)
    assert np.array_equal(first.band_low, second.band_low)


# --- PredictionBook and Cleodora vectors --------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "y", "expected"),
    [
        ([0.8], [1], 0.04),  # PredictionBook score_calculator_spec: 80% judged right
        ([1.0], [1], 0.0),
        ([0.9, 0.7, 0.3], [0, 1, 0], 0.33),  # {90 wrong, 70 right, 30 wrong}
    ],
)
def test_predictionbook_mean_squared_error(p: list[float], y: list[int], expected: float) -> None:
    assert brier_01(p, y).mean() == pytest.approx(expected)


def test_predictionbook_issue_3_log_score() -> None:
    pairs = [
        (1, 0.95), (0, 0.30), (1, 0.85), (1, 0.75), (0, 0.50), (0, 0.25), (0, 0.60),
        (1, 0.70), (1, 0.65), (1, 0.60), (0, 0.30), (1, 0.50), (1, 0.90), (1, 0.40),
    ]  # fmt: skip
    y, p = zip(*pairs, strict=True)
    assert -log_loss(p, y).sum() == pytest.approx(-6.12505, abs=1e-5)


@pytest.mark.parametrize(("p_yes", "expected"), [(0.15, 0.045), (0.01, 0.0002)])
def test_cleodora_resolves_no(p_yes: float, expected: float) -> None:
    assert brier_02([p_yes], [0])[0] == pytest.approx(expected)


# --- More published vectors --------------------------------------------------------------------


def test_multiclass_log_loss_matches_sklearn_vector() -> None:
    probabilities = [[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.6, 0.1, 0.3]]
    assert multi_log_loss(probabilities, [1, 0, 2]).mean() == pytest.approx(0.6904911, abs=1e-7)
    assert multi_log_loss(probabilities, [1, 0, 2]).mean() == pytest.approx(
        sklearn_log_loss([1, 0, 2], probabilities)
    )


def test_multi_spherical_gain() -> None:
    assert multi_spherical_gain([[0.5, 0.5, 0.0]], [0])[0] == pytest.approx(1 / np.sqrt(2))
    assert multi_spherical_gain([[0.2, 0.8]], [1])[0] == pytest.approx(spherical_gain([0.8], [1])[0])


def test_gj_ordered_categorical_example() -> None:
    assert gj_ordered_brier([[0.25, 0.25, 0.30, 0.20]], [1])[0] == pytest.approx(0.235)


def test_scoringrules_brier_vector() -> None:
    assert brier_01([0.271], [0])[0] == pytest.approx(0.073441)


def test_sklearn_calibration_curve_vector() -> None:
    bins = reliability_bins([0, 0.1, 0.2, 0.8, 0.9, 1], [0, 0, 0, 1, 1, 1], (0, 50, 100))
    assert [b.observed for b in bins] == [0.0, 1.0]
    assert [b.mean_forecast for b in bins] == pytest.approx([0.1, 0.9])


def test_ferro_fricker_toy_vector() -> None:
    corrected = ferro_fricker(TOY_P, TOY_Y, TEN_PERCENT_EDGES)
    assert (corrected.rel, corrected.res, corrected.unc) == pytest.approx(
        (-0.03, 0.077778, 0.277778), abs=1e-6
    )
    plain = murphy(TOY_P, TOY_Y, TEN_PERCENT_EDGES)
    assert corrected.rel - corrected.res + corrected.unc == pytest.approx(plain.rel - plain.res + plain.unc)


def test_murphy_on_niamey_emos_matches_the_reference() -> None:
    data = niamey()
    split = murphy(data["EMOS"], data["obs"], TEN_PERCENT_EDGES)
    assert (split.rel, split.res, split.wbv, split.wbc) == pytest.approx(
        (0.011356, 0.022063, 0.000522, 0.002001), abs=1e-6
    )


@given(st.lists(stated_probabilities, min_size=2, max_size=2))
def test_every_stated_probability_lands_in_the_bin_integer_arithmetic_says(pair: list[float]) -> None:
    """Oracle: integer thousandths against integer-percent edges, no floats involved."""
    for p in pair:
        thousandths = round(p * 1000)
        expected = max(i for i, edge in enumerate(DECILE_EDGES[:-1]) if edge * 10 <= thousandths)
        assert bin_index([p])[0] == expected
