"""Importing a file again that nothing has changed since is not read again: it says so, at once, and
reports what reading it would have reported. Anything that changes what it touches makes it read.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from db.changes import TRACKED_TABLES, sqlite_triggers
from db.models import Base
from services import transfer
from tracker.cli import cli

DATA = Path(__file__).parent / "data" / "imports"
NOT_READ = "was not read again"
# Tables an import neither reads nor writes, so a change to them cannot change what it does.
UNTRACKED = {
    "app_setting",
    "change_counter",
    "command",
    "heartbeat",
    "import_receipt",
    "job_run",
    "reminder",
    "resolution_proposal",
    "score_mark",
    "score_piece",
    "score_snapshot",
    "score_state",
    "worker_lease",
}


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args])


def imported(url: str, path: Path, *options: str) -> Result:
    result = run(url, "import", str(path), *options)
    assert result.exit_code in (0, 3), result.output
    return result


def summary(result: Result) -> str:
    (line,) = [line for line in result.output.splitlines() if line.startswith(("Imported:", "Would import:"))]
    return line


def changes_nothing(line: str) -> bool:
    counted = re.findall(r"(\d+) new, (\d+) updated, (\d+) unchanged", line)
    return bool(counted) and all(new == updated == "0" and int(same) > 0 for new, updated, same in counted)


@pytest.fixture
def exported(sqlite_url: str, tmp_path: Path) -> dict[str, Path]:
    """The demo exported as our CSV, its events CSV and our JSON: real files of every kind we write."""
    assert run(sqlite_url, "demo").exit_code == 0
    assert run(sqlite_url, "export", "--out", str(tmp_path / "demo.csv")).exit_code == 0
    assert run(sqlite_url, "export", "--out", str(tmp_path / "demo.json")).exit_code == 0
    return {name: tmp_path / name for name in ("demo.csv", "demo.events.csv", "demo.json")}


def test_every_table_is_tracked_or_known_not_to_matter() -> None:
    tables = set(Base.metadata.tables)
    assert set(TRACKED_TABLES) | UNTRACKED == tables, "say whether an import reads the new table"
    assert not set(TRACKED_TABLES) & UNTRACKED


def test_a_migrated_file_has_exactly_the_triggers_that_count_changes(sqlite_url: str) -> None:
    assert run(sqlite_url, "init").exit_code == 0
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    stored = dict(
        connection.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'change_counter_%'")
    )
    connection.close()
    assert stored == dict(sqlite_triggers())  # a batch migration that drops one fails here


@pytest.mark.parametrize(
    "name",
    [
        "fatebook.csv",
        "fatebook_export_2024.csv",
        "generic_decimal.csv",
        "predictionbook_my_predictions.json",
    ],
)
def test_a_foreign_file_imported_again_reports_what_reading_it_would(
    name: str, sqlite_url: str, tmp_path: Path
) -> None:
    options = (
        ("--format", "csv", "--map", "title=question,probability=p,made_at=when") if "generic" in name else ()
    )
    first = imported(sqlite_url, DATA / name, *options)
    reread_url = sqlite_url.replace(".db", "-copy.db")
    shutil.copyfile(sqlite_url.removeprefix("sqlite:///"), reread_url.removeprefix("sqlite:///"))
    again = imported(sqlite_url, DATA / name, *options)
    assert NOT_READ in again.output
    assert changes_nothing(summary(again))
    assert summary(again) == _summary_when_read(reread_url, DATA / name, name, options)
    assert first.exit_code == again.exit_code == 0


def _summary_when_read(url: str, path: Path, name: str, options: tuple[str, ...]) -> str:
    """The same import through the services, with no receipt consulted: the file read in full."""
    from db import open_database

    database = open_database(url)
    try:
        fmt = "csv" if options else "auto"
        mapping = options[-1] if options else ""
        parsed = transfer.read_file(path, name, fmt, mapping)
        return "Imported: " + transfer.import_bundle(database, parsed.bundle).summary() + "."
    finally:
        database.dispose()


def test_our_own_exports_imported_again_are_not_read(exported: dict[str, Path], tmp_path: Path) -> None:
    """Each import changes what the ones before it touch (events join questions), so the second round
    reads each file but the last and finds it unchanged; after that round, none is read."""
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    for path in exported.values():
        assert NOT_READ not in imported(url, path).output
    second_round = [imported(url, path) for path in exported.values()]
    assert [NOT_READ in result.output for result in second_round] == [False, False, True]
    for path in exported.values():
        again = imported(url, path)
        assert NOT_READ in again.output, (path.name, again.output)
        assert changes_nothing(summary(again))


def test_the_notes_on_how_a_file_was_read_are_said_again(sqlite_url: str) -> None:
    first = imported(sqlite_url, DATA / "predictionbook_my_predictions.json")
    again = imported(sqlite_url, DATA / "predictionbook_my_predictions.json")
    notes = [line for line in first.output.splitlines() if line.startswith("  note: ")]
    assert notes
    assert notes == [line for line in again.output.splitlines() if line.startswith("  note: ")]
    assert NOT_READ in again.output


def test_a_dry_run_after_an_import_says_nothing_would_change(sqlite_url: str) -> None:
    first = summary(imported(sqlite_url, DATA / "fatebook.csv"))
    again = imported(sqlite_url, DATA / "fatebook.csv", "--dry-run")
    assert NOT_READ in again.output
    totals = re.findall(r"(\w+): (\d+) new, 0 updated, 0 unchanged", first)
    assert (
        summary(again)
        == "Would import: "
        + "; ".join(f"{kind}: 0 new, 0 updated, {n} unchanged" for kind, n in totals)
        + "."
    )
    assert "Dry run: nothing was written." in again.output


def test_a_dry_run_leaves_no_receipt(sqlite_url: str) -> None:
    imported(sqlite_url, DATA / "fatebook.csv", "--dry-run")
    assert NOT_READ not in imported(sqlite_url, DATA / "fatebook.csv").output


def test_a_file_with_skipped_rows_is_read_every_time(sqlite_url: str) -> None:
    """Its skipped rows are reported again each time, so it is never taken as already imported."""
    first = imported(sqlite_url, DATA / "fatebook_broken.csv")
    again = imported(sqlite_url, DATA / "fatebook_broken.csv")
    assert first.exit_code == again.exit_code == 3
    assert NOT_READ not in again.output
    assert "skipped line 3" in again.output


def test_one_changed_byte_or_another_option_reads_the_file(sqlite_url: str, tmp_path: Path) -> None:
    imported(sqlite_url, DATA / "fatebook.csv")
    assert NOT_READ not in imported(sqlite_url, DATA / "fatebook.csv", "--format", "fatebook").output
    changed = tmp_path / "fatebook.csv"
    changed.write_bytes(DATA.joinpath("fatebook.csv").read_bytes() + b"\n")
    assert NOT_READ not in imported(sqlite_url, changed).output
    assert NOT_READ in imported(sqlite_url, changed).output


def test_a_file_of_the_same_size_with_other_bytes_is_read(sqlite_url: str, tmp_path: Path) -> None:
    """Receipts are looked up by size before a file is hashed; the size alone never decides."""
    original = DATA.joinpath("fatebook.csv").read_bytes()
    imported(sqlite_url, DATA / "fatebook.csv")
    same_size = tmp_path / "fatebook.csv"
    same_size.write_bytes(original[:-1] + (b"x" if original.endswith(b" ") else b" "))
    assert NOT_READ not in imported(sqlite_url, same_size).output


# Each change, made by any writer, to something an import reads: the next re-import reads its file.
# The last yes/no forecast: a probability, so every change below keeps the CHECKs.
LAST_FORECAST = "(SELECT max(id) FROM forecast WHERE probability IS NOT NULL)"
RAW_CHANGES = {
    "a forecast's probability": f"UPDATE forecast SET probability = 0.5 WHERE id = {LAST_FORECAST}",
    "a forecast deleted": f"DELETE FROM forecast WHERE id = {LAST_FORECAST}",
    "a forecast added": "INSERT INTO forecast (question_id, forecaster_id, made_at, probability, rationale, "
    "origin, recorded_at) SELECT question_id, forecaster_id, '2016-12-01 00:00:00.000001', 0.3, '', "
    f"'import', recorded_at FROM forecast WHERE id = {LAST_FORECAST}",
    # The same number of rows and the same highest id: only the delete's count shows it.
    "a forecast replaced under its id": "CREATE TEMP TABLE last AS SELECT * FROM forecast WHERE id = "
    f"{LAST_FORECAST}; DELETE FROM forecast WHERE id = (SELECT id FROM last); INSERT INTO forecast "
    "SELECT * FROM last; DROP TABLE last",
    "a question's title": "UPDATE question SET title = 'edited in a sqlite3 shell' WHERE id = 1",
    "a tag removed": "DELETE FROM question_tag WHERE rowid = (SELECT min(rowid) FROM question_tag)",
    "a tag added": "INSERT INTO question_tag (question_id, tag) VALUES (1, 'added-in-a-shell')",
    "a forecaster renamed": "UPDATE forecaster SET name = 'someone else' WHERE id = 1",
    "a resolution deleted": "DELETE FROM resolution WHERE id = (SELECT max(id) FROM resolution)",
    "an event's title": "UPDATE event SET title = 'rewritten' WHERE id = (SELECT min(id) FROM event)",
    "an event unlinked": "DELETE FROM event_question WHERE rowid = (SELECT min(rowid) FROM event_question)",
    "a source renamed": "UPDATE source SET name = 'renamed' WHERE id = (SELECT min(id) FROM source)",
}


@pytest.mark.parametrize("change", sorted(RAW_CHANGES))
def test_any_writer_changing_what_an_import_reads_makes_it_read(
    change: str, exported: dict[str, Path], sqlite_url: str
) -> None:
    demo = exported["demo.json"]  # questions, forecasts, resolutions, sources and events in one file
    imported(sqlite_url, demo)
    assert NOT_READ in imported(sqlite_url, demo).output
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    before = connection.total_changes
    connection.executescript(RAW_CHANGES[change])
    assert connection.total_changes > before, "the change must change something"
    connection.close()
    again = imported(sqlite_url, demo)
    assert NOT_READ not in again.output
    assert NOT_READ in imported(sqlite_url, demo).output  # read once, it is known again


@pytest.mark.parametrize(
    "command",
    [
        ("forecast", "OPEN", "0.35", "--by", "ana"),
        ("questions", "edit", "OPEN", "--title", "Renamed in the CLI"),
        ("resolve", "OPEN", "no"),
        ("unresolve", "2"),
        ("questions", "add", "Will the worker be polled?"),
    ],
)
def test_our_own_commands_changing_the_database_make_it_read(
    command: tuple[str, ...], sqlite_url: str
) -> None:
    added = run(sqlite_url, "questions", "add", "Will Abe visit Nagato?", "--closes", "2030-01-01")
    assert added.exit_code == 0, added.output
    imported(sqlite_url, DATA / "fatebook.csv")
    assert NOT_READ in imported(sqlite_url, DATA / "fatebook.csv").output
    (open_id,) = re.findall(r"#?(\d+)", added.output)[:1]
    done = run(sqlite_url, *(open_id if word == "OPEN" else word for word in command))
    assert done.exit_code == 0, done.output
    assert NOT_READ not in imported(sqlite_url, DATA / "fatebook.csv").output


def test_polling_a_source_does_not_count_as_a_change(sqlite_url: str) -> None:
    """The worker writes a source's conditional-GET state every few minutes; an import only reads names."""
    added = run(
        sqlite_url,
        "sources",
        "add",
        "nhk",
        "--kind",
        "rss",
        "--url",
        "https://www3.nhk.or.jp/rss/news/cat0.xml",
    )
    assert added.exit_code == 0, added.output
    imported(sqlite_url, DATA / "fatebook.csv")
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    with connection:
        connection.execute("UPDATE source SET etag = '\"abc\"', body_hash = 'f00'")
    connection.close()
    assert NOT_READ in imported(sqlite_url, DATA / "fatebook.csv").output


def test_only_the_latest_receipts_are_kept(sqlite_url: str, tmp_path: Path) -> None:
    from db.changes import RECEIPTS_KEPT

    original = DATA.joinpath("fatebook.csv").read_bytes()
    for n in range(RECEIPTS_KEPT + 5):
        path = tmp_path / f"f{n}.csv"
        path.write_bytes(original + b"\n" * n)
        imported(sqlite_url, path)
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    (kept,) = connection.execute("SELECT count(*) FROM import_receipt").fetchone()
    connection.close()
    assert kept == RECEIPTS_KEPT
    assert NOT_READ in imported(sqlite_url, tmp_path / f"f{RECEIPTS_KEPT + 4}.csv").output


def test_on_postgresql_a_file_is_always_read_and_still_changes_nothing(postgresql_url: str) -> None:
    imported(postgresql_url, DATA / "fatebook.csv")
    again = imported(postgresql_url, DATA / "fatebook.csv")
    assert NOT_READ not in again.output
    assert "forecasts: 0 new, 0 updated, 5 unchanged" in again.output
