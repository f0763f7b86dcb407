"""How a forecaster updates: hand-computed streams, edge cases, a Bayesian's excess movement is zero,
and the vectorised code equals a plain loop over questions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from forecasts.scoring.updating import Updating, updating, updating_by_forecaster


def test_the_worked_example_of_augenblick_and_rabin() -> None:
    """0.5 → 0.7 → 0.6, then yes: m = 0.04 + 0.01 + 0.16 = 0.21, r = 0.25, X = −0.04."""
    result = updating([[0.5, 0.7, 0.6]], [1])
    assert result.excess_movement == pytest.approx(-0.04)
    assert result.normalized_excess_movement == pytest.approx(-0.16)
    assert result.frequency == 3
    assert result.magnitude == pytest.approx((0.2 + 0.1) / 2)
    assert result.confirmation == 0
    # Gains: 0.25 − 0.09 = +0.16 toward yes, then 0.09 − 0.16 = −0.07 away from it.
    assert result.update_gain == pytest.approx((0.16 - 0.07) / 2)
    assert result.update_hit_rate == 0.5
    assert result.excess_movement_se is None  # one question: no spread to estimate


@pytest.mark.parametrize(
    ("streams", "outcomes", "expected"),
    [
        # One forecast only: no update; X = (y − p0)² − p0(1 − p0) = 0.49 − 0.21 = 0.28.
        ([[0.3]], [1], {"n_updates": 0, "magnitude": None, "confirmation": None, "update_gain": None,
                         "update_hit_rate": None, "excess_movement": 0.28}),
        # Restating: every update confirms; nothing moved, so no magnitude and no hit rate.
        ([[0.6, 0.6, 0.6]], [0], {"confirmation": 1.0, "magnitude": None, "update_hit_rate": None,
                                  "update_gain": 0.0, "excess_movement": 0.36 - 0.24}),
        # Exactly the outcome from the start: no movement, no uncertainty, X = 0, normalised undefined.
        ([[1.0, 1.0]], [1], {"excess_movement": 0.0, "normalized_excess_movement": None}),
        # Two questions: frequency is the mean count per question, magnitude pooled over changes.
        ([[0.2, 0.4], [0.5, 0.5, 0.9]], [1, 1], {"frequency": 2.5, "magnitude": pytest.approx(0.3),
                                                  "confirmation": pytest.approx(1 / 3)}),
        # A move away from what happened has a negative gain.
        ([[0.4, 0.1]], [1], {"update_gain": pytest.approx(0.36 - 0.81), "update_hit_rate": 0.0}),
    ],
)  # fmt: skip
def test_edge_cases(streams: list[list[float]], outcomes: list[float], expected: dict[str, object]) -> None:
    result = updating(streams, outcomes)
    for key, value in expected.items():
        got = getattr(result, key)
        assert got == (pytest.approx(value) if isinstance(value, float) else value), key


def _plain_loop(streams: list[list[float]], outcomes: list[float]) -> dict[str, float | None]:
    """The definitions read literally, one question at a time."""
    xs, ms, rs, changes, gains, confirms, counts = [], [], [], [], [], [], []
    for stream, y in zip(streams, outcomes, strict=True):
        counts.append(len(stream))
        path = [*stream, y]
        m = sum((b - a) ** 2 for a, b in itertools.pairwise(path))
        r = stream[0] * (1 - stream[0])
        xs.append(m - r)
        ms.append(m)
        rs.append(r)
        for a, b in itertools.pairwise(stream):
            confirms.append(a == b)
            gains.append(((a - y) ** 2 - (b - y) ** 2, a != b))
            if a != b:
                changes.append(abs(b - a))
    n = len(xs)
    mean_x = sum(xs) / n
    moved = [g for g, changed in gains if changed]
    return {
        "frequency": sum(counts) / n,
        "magnitude": sum(changes) / len(changes) if changes else None,
        "confirmation": sum(confirms) / len(confirms) if confirms else None,
        "excess_movement": mean_x,
        "excess_movement_se": math.sqrt(sum((x - mean_x) ** 2 for x in xs) / (n - 1)) / math.sqrt(n)
        if n > 1
        else None,
        "normalized_excess_movement": sum(ms) / sum(rs) - 1 if sum(rs) > 0 else None,
        "update_gain": sum(g for g, _ in gains) / len(gains) if gains else None,
        "update_hit_rate": sum(g > 0 for g in moved) / len(moved) if moved else None,
    }


def test_vectorised_equals_a_plain_loop_for_every_forecaster() -> None:
    rng = np.random.default_rng(12)
    rows = []  # (question, forecaster, time, p, y)
    streams: dict[int, tuple[list[list[float]], list[float]]] = {}
    for forecaster in range(4):
        mine: tuple[list[list[float]], list[float]] = ([], [])
        for question in rng.choice(40, size=25, replace=False):
            y = float(question % 2)
            stream = list(np.round(rng.uniform(0, 1, rng.integers(1, 6)), 1))  # rounding makes repeats
            times = np.sort(rng.uniform(0, 1e6, len(stream)))
            rows += [(question, forecaster, t, p, y) for t, p in zip(times, stream, strict=True)]
            mine[0].append([float(p) for p in stream])
            mine[1].append(y)
        streams[forecaster] = mine
    shuffled = [rows[i] for i in rng.permutation(len(rows))]
    q, f, t, p, y = (np.array(column) for column in zip(*shuffled, strict=True))
    _, by_forecaster = updating_by_forecaster(q.astype(np.intp), f.astype(np.intp), t, p, y)
    for forecaster, (mine, outcomes) in streams.items():
        expected = _plain_loop(mine, outcomes)
        got: Updating = by_forecaster[forecaster]
        for key, value in expected.items():
            assert getattr(got, key) == (None if value is None else pytest.approx(value)), (forecaster, key)


def _bayesian_streams(rng: np.random.Generator, n: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """n streams of a forecaster who sees four noisy signals of the outcome and moves ``scale`` times
    as far (in log-odds) as Bayes' rule says: 1 is a Bayesian, 2 over-reacts, 0.5 under-reacts."""
    prior = rng.uniform(0.05, 0.95, n)
    outcome = (rng.random(n) < prior).astype(np.float64)
    sigma = 2.0
    signals = rng.normal(np.where(outcome == 1, 1.0, -1.0)[:, None], sigma, (n, 4))
    log_odds = np.log(prior / (1 - prior))[:, None] + scale * np.cumsum(2 * signals / sigma**2, axis=1)
    stream = np.c_[prior, 1 / (1 + np.exp(-log_odds))]
    return stream, outcome


