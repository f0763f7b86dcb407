"""Server-side run time of every dashboard page (AppTest) on a big database.

Run: ``make bench``. Builds a SQLite file with 1,000,000 forecasts on 10,000
questions and 100,000 events (once; kept in /tmp between runs), then times
each page's first run (cold caches) and second run (warm), next to an empty
page in the same process, with the scores kept current as the worker keeps
them; then the two score pages again right after a new forecast, before the
worker has rescored. Target (issue 5): under 1.5 s for every page; (issue 13) the Calibration page
right after a new forecast with no worker under 1.5 s too, and the worker's
rescore after one change under 0.5 s.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import text

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from db import Database

N_QUESTIONS = 10_000
N_FORECASTS = 1_000_000
N_EVENTS = 100_000
DB = Path(tempfile.gettempdir()) / "summit-bench-pages.db"
ROOT = Path(__file__).resolve().parent.parent
FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def build(path: Path) -> None:
    from db import open_database

    open_database(f"sqlite:///{path}").dispose()  # schema via the migrations
    rng = np.random.default_rng(1)
    start = datetime(2016, 1, 1)
    stamp = lambda days: (start + timedelta(days=float(days))).strftime(FORMAT)  # noqa: E731
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT INTO forecaster (id, name, kind, description, created_at) VALUES (?, ?, ?, '', ?)",
            [
                (1, "analyst", "person", stamp(0)),
                (2, "pundit", "person", stamp(0)),
                (3, "crowd:manifold", "crowd", stamp(0)),
            ],
        )
        opens = rng.uniform(0, 2000, N_QUESTIONS)
        closes = opens + rng.uniform(30, 400, N_QUESTIONS)
        connection.executemany(
            "INSERT INTO question (id, uid, title, description, resolution_criteria, type, options, created_at, updated_at, opens_at, closes_at, resolve_by)"
            " VALUES (?, ?, ?, '', '', 'binary', NULL, ?, ?, ?, ?, ?)",
            [
                (
                    i + 1,
                    f"bench-{i}",
                    f"Bench question {i}?",
                    stamp(o),
                    stamp(o),
                    stamp(o),
                    stamp(c),
                    stamp(c),
                )
                for i, (o, c) in enumerate(zip(opens, closes, strict=False))
            ],
        )
        truth = rng.uniform(0, 1, N_QUESTIONS)
        resolved = rng.uniform(0, 1, N_QUESTIONS) < 0.8
        connection.executemany(
            "INSERT INTO resolution (question_id, outcome, option, resolved_at, recorded_at, note, source) VALUES (?, ?, NULL, ?, ?, '', 'bench')",
            [
                (int(i) + 1, "yes" if rng.uniform() < truth[i] else "no", stamp(closes[i]), stamp(closes[i]))
                for i in np.flatnonzero(resolved)
            ],
        )
        question = rng.integers(0, N_QUESTIONS, N_FORECASTS)
        made = opens[question] + rng.uniform(0, 1, N_FORECASTS) * (closes[question] - opens[question]) * 0.99
        p = np.clip(np.round(truth[question] + rng.normal(0, 0.15, N_FORECASTS), 2), 0, 1)
        forecaster = rng.integers(1, 4, N_FORECASTS)
        connection.executemany(
            "INSERT OR IGNORE INTO forecast (question_id, forecaster_id, made_at, probability, option_probabilities, rationale, origin, recorded_at)"
            " VALUES (?, ?, ?, ?, NULL, '', 'import', ?)",
            (
                (int(q) + 1, int(f), stamp(m), float(v), stamp(m))
                for q, f, m, v in zip(question, forecaster, made, p, strict=False)
            ),
        )
        connection.execute(
            "INSERT INTO source (id, name, kind, settings, enabled, created_at, updated_at) VALUES (1, 'bench-feed', 'rss', '{}', 0, ?, ?)",
            (stamp(0), stamp(0)),
        )
        days = rng.uniform(0, 2400, N_EVENTS)
        connection.executemany(
            "INSERT INTO event (source_id, dedupe_key, occurred_at, title, summary, url, content_hash, occurred_at_estimated, created_at, updated_at)"
            " VALUES (1, ?, ?, ?, '', NULL, NULL, 0, ?, ?)",
            ((f"e{i}", stamp(d), f"Bench event {i}", stamp(d), stamp(d)) for i, d in enumerate(days)),
        )
        connection.execute(
            "INSERT INTO app_setting (key, value, updated_at) VALUES ('first_open_done', 'bench', ?)",
            (stamp(0),),
        )
    connection.close()


def time_pages(app: AppTest, pages: tuple[str, ...]) -> None:
    for page in pages:
        timings = []
        for _ in range(2):
            app.switch_page(f"dashboard/{page}_page.py")
            started = time.perf_counter()
            app.run()
            timings.append(time.perf_counter() - started)
        problems = f"  EXCEPTION: {app.exception[0].value}" if app.exception else ""
        verdict = "ok" if max(timings) < 1.5 else "over"
        print(f"{page:<24} {timings[0]:7.2f}s {timings[1]:7.2f}s   {verdict}{problems}")


def rescore_after_one_change(database: Database) -> None:
    """The worker's rescore after one new forecast on a resolved question (target 0.5 s), next to
    the full rescore (every question from scratch) in the same run."""
    from services.score_report import _rescore_and_keep

    with database.write_session() as session:
        session.execute(text("DELETE FROM score_state"))  # the next rescore starts from scratch
    started = time.perf_counter()
    _rescore_and_keep(database)
    full = time.perf_counter() - started
    timings = []
    for n in range(3):
        with database.write_session() as session:
            session.execute(
                text(
                    "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, rationale, origin, "
                    "recorded_at) SELECT q.id, 2, q.opens_at, 0.3, 'bench-change', 'manual', q.opens_at "
                    "FROM question q JOIN resolution r ON r.question_id = q.id ORDER BY q.id LIMIT 1 OFFSET :n"
                ),
                {"n": n},
            )
        started = time.perf_counter()
        _rescore_and_keep(database)
        timings.append(time.perf_counter() - started)
    verdict = "ok" if max(timings) <= 0.5 else "over"
    print(
        f"the worker's rescore after one new forecast on a resolved question: {max(timings):.2f} s "
        f"(worst of 3; from scratch {full:.2f} s, {max(timings) / full:.2f}x)   target 0.5 s: {verdict}"
    )


def main() -> None:
    if not DB.exists():
        started = time.perf_counter()
        build(DB)
        print(f"built {DB} in {time.perf_counter() - started:.0f} s")
    url = f"sqlite:///{DB}"
    os.environ["TRACKER_DATABASE_URL"] = url
    from streamlit.testing.v1 import AppTest

    from db import open_database
    from services.score_report import refresh_stored_report

    database = open_database(url)  # brings an older bench file up to the current schema
    with database.write_session() as session:
        session.execute(text("DELETE FROM score_snapshot"))
    started = time.perf_counter()
    refresh_stored_report(database)
    rescoring = time.perf_counter() - started

    empty = AppTest.from_string("import streamlit as st\nst.title('empty')", default_timeout=600)
    started = time.perf_counter()
    empty.run()
    baseline = time.perf_counter() - started
    print(
        f"{N_FORECASTS:,} forecasts, {N_QUESTIONS:,} questions, {N_EVENTS:,} events; "
        f"empty page {baseline:.3f} s; the worker's rescoring (in the background) {rescoring:.2f} s\n"
    )
    print(f"{'page':<24} {'cold':>8} {'warm':>8}   target 1.5 s")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    started = time.perf_counter()
    app.run()  # the first open: engine, schema check, and the default page (Overview)
    print(f"{'first open (Overview)':<24} {time.perf_counter() - started:7.2f}s")
    time_pages(app, ("overview", "timeline", "questions", "add_forecast", "calibration", "sources", "data"))

    # A new forecast makes the kept scores stale until the worker rescores (within 30 s).
    with database.write_session() as session:
        session.execute(
            text(
                "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, rationale, origin, "
                "recorded_at) SELECT id, 1, opens_at, 0.5, 'bench-change', 'manual', opens_at FROM question WHERE id = 1"
            )
        )
    print("\nright after a new forecast, before the worker has rescored; no worker running:")
    time_pages(app, ("overview", "calibration"))
    rescore_after_one_change(database)
    with database.write_session() as session:  # a second change, now with the worker's heartbeat fresh
        session.execute(text("UPDATE forecast SET probability = 0.6 WHERE rationale = 'bench-change'"))
        session.execute(text("DELETE FROM heartbeat"))
        session.execute(
            text(
                "INSERT INTO heartbeat (worker, pid, hostname, started_at, beat_at, state) "
                "VALUES ('scheduler', 0, 'bench', :now, :now, 'running')"
            ),
            {"now": datetime.now(UTC).replace(tzinfo=None)},
        )
        session.execute(
            text(
                "INSERT INTO resolution (question_id, outcome, resolved_at, recorded_at, note, source) SELECT question_id, 'no', recorded_at, recorded_at, 'bench-change', 'bench' FROM forecast WHERE rationale = 'bench-change'"
            )
        )
    print("the same, with the worker up (it rescores in the background; the page shows the kept scores):")
    time_pages(app, ("overview", "calibration"))
    with database.write_session() as session:  # leave the bench file as it was
        session.execute(text("DELETE FROM forecast WHERE rationale = 'bench-change'"))
        session.execute(text("DELETE FROM resolution WHERE note = 'bench-change'"))
        session.execute(text("DELETE FROM heartbeat"))
    database.dispose()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
