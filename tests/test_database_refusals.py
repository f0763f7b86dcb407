"""`--db` that cannot be turned against the user: what is not ours is refused before anything is
written, and a store that fails (read-only, full, damaged, unreachable) is one line, no traceback."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from db import open_database
from services.demo import load_demo
from tracker.cli import cli


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args])


def refused_in_one_line(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    *progress, last = result.output.strip().splitlines()
    assert last.startswith("Error: "), result.output  # the error is one line, the last
    assert not [line for line in progress if "Error" in line or line.startswith(" ")], result.output
    assert message in last, last


def tables(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return sorted(
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        )
    finally:
        connection.close()


@pytest.fixture
def summit_file(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "summit.db"
    shutil.copyfile(sqlite_template, path)
    return path


def test_another_applications_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    connection.execute("INSERT INTO notes (text) VALUES ('keep me')")
    connection.commit()
    connection.close()
    refused_in_one_line(run(f"sqlite:///{path}", "questions", "list"), "is another application's database")
    assert tables(path) == ["notes"]  # not 19 tables more


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, world\n", "is not a SQLite database"),
        (bytes(range(256)) * 80, "is not a SQLite database"),
    ],
    ids=["a-text-file", "random-bytes"],
)
def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "tracker.db"
    path.write_bytes(content)
    refused_in_one_line(run(f"sqlite:///{path}", "questions", "list"), message)
    assert path.read_bytes() == content


def test_a_damaged_database_is_one_line(summit_file: Path) -> None:
    database = open_database(f"sqlite:///{summit_file}")
    load_demo(database)
    database.dispose()
    damaged = bytearray(summit_file.read_bytes())
    damaged[4096:65536] = b"\xab" * (65536 - 4096)  # the pages after the first
    summit_file.write_bytes(bytes(damaged))
    refused_in_one_line(run(f"sqlite:///{summit_file}", "questions", "list"), "is damaged or not a database")


def test_a_schema_from_a_newer_summit_watch_is_refused_naming_both_revisions(summit_file: Path) -> None:
    from db.migrate import head_revision

    connection = sqlite3.connect(summit_file)
    connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    connection.commit()
    connection.close()
    result = run(f"sqlite:///{summit_file}", "questions", "list")
    refused_in_one_line(result, "is at schema revision ffffffffffff, which this Summit Watch does not know")
    assert f"its newest is {head_revision()}" in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://someone@127.0.0.1/summit", "mysql is not supported; use sqlite:///"),
        ("not a url://", "not a database URL"),
        ("postgresql+psycopg://someone@127.0.0.1:99999/summit", "invalid port number"),
        ("postgresql+psycopg://someone@127.0.0.1:1/summit", "Connection refused"),
    ],
    ids=["unknown-scheme", "malformed", "bad-port", "nothing-listening"],
)
def test_a_url_that_cannot_be_opened_is_one_line(url: str, message: str) -> None:
    refused_in_one_line(run(url, "questions", "list"), message)


def test_a_read_only_database_says_so_and_keeps_what_it_holds(
    summit_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    working_folder = tmp_path / "cwd"
    working_folder.mkdir()
    monkeypatch.chdir(working_folder)
    assert run(f"sqlite:///{summit_file}", "questions", "add", "Will it rain in Nagato?").exit_code == 0
    read_only = f"sqlite:///file:{summit_file}?mode=ro&uri=true"
    refused_in_one_line(
        run(read_only, "forecast", "1", "0.4", "--by", "ana"), "is read-only: nothing was changed"
    )
    assert "Will it rain in Nagato?" in run(read_only, "questions", "list").output
    assert list(working_folder.iterdir()) == [], "a file: URI must not create folders here"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs), so a write really meets a full disk."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_is_one_line_and_loses_nothing(tiny_disk: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tiny_disk / 'tracker.db'}"
    assert run(url, "questions", "add", "Will Abe and Putin meet in Nagato?").exit_code == 0
    big = tmp_path / "big.csv"
    rows = [
        f"q{i},Will question {i} resolve yes?,2016-01-01T00:00:00Z,ana,2016-06-01T00:00:00Z,0.3"
        for i in range(20_000)
    ]
    big.write_text(
        "question_uid,question_title,opens_at,forecaster,made_at,probability\n" + "\n".join(rows) + "\n"
    )
    refused_in_one_line(run(url, "import", str(big)), "has no space left: nothing was changed")
    listed = run(url, "questions", "list").output
    assert "Will Abe and Putin meet in Nagato?" in listed
    assert "question 1 resolve" not in listed


def test_another_applications_postgresql_database_is_refused_too(postgres_server_url: str) -> None:
    import uuid

    import psycopg

    from tests.conftest import _create_database, _drop_database, _libpq

    name = f"foreign_{uuid.uuid4().hex[:8]}"
    url = _create_database(postgres_server_url, name)
    try:
        with psycopg.connect(_libpq(url), autocommit=True) as connection:
            connection.execute("CREATE TABLE invoices (id serial PRIMARY KEY, total numeric)")
        refused_in_one_line(
            run(url, "questions", "list"), "is another application's database (its tables: invoices)"
        )
        with psycopg.connect(_libpq(url), autocommit=True) as connection:
            found = connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        assert found == [("invoices",)]
    finally:
        _drop_database(postgres_server_url, name)
