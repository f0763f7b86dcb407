"""Importing a million forecasts from our CSV, next to a raw sqlite3 executemany of the same rows.

Run: ``make bench``. Writes a CSV in our export format (10,000 questions, 3
forecasters, 1,000,000 forecasts, 80 % resolved) to /tmp once, then in one process:

- baseline: ``csv.reader`` over the file and ``sqlite3.executemany`` of its
  questions and forecasts into a new database with our schema — no checks, no
  upserts, ids assigned by hand;
- ours: ``read_file`` (every cell checked, every rule of the services) and
  ``import_bundle`` (upserts keyed on stable ids) into another new database.

Target (issue 6): ours within 3x of the baseline.
"""

from __future__ import annotations

import csv
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

N_QUESTIONS = 10_000
N_FORECASTS = 1_000_000
FORECASTERS = ("analyst", "pundit", "crowd:manifold")
ROOT = Path(__file__).resolve().parent.parent
CSV_PATH = Path(tempfile.gettempdir()) / "summit-bench-import.csv"


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_csv(path: Path) -> None:
    from services.transfer.export import FORECAST_COLUMNS

    rng = random.Random(6)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    per_question = N_FORECASTS // N_QUESTIONS
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FORECAST_COLUMNS)
        for q in range(N_QUESTIONS):
            opens = start + timedelta(days=rng.uniform(0, 2000))
            closes = opens + timedelta(days=rng.uniform(30, 400))
            resolved = rng.random() < 0.8
            outcome = rng.choice(["yes", "no"]) if resolved else ""
            question = [f"bench-{q:05d}", f"Will bench event {q} happen?", "", "", "binary", "", '["bench"]']
            question += [stamp(opens), stamp(opens), stamp(closes), "", ""]  # ..., resolve_by, watch_rule
            resolution = [outcome, "", stamp(closes), stamp(closes), "", "bench"] if resolved else [""] * 6
            span = (closes - opens).total_seconds() * 0.99
            for i in range(per_question):
                made = opens + timedelta(seconds=rng.uniform(0, span), microseconds=i)
                forecaster = FORECASTERS[i % 3]
                kind = "crowd" if forecaster.startswith("crowd") else "person"
                p = repr(round(rng.random(), 2))
                forecast = [forecaster, kind, stamp(made), p, "", "", "", "import", stamp(made)]
                writer.writerow(question + forecast + resolution)


def new_database(path: Path) -> str:
    from db import open_database

    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    open_database(url).dispose()
    return url


def baseline(path: Path, database: Path) -> float:
    """The least an importer can do: parse the CSV and executemany the rows."""
    new_database(database)
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        column = {name: i for i, name in enumerate(header)}
        questions: dict[str, int] = {}
        forecasters = {name: i + 1 for i, name in enumerate(FORECASTERS)}
        question_rows, forecast_rows = [], []
        for row in reader:
            uid = row[column["question_uid"]]
            if uid not in questions:
                questions[uid] = len(questions) + 1
                question_rows.append(
                    (
                        questions[uid],
                        uid,
                        row[column["question_title"]],
                        row[column["opens_at"]],
                        row[column["closes_at"]],
                    )
                )
            forecast_rows.append(
                (
                    questions[uid],
                    forecasters[row[column["forecaster"]]],
                    row[column["made_at"]],
                    float(row[column["probability"]]),
                    row[column["recorded_at"]],
                )
            )
    with connection:
        connection.executemany(
            "INSERT INTO forecaster (id, name, kind, description, created_at)"
            " VALUES (?, ?, 'person', '', '2016-01-01')",
            [(i, name) for name, i in forecasters.items()],
        )
        connection.executemany(
            "INSERT INTO question (id, uid, title, description, resolution_criteria, type, created_at,"
            " updated_at, opens_at, closes_at) VALUES (?, ?, ?, '', '', 'binary', ?4, ?4, ?4, ?5)",
            question_rows,
        )
        connection.executemany(
            "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, rationale, origin,"
            " recorded_at) VALUES (?, ?, ?, ?, '', 'import', ?)",
            forecast_rows,
        )
    connection.close()
    return time.perf_counter() - started


def ours(path: Path, database: Path) -> tuple[float, float, float, str]:
    """Import into a new database, then import the same file again (which must change nothing)."""
    from db import open_database
    from services.transfer import import_bundle, read_file

    url = new_database(database)
    target = open_database(url, upgrade=False)
    started = time.perf_counter()
    parsed = read_file(path.read_bytes(), path.name)
    parsed_at = time.perf_counter()
    counts = import_bundle(target, parsed.bundle)
    finished = time.perf_counter()
    assert not parsed.errors, parsed.errors[:3]
    again = import_bundle(target, read_file(path.read_bytes(), path.name).bundle)
    repeated = time.perf_counter() - finished
    assert not again.changed
    target.dispose()
    return parsed_at - started, finished - parsed_at, repeated, counts.summary()


def main() -> None:
    if not CSV_PATH.exists():
        started = time.perf_counter()
        write_csv(CSV_PATH)
        print(
            f"wrote {CSV_PATH} ({CSV_PATH.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
    folder = Path(tempfile.gettempdir())
    raw = baseline(CSV_PATH, folder / "summit-bench-import-raw.db")
    read, write, repeated, summary = ours(CSV_PATH, folder / "summit-bench-import-ours.db")
    print(
        f"{N_FORECASTS:,} forecasts on {N_QUESTIONS:,} questions, "
        f"from {CSV_PATH.stat().st_size / 1e6:.0f} MB of CSV\n"
    )
    print(f"raw csv.reader + sqlite3 executemany (baseline)   {raw:6.1f} s")
    print(f"ours: read and check every row                   {read:6.1f} s")
    print(f"ours: write (upserts, one transaction)           {write:6.1f} s")
    total = read + write
    ratio = f"{total / raw:.2f}x the baseline (target 3x)"
    print(f"ours: total                                       {total:6.1f} s   {ratio}")
    print(f"  {summary}")
    print(f"importing the same file again (changes nothing)  {repeated:6.1f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
