"""Backups and restores: consistent copies while the worker ingests, and restores that never surprise."""

from __future__ import annotations

import re
import sqlite3
import threading
from itertools import count as counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from db import Database, open_database
from db.backup import integrity
from db.models import Event, Heartbeat
from services.backups import BackupError, ConfirmationNeeded, backup, restore
from services.demo import load_demo
from services.transfer import bundle_json, export_bundle
from tests.factories import S
from tests.loopback import Loopback, Request, Route
from tracker.cli import cli
from tracker.ingest import ingest_source


def dump(database: Database) -> str:
    return bundle_json(export_bundle(database))


def a_new_feed_each_time(items: int) -> callable:
    """An RSS feed with ``items`` items no earlier request has seen: every ingest writes."""
    batches = counter()

    def respond(_: Request) -> Route:
        batch = next(batches)
        entries = "".join(
            f"<item><title>Kuril report {batch}-{i}</title><link>http://127.0.0.1/{batch}/{i}</link>"
            f"<guid>{batch}-{i}</guid><pubDate>Thu, 15 Dec 2016 06:00:00 GMT</pubDate></item>"
            for i in range(items)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'
        return Route(body.encode(), headers={"Content-Type": "application/rss+xml"})

    return respond


def test_a_backup_taken_during_an_ingest_is_consistent(
    sqlite_database: Database, loopback: Loopback, tmp_path: Path
) -> None:
    url = loopback.serve("/feed", a_new_feed_each_time(300))
    source_id = S(sqlite_database, "wire", url=url).id
    stop = threading.Event()
    runs: list[str] = []

    def ingest_until_stopped() -> None:
        while not stop.is_set():
            runs.append(ingest_source(sqlite_database, source_id).status)

    writer = threading.Thread(target=ingest_until_stopped)
    writer.start()
    try:
        copies = []
        while len(copies) < 4:
            if len(runs) >= len(copies) + 1:  # a backup between (or during) each of the writer's runs
                copies.append(backup(sqlite_database, tmp_path / f"copy-{len(copies)}.db").path)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert set(runs) == {"ok"}
    sizes = []
    for copy in copies:
        assert integrity(copy) == "ok"
        opened = open_database(f"sqlite:///{copy}", upgrade=False)
        with opened.read_session() as session:
            n = session.scalar(select(func.count()).select_from(Event))
        opened.dispose()
        assert n % 300 == 0  # whole ingest runs only: each run is one transaction
        sizes.append(n)
    assert sizes == sorted(sizes)
    assert sizes[-1] > 0


def test_a_backup_never_overwrites_without_being_asked(sqlite_database: Database, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.write_text("precious")
    with pytest.raises(ConfirmationNeeded, match="exists; choose another name, or confirm to overwrite it"):
        backup(sqlite_database, target)
    assert target.read_text() == "precious"
    backup(sqlite_database, target, force=True)
    assert integrity(target) == "ok"


def test_restore_brings_back_exactly_what_was_backed_up(sqlite_database: Database, tmp_path: Path) -> None:
    load_demo(sqlite_database)
    before = dump(sqlite_database)
    saved = backup(sqlite_database, tmp_path / "saved.db").path
    with sqlite_database.write_session() as session:
        session.execute(Event.__table__.delete())
    assert dump(sqlite_database) != before
    with pytest.raises(ConfirmationNeeded, match="already holds data; confirm to replace it"):
        restore(sqlite_database, saved)
    safety = restore(sqlite_database, saved, force=True)
    assert dump(sqlite_database) == before
    assert safety is not None
    assert integrity(safety) == "ok"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a database at all" * 100, "not a SQLite database|integrity"),
        (None, "not a Summit Watch database"),
    ],
)
def test_restore_refuses_files_that_are_not_our_backups(
    sqlite_database: Database, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "other.db"
    if content is None:
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE notes (text TEXT)")
        other.commit()
        other.close()
    else:
        path.write_bytes(content)
    with pytest.raises(BackupError, match=message):
        restore(sqlite_database, path)


def test_postgresql_is_pointed_to_pg_dump(postgresql_url: str, tmp_path: Path) -> None:
    database = open_database(postgresql_url)
    try:
        with pytest.raises(BackupError, match="pg_dump"):
            backup(database, tmp_path / "x.db")
    finally:
        database.dispose()


def test_backup_and_restore_from_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", sqlite_url, "demo"]).exit_code == 0
    result = runner.invoke(cli, ["--db", sqlite_url, "backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    refused = runner.invoke(cli, ["--db", sqlite_url, "restore", str(tmp_path / "b.db")])
    assert refused.exit_code == 1
    assert (
        "already holds data; confirm to replace it (a copy of it is kept beside it first). Pass --force"
        in (refused.output)
    )
    forced = runner.invoke(cli, ["--db", sqlite_url, "restore", str(tmp_path / "b.db"), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "was kept as" in forced.output


def test_restore_waits_for_the_worker_to_stop(sqlite_database: Database, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    saved = backup(sqlite_database, tmp_path / "saved.db").path
    now = datetime.now(UTC)
    with sqlite_database.write_session() as session:
        session.add(Heartbeat(worker="scheduler", pid=1, hostname="h", started_at=now, beat_at=now))
    with pytest.raises(BackupError, match="the worker is running on this database; stop it first"):
        restore(sqlite_database, saved, force=True)


def _beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_a_good_backup_is_one_file_with_nothing_beside_it(sqlite_database: Database, tmp_path: Path) -> None:
    load_demo(sqlite_database)
    target = tmp_path / "backups" / "summit.db"
    target.parent.mkdir()
    backup(sqlite_database, target)
    assert integrity(target) == "ok"
    assert _beside(target) == ["summit.db"]  # no -wal, no -shm, no .partial


def test_a_failed_backup_leaves_no_partial_file(sqlite_database: Database, tmp_path: Path) -> None:
    load_demo(sqlite_database)
    target = tmp_path / "backups" / "summit.db"
    target.mkdir(parents=True)  # a folder where the file should go: the last step fails
    (target / "keep").write_text("x")
    with pytest.raises(BackupError, match=r"could not write the backup to .*summit\.db"):
        backup(sqlite_database, target, force=True)
    assert _beside(target) == ["summit.db"]
    assert (target / "keep").read_text() == "x"


def test_a_killed_backups_partial_file_is_cleared_by_the_next(
    sqlite_database: Database, tmp_path: Path
) -> None:
    target = tmp_path / "summit.db"
    for leftover in (".summit.db.partial", ".summit.db.partial-wal", ".summit.db.partial-shm"):
        (tmp_path / leftover).write_bytes(b"half a copy")  # what SIGKILL mid-copy leaves
    backup(sqlite_database, target)
    assert [n for n in _beside(target) if n.startswith((".summit", "summit"))] == ["summit.db"]


# --- crafted backups: refused before anything is replaced --------------------------------------


def _crafted(sqlite_database: Database, tmp_path: Path, *statements: str) -> Path:
    """A real backup of the demo, then changed by hand as an attacker would."""
    path = backup(sqlite_database, tmp_path / "crafted.db").path
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute("PRAGMA ignore_check_constraints = ON")
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path


CRAFTED = {
    "a trigger that deletes every resolution": (
        ["CREATE TRIGGER wipe AFTER INSERT ON forecast BEGIN DELETE FROM resolution; END"],
        "an extra trigger 'wipe'",
    ),
    "a view over the resolutions": (
        ["CREATE VIEW hidden AS SELECT * FROM resolution WHERE 0"],
        "an extra view 'hidden'",
    ),
    "an extra table": (["CREATE TABLE payload (x)"], "an extra table 'payload'"),
    "a search trigger rewritten": (
        [
            "DROP TRIGGER event_search_insert",
            "CREATE TRIGGER event_search_insert AFTER INSERT ON event BEGIN DELETE FROM forecast; END",
        ],
        "a changed 'event_search_insert'",
    ),
    "an index dropped": (
        ["DROP INDEX ix_job_run_source_started_at"],
        "no index 'ix_job_run_source_started_at'",
    ),
    "a column added": (["ALTER TABLE question ADD COLUMN secret TEXT"], "column question.secret differs"),
    "a forecast of a missing question": (
        ["UPDATE forecast SET question_id = 99999 WHERE id = (SELECT min(id) FROM forecast)"],
        "refers to a missing question",
    ),
    "a row that breaks a CHECK": (
        ["UPDATE forecaster SET kind = 'robot' WHERE id = (SELECT min(id) FROM forecaster)"],
        "forecaster row(s) break",
    ),
    "a row that breaks a row rule": (
        ["UPDATE question SET title = 'x' WHERE id = (SELECT min(id) FROM question)"],
        "title: write the whole question",
    ),
    "a revision from a newer Summit Watch": (
        ["UPDATE alembic_version SET version_num = 'ffffffffffff'"],
        "from a newer Summit Watch (schema revision ffffffffffff); this one reads up to revision",
    ),
}


@pytest.mark.parametrize("case", list(CRAFTED), ids=list(CRAFTED))
def test_a_crafted_backup_is_refused_and_the_database_left_as_it_was(
    sqlite_database: Database, tmp_path: Path, case: str
) -> None:
    load_demo(sqlite_database)
    statements, message = CRAFTED[case]
    crafted = _crafted(sqlite_database, tmp_path, *statements)
    before = dump(sqlite_database)
    with pytest.raises(BackupError, match=re.escape(message)):
        restore(sqlite_database, crafted, force=True)
    assert dump(sqlite_database) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".restore-", "tracker.before-restore"))]
    assert CliRunner().invoke(cli, ["--db", sqlite_database.url, "questions", "list"]).exit_code == 0


def test_a_backup_from_an_older_schema_is_upgraded_as_it_is_restored(
    sqlite_database: Database, tmp_path: Path
) -> None:
    from alembic import command

    from db.migrate import alembic_config, head_revision
    from db.models import Question
    from forecasts.rules import RANGED_TYPES

    load_demo(sqlite_database)
    with sqlite_database.write_session() as session:  # the schema before numeric questions has none
        for question in session.scalars(select(Question).where(Question.type.in_(RANGED_TYPES))):
            session.delete(question)
    before = dump(sqlite_database)
    old = backup(sqlite_database, tmp_path / "old.db").path
    command.downgrade(alembic_config(f"sqlite:///{old}"), "-1")
    restore(sqlite_database, old, force=True)
    assert dump(sqlite_database) == before
    from services.database import schema_revisions

    assert schema_revisions(sqlite_database) == (head_revision(), head_revision())
