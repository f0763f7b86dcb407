"""`python -m tracker`: every command explains itself, and init/demo do what they say."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from db import open_database
from db.migrate import PROJECT_ROOT, head_revision
from db.models import Question
from tracker.cli import COMMAND_MODULES, all_commands, cli

COMMANDS = sorted(all_commands())


def test_module_entry_point_prints_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "Usage: python -m tracker" in result.stdout
    for command in COMMANDS:
        assert command in result.stdout


def test_every_command_is_found_by_its_name_and_no_command_is_unlisted() -> None:
    # The group imports a command's module only when the command runs: each must be listed.
    assert sorted(all_commands()) == sorted(COMMAND_MODULES)
    for name in COMMAND_MODULES:
        assert cli.get_command(click.Context(cli), name) is all_commands()[name]


def test_score_runs_without_the_database_layer(tmp_path) -> None:
    # `score` needs no database: SQLAlchemy and Alembic stay unimported (they cost most of a second).
    path = tmp_path / "f.csv"
    path.write_text("question_id,forecaster,made_at,probability,outcome\nq1,ana,2016-12-01,0.7,1\n")
    probe = f"import sys, runpy; sys.argv = ['tracker', 'score', {str(path)!r}, '--json']\n"
    probe += "try:\n    runpy.run_module('tracker', run_name='__main__')\nexcept SystemExit:\n    pass\n"
    probe += "print(sorted(m for m in ('sqlalchemy', 'alembic', 'streamlit') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert len(all_commands()[command].help or "") > 40
    assert "Usage:" in result.output


def test_init_creates_and_reports_the_schema(database_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", database_url, "init"])
    assert result.exit_code == 0, result.output
    assert f"schema {head_revision()}" in result.output


def test_demo_is_idempotent_from_the_command_line(database_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", database_url, "demo"])
    second = runner.invoke(cli, ["--db", database_url, "demo"])
    assert first.exit_code == 0, first.output
    assert "Loaded the demo: forecasters 4, questions 36" in first.output
    assert "already loaded" in second.output
    assert "forecasts are illustrative" in second.output
    database = open_database(database_url)
    with database.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 36
    database.dispose()


def test_demo_remove(database_url: str) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["--db", database_url, "demo"])
    result = runner.invoke(cli, ["--db", database_url, "demo", "--remove"])
    assert result.exit_code == 0
    assert "Removed the demo: 36 questions" in result.output


def test_environment_variable_chooses_the_database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(cli, ["init"])
    assert sqlite_url in result.output


def test_unreachable_database_is_a_clear_error() -> None:
    result = CliRunner().invoke(
        cli, ["--db", "postgresql+psycopg://summit:secret@127.0.0.1:1/summit", "init"]
    )
    assert result.exit_code == 1
    assert "cannot open the database postgresql+psycopg://summit:***@127.0.0.1:1/summit" in result.output
    assert "secret" not in result.output
    assert "Check --db or $TRACKER_DATABASE_URL" in result.output
