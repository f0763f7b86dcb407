"""Scoring speed and memory on 1,000,000 synthetic forecasts over 10,000 questions.

Run: ``.venv/bin/python bench/bench_scoring.py`` (after ``make test`` installed the
dev dependencies). Each line times our function and, in the same process on the
same arrays, a bare numpy pass doing the same arithmetic and scikit-learn's
equivalent; it prints the best of several repeats and the ratios. Targets
(issue 3): within 2x of bare numpy, no slower than sklearn, peak under 500 MB.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from scipy.optimize import isotonic_regression

from forecasts.scoring.calibration import reliability_bins
from forecasts.scoring.decomposition import corp_brier
from forecasts.scoring.rules import LOG_CLAMP, brier_01, log_loss
from forecasts.scoring.samples import pair_order
from forecasts.scoring.scorecard import ForecastTable, score_forecasts
from forecasts.scoring.updating import updating_by_forecaster

N_FORECASTS = 1_000_000
N_QUESTIONS = 10_000
REPEATS = 5


def best_of(function: Callable[[], object], repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def synthetic(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    question = rng.integers(0, N_QUESTIONS, N_FORECASTS)
    truth = rng.uniform(0, 1, N_QUESTIONS)
    outcome = (rng.uniform(0, 1, N_QUESTIONS) < truth).astype(np.float64)[question]
    # People state probabilities to the percent, or a tenth of one at most.
    p = np.clip(np.round(truth[question] + rng.normal(0, 0.15, N_FORECASTS), 3), 0, 1)
    return question, p, outcome


def bare_bins(p: np.ndarray, y: np.ndarray) -> object:
    # Ten float-edged bins: the quick way, and the one that misfiles values like 0.29 (see calibration.py).
    index = np.minimum((p * 10).astype(np.intp), 9)
    return np.bincount(index, minlength=10), np.bincount(index, weights=p), np.bincount(index, weights=y)


def bare_corp(p: np.ndarray, y: np.ndarray) -> float:
    _, inverse = np.unique(p, return_inverse=True)
    weight = np.bincount(inverse)
    fitted = isotonic_regression(np.bincount(inverse, weights=y) / weight, weights=weight).x[inverse]
    return float(np.mean((p - y) ** 2) - np.mean((fitted - y) ** 2))


def sklearn_corp(p: np.ndarray, y: np.ndarray) -> float:
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import brier_score_loss

    fitted = IsotonicRegression(y_min=0, y_max=1).fit(p, y).predict(p)
    return float(brier_score_loss(y, p) - brier_score_loss(y, fitted))


def row(name: str, ours: float, bare: float, sklearn: float) -> None:
    print(
        f"{name:<22} ours {ours * 1000:8.1f} ms   numpy {bare * 1000:8.1f} ms  ours/numpy {ours / bare:5.2f}x"
        f"   sklearn {sklearn * 1000:8.1f} ms  ours/sklearn {ours / sklearn:5.2f}x"
    )


def main() -> None:
    # sklearn is imported here, not at the top, so the scorecard's own process stays lean.
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss
    from sklearn.metrics import log_loss as sklearn_log_loss

    rng = np.random.default_rng(20161215)
    _, p, y = synthetic(rng)
    low, high = LOG_CLAMP
    print(f"{N_FORECASTS:,} forecasts over {N_QUESTIONS:,} questions; numpy {np.__version__}; ", end="")
    print(f"best of {REPEATS} runs\n")

    row(
        "Brier (0-1)",
        best_of(lambda: brier_01(p, y).mean()),
        best_of(lambda: np.mean((p - y) ** 2)),
        best_of(lambda: brier_score_loss(y, p)),
    )
    row(
        "log (clamped)",
        best_of(lambda: log_loss(p, y).mean()),
        best_of(lambda: -np.mean(np.log(np.where(y == 1, np.clip(p, low, high), 1 - np.clip(p, low, high))))),
        best_of(lambda: sklearn_log_loss(y, p)),
    )
    row(
        "binned calibration",
        best_of(lambda: reliability_bins(p, y)),
        best_of(lambda: bare_bins(p, y)),
        best_of(lambda: calibration_curve(y, p, n_bins=10)),
    )
    row(
        "CORP (Brier)",
        best_of(lambda: corp_brier(p, y), 3),
        best_of(lambda: bare_corp(p, y), 3),
        best_of(lambda: sklearn_corp(p, y), 3),
    )
    continuous = rng.uniform(0, 1, N_FORECASTS)
    row(
        "CORP, 1M distinct p",
        best_of(lambda: corp_brier(continuous, y), 3),
        best_of(lambda: bare_corp(continuous, y), 3),
        best_of(lambda: sklearn_corp(continuous, y), 3),
    )

    # Our whole scorecard, alone in a fresh process so its memory is its own.
    child = subprocess.run(
        [sys.executable, __file__, "--scorecard"], capture_output=True, text=True, check=True
    )
    print(child.stdout, end="")


def scorecard_only() -> None:
    rng = np.random.default_rng(20161215)
    question, p, y = synthetic(rng)
    opens = np.zeros(N_FORECASTS)
    table = ForecastTable(
        question=question.astype("U6"),
        forecaster=np.array(["analyst", "pundit", "crowd"])[rng.integers(0, 3, N_FORECASTS)],
        made_at=rng.uniform(0, 80 * 86_400, N_FORECASTS),
        probability=p,
        outcome=y,
        opens_at=opens,
        closes_at=opens + 90 * 86_400,
        resolved_at=opens + 90 * 86_400,
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    elapsed = best_of(lambda: score_forecasts(table), 1)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()  # a second run: tracing slows allocation, so it is not the timed one
    score_forecasts(table)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    codes = (table.question_codes, table.forecaster_codes, table.made_at, table.probability, table.outcome)
    alone = best_of(lambda: updating_by_forecaster(*codes), 3)
    ordered = pair_order(table.question_codes, table.forecaster_codes, table.made_at)
    inside = best_of(lambda: updating_by_forecaster(*codes, ordered), 3)  # the sort is the scorecard's
    print(
        f"\nhow each forecaster updates (frequency … excess movement, update gain; overall and for each of "
        f"3 forecasters): {inside:.2f} s inside the scorecard, which shares its sort, = "
        f"{inside / elapsed:.1%} of it (target: under 15 %); {alone:.2f} s on its own, sort included"
    )
    print(
        "\nfull scorecard (calibration samples, every score and decomposition, updating, overall and for "
        f"each of 3 forecasters, time averages on {N_QUESTIONS:,} questions): {elapsed:.1f} s "
        "(target: under 2 s)\n"
        f"memory: peak allocated while scoring {peak / 2**20:.0f} MB; process max RSS {max_rss:.0f} MB "
        f"({rss_before:.0f} MB was reached building the synthetic table, before scoring)"
    )


if __name__ == "__main__":
    scorecard_only() if "--scorecard" in sys.argv else main()
