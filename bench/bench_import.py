"""Importing a million forecasts from our CSV, next to a raw sqlite3 executemany of the same rows.

Run: ``make bench``. Writes a CSV in our export format (10,000 questions, 3
forecasters, 1,000,000 forecasts, 80 % resolved) to /tmp once, then in one process:

- baseline: ``csv.reader`` over the file and ``sqlite3.executemany`` of its
  questions and forecasts into a new database with our schema — no checks, no
  upserts, ids assigned by hand;
- lean baseline: the same with only the four columns that matter (question,
  forecaster, time, probability) into tables with no index or constraint;
- ours: ``read_file`` (every cell checked, every rule of the services) and
  ``import_bundle`` (upserts keyed on stable ids) into another new database, as
  the command does them (the file hashed beside the write, a receipt recorded);
  then the same file again, answered by its receipt as the command is, and once
  more read in full (what a re-import costs when something changed; it must
  change nothing here);
- the whole command, ``python -m tracker import FILE``, twice into a new
  database, each in its own process (start-up included), with its peak RSS.

Targets (issue 13): ours ≤ 1.5x the baseline; importing it again ≤ 0.3x the
first import; the command ≤ 3x the lean baseline; each under 600 MB RSS.
"""

from __future__ import annotations

import csv
import os
import random
import sqlite3
import subprocess
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
            question = {
                "question_uid": f"bench-{q:05d}",
                "question_title": f"Will bench event {q} happen?",
                "question_type": "binary",
                "tags": '["bench"]',
                "question_created_at": stamp(opens),
                "opens_at": stamp(opens),
                "closes_at": stamp(closes),
            }
            if resolved:
                question |= {
                    "resolution_outcome": outcome,
                    "resolved_at": stamp(closes),
                    "resolution_recorded_at": stamp(closes),
                    "resolution_source": "bench",
                }
            span = (closes - opens).total_seconds() * 0.99
            for i in range(per_question):
                made = opens + timedelta(seconds=rng.uniform(0, span), microseconds=i)
                forecaster = FORECASTERS[i % 3]
                forecast = {
                    "forecaster": forecaster,
                    "forecaster_kind": "crowd" if forecaster.startswith("crowd") else "person",
                    "made_at": stamp(made),
                    "probability": repr(round(rng.random(), 2)),
                    "origin": "import",
                    "recorded_at": stamp(made),
                }
                cells = question | forecast  # by name: the export's columns may grow
                writer.writerow([cells.get(name, "") for name in FORECAST_COLUMNS])


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


def lean_baseline(path: Path, database: Path) -> float:
    """Less still: the four columns that matter, into tables without an index or a constraint."""
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE question (id INTEGER, uid TEXT)")
    connection.execute(
        "CREATE TABLE forecast (question_id INTEGER, forecaster_id INTEGER, made_at TEXT, p REAL)"
    )
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        column = {name: i for i, name in enumerate(next(reader))}
        uid, who, made, p = (column[n] for n in ("question_uid", "forecaster", "made_at", "probability"))
        questions: dict[str, int] = {}
        forecasters: dict[str, int] = {}
        rows = [
            (
                questions.setdefault(row[uid], len(questions) + 1),
                forecasters.setdefault(row[who], len(forecasters) + 1),
                row[made],
                float(row[p]),
            )
            for row in reader
        ]
    with connection:
        connection.executemany("INSERT INTO question VALUES (?, ?)", [(i, u) for u, i in questions.items()])
        connection.executemany("INSERT INTO forecast VALUES (?, ?, ?, ?)", rows)
    connection.close()
    return time.perf_counter() - started