@pytest.mark.parametrize(("scale", "sign"), [(1.0, 0), (2.0, 1), (0.5, -1)])
def test_a_bayesian_has_no_excess_movement_and_over_and_under_reaction_show(scale: float, sign: int) -> None:
    rng = np.random.default_rng(2021)
    stream, outcome = _bayesian_streams(rng, 5_000, scale)
    n, length = stream.shape
    question = np.repeat(np.arange(n), length).astype(np.intp)
    made_at = np.tile(np.arange(length, dtype=np.float64), n)
    overall, _ = updating_by_forecaster(
        question, np.zeros(n * length, dtype=np.intp), made_at, stream.ravel(), np.repeat(outcome, length)
    )
    assert overall.n_questions == 5_000
    assert overall.excess_movement_se is not None
    x, se = overall.excess_movement, overall.excess_movement_se
    if sign == 0:
        assert abs(x) < 3 * se, (x, se)
    else:
        assert sign * x > 3 * se, (x, se)


def test_score_json_reports_updating_overall_and_per_forecaster(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from tracker.cli import cli

    path = tmp_path / "stream.csv"
    path.write_text(
        "question_id,forecaster,made_at,probability,outcome\n"
        "q1,ana,2016-10-01T00:00:00Z,0.5,1\n"
        "q1,ana,2016-10-02T00:00:00Z,0.7,1\n"
        "q1,ana,2016-10-03T00:00:00Z,0.6,1\n"
        "q1,bo,2016-10-01T00:00:00Z,0.2,1\n"
    )
    result = CliRunner().invoke(cli, ["score", str(path), "--json"])
    report = json.loads(result.stdout)
    ana = report["by_forecaster"]["ana"]["updating"]
    assert ana["excess_movement"] == pytest.approx(-0.04)
    assert ana["normalized_excess_movement"] == pytest.approx(-0.16)
    assert ana["excess_movement_se"] is None
    assert report["by_forecaster"]["bo"]["updating"]["magnitude"] is None  # bo never updated
    assert report["updating"]["n_questions"] == 2  # ana's stream and bo's
    lines = CliRunner().invoke(cli, ["score", str(path)]).output.splitlines()
    section = lines[next(i for i, line in enumerate(lines) if line.startswith("how they update")) :]
    assert "-0.040" in next(line for line in section if line.startswith("ana"))
