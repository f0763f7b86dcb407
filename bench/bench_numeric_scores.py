"""Numeric scorecard speed on 100,000 quantile forecasts: 2,000 resolved questions × 10
forecasters × 5 forecasts each, in a SQLite file.

Run: ``PYTHONPATH=. .venv/bin/python bench/bench_numeric_scores.py``. The baseline, run in the
same process on the same file, is the bare read of the rows the report scores (one query,
nothing decoded into arrays); the line printed is numeric_report's time and its ratio to that
read. The data goes in through the import path (a Bundle), as an export of this size would.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from db import open_database
from services.numeric_scores import _rows, numeric_report
from services.score_report import ReportFilters
from services.transfer import Bundle, import_bundle
from services.transfer.records import ForecasterRecord, ForecastRecord, QuestionRecord, ResolutionRecord

N_QUESTIONS, N_FORECASTERS, PER_FORECASTER = 2_000, 10, 5
LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
START = datetime(2016, 1, 1, tzinfo=UTC)
REPEATS = 3


def best_of(function: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def synthetic(rng: np.random.Generator) -> Bundle:
    bundle = Bundle()
    names = [f"forecaster-{i}" for i in range(N_FORECASTERS)]
    bundle.forecasters = [ForecasterRecord(name, "person", "", START) for name in names]
    spread = np.array([-1.645, -0.674, 0.0, 0.674, 1.645])
    for q in range(N_QUESTIONS):
        uid = f"n{q}"
        bundle.questions.append(
            QuestionRecord(
                uid,
                f"Number {q}",
                "",
                "",
                "numeric",
                None,
                (),
                START,
                START,
                START + timedelta(days=300),
                None,
                unit="USD",
                range_lower=0.0,
                range_upper=100.0,
                lower_open=True,
                upper_open=True,
            )
        )
        truth = float(rng.uniform(20, 80))
        bundle.resolutions.append(
            ResolutionRecord(
                uid,
                "value",
                None,
                START + timedelta(days=300),
                START + timedelta(days=300),
                "",
                "demo",
                truth,
            )
        )
        for name in names:
            for k in range(PER_FORECASTER):
                centre, width = truth + rng.normal(0, 8), float(rng.uniform(2, 10))
                values = np.round(centre + width * spread, 2)
                bundle.forecasts.append(
                    ForecastRecord(
                        uid,
                        name,
                        START + timedelta(days=10 + 50 * k, seconds=q),
                        None,
                        None,
                        "",
                        "import",
                        START + timedelta(days=10 + 50 * k, seconds=q),
                        quantiles=tuple(zip(LEVELS, values.tolist(), strict=True)),
                    )
                )
    return bundle


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = open_database(f"sqlite:///{Path(folder) / 'numbers.db'}")
        started = time.perf_counter()
        import_bundle(database, synthetic(np.random.default_rng(16)))
        print(
            f"stored {N_QUESTIONS * N_FORECASTERS * PER_FORECASTER:,} forecasts in "
            f"{time.perf_counter() - started:.1f} s"
        )

        def bare_read() -> object:
            with database.read_session() as session:
                return _rows(session, ReportFilters())

        read = best_of(bare_read)
        report = best_of(lambda: numeric_report(database))
        print(f"bare read of the rows (baseline)   {read:6.2f} s")
        print(f"numeric_report (cards and table)   {report:6.2f} s   {report / read:4.2f}x the read")
        database.dispose()


if __name__ == "__main__":
    main()