def command(path: Path, database: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """``python -m tracker import`` into a new database, then again: (seconds, peak RSS in MB) each."""
    url = new_database(database)
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "tracker", "--db", url, "import", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("python -m tracker import failed")
        runs.append((time.perf_counter() - started, usage.ru_maxrss / 1024))
    return runs[0], runs[1]


def ours(path: Path, database: Path) -> tuple[float, float, float, float, str]:
    """Import into a new database as the command does, then the same file again twice: as the
    command does (its receipt answers) and read in full (which must change nothing)."""
    from db import open_database
    from services.transfer import (
        already_imported,
        import_bundle,
        read_file,
        receipt_meanwhile,
        stored_read_ahead,
    )

    url = new_database(database)
    target = open_database(url, upgrade=False)
    options = ("auto", "", False)
    started = time.perf_counter()
    assert already_imported(target, path, options) is None
    parsed = read_file(path, path.name)
    parsed_at = time.perf_counter()
    with receipt_meanwhile(path, options, parsed) as receipt:
        counts = import_bundle(target, parsed.bundle, receipt_for=receipt)
    finished = time.perf_counter()
    assert not parsed.errors, parsed.errors[:3]
    again = already_imported(target, path, options)
    answered = time.perf_counter() - finished
    assert again is not None
    started_reading = time.perf_counter()
    with stored_read_ahead(target, path) as stored_ahead:  # what a changed file's re-import costs
        read_again = import_bundle(target, read_file(path, path.name).bundle, stored_ahead=stored_ahead)
    read_in_full = time.perf_counter() - started_reading
    assert not read_again.changed
    assert again.counts.summary() == read_again.summary()
    target.dispose()
    return parsed_at - started, finished - parsed_at, answered, read_in_full, counts.summary()


def main() -> None:
    if not CSV_PATH.exists():
        started = time.perf_counter()
        write_csv(CSV_PATH)
        print(
            f"wrote {CSV_PATH} ({CSV_PATH.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
    folder = Path(tempfile.gettempdir())
    # The command first: a child's peak RSS counts the parent's pages it was forked from.
    (first_run, first_rss), (again_run, again_rss) = command(CSV_PATH, folder / "summit-bench-import-cmd.db")
    raw = baseline(CSV_PATH, folder / "summit-bench-import-raw.db")
    lean = lean_baseline(CSV_PATH, folder / "summit-bench-import-lean.db")
    read, write, repeated, read_in_full, summary = ours(CSV_PATH, folder / "summit-bench-import-ours.db")
    print(
        f"{N_FORECASTS:,} forecasts on {N_QUESTIONS:,} questions, "
        f"from {CSV_PATH.stat().st_size / 1e6:.0f} MB of CSV\n"
    )
    total = read + write
    lines = [
        ("raw csv.reader + sqlite3 executemany (baseline)", raw, ""),
        ("lean baseline (4 columns, no index)", lean, ""),
        ("ours: read and check every row", read, ""),
        ("ours: write (upserts, one transaction)", write, ""),
        ("ours: total", total, _against(total / raw, 1.5, "the baseline")),
        (
            "importing it again (its receipt answers)",
            repeated,
            _against(repeated / total, 0.3, "the first"),
        ),
        ("  read in full (changes nothing)", read_in_full, f"{read_in_full / total:.2f}x the first"),
        (
            "python -m tracker import (fresh process)",
            first_run,
            _against(first_run / lean, 3, "the lean one"),
        ),
        (f"  peak RSS {first_rss:.0f} MB", None, _under(first_rss)),
        ("the command again (changes nothing)", again_run, _against(again_run / first_run, 0.3, "its first")),
        (f"  peak RSS {again_rss:.0f} MB", None, _under(again_rss)),
    ]
    rows_read, columns_read = foreign_reading()
    lines += [
        (f"a Fatebook export of {N_FATEBOOK:,} rows, row by row", rows_read, ""),
        ("  the same as columns (read_file)", columns_read, f"{rows_read / columns_read:.1f}x faster"),
    ]
    for label, seconds, verdict in lines:
        shown = f"{seconds:6.1f} s" if seconds is not None else " " * 8
        print(f"{label:50s} {shown}   {verdict}")
    print(f"  {summary}")


FATEBOOK_PATH = Path(tempfile.gettempdir()) / "summit-bench-import-fatebook.csv"
N_FATEBOOK = 200_000


def write_fatebook(path: Path) -> None:
    """Fatebook's export layout: 2,000 yes/no questions, 100 forecasts each, 80 % resolved."""
    from services.transfer.foreign import FATEBOOK_COLUMNS

    rng = random.Random(13)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FATEBOOK_COLUMNS)
        for q in range(N_FATEBOOK // 100):
            created = start + timedelta(days=rng.uniform(0, 2000))
            resolve_by = created + timedelta(days=rng.uniform(30, 400))
            outcome = rng.choice(["YES", "NO"]) if rng.random() < 0.8 else ""
            for i in range(100):
                made = created + timedelta(
                    seconds=rng.uniform(0, (resolve_by - created).total_seconds() * 0.9)
                )
                who = ("Ana", "Bo", "Cy")[i % 3]
                cells = [f"Will bench event {q} happen?", "", who, repr(round(rng.random(), 2))]
                cells += [f"{made:%Y-%m-%d %H:%M:%S}", "Ana", f"{created:%Y-%m-%d %H:%M:%S}"]
                cells += [
                    f"{resolve_by:%Y-%m-%d %H:%M:%S}",
                    outcome,
                    f"{resolve_by:%Y-%m-%d %H:%M:%S}" if outcome else "",
                ]
                writer.writerow([*cells, "", "bench"])


def foreign_reading() -> tuple[float, float]:
    """Reading a Fatebook export row by row and as columns: seconds each."""
    from services.transfer import ForecastColumns, read_file
    from services.transfer.foreign import parse_fatebook
    from services.transfer.reading import csv_table, decode

    if not FATEBOOK_PATH.exists():
        write_fatebook(FATEBOOK_PATH)
    started = time.perf_counter()
    header, rows = csv_table(decode(FATEBOOK_PATH.read_bytes(), FATEBOOK_PATH.name))
    by_rows = parse_fatebook(header, rows)
    middle = time.perf_counter()
    columnar = read_file(FATEBOOK_PATH, FATEBOOK_PATH.name)
    finished = time.perf_counter()
    assert isinstance(columnar.bundle.forecasts, ForecastColumns)  # the columnar path took it
    assert columnar == by_rows
    assert not by_rows.errors
    return middle - started, finished - middle


def _under(megabytes: float) -> str:
    return f"({'met' if megabytes < 600 else 'NOT met'}: under 600 MB)"


def _against(ratio: float, target: float, what: str) -> str:
    return f"{ratio:.2f}x {what} ({'met' if ratio <= target else 'NOT met'}: target {target}x)"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
