"""The README documents every command and every key `score --json` prints."""

from __future__ import annotations

import json

from click.testing import CliRunner

from db.migrate import PROJECT_ROOT
from tracker.cli import cli

README = (PROJECT_ROOT / "README.md").read_text()


def test_every_command_is_in_the_readme() -> None:
    for name, command in cli.commands.items():
        first_line = (command.help or "").splitlines()[0]
        assert f"  {name}" in README, name
        assert first_line[:40] in README, first_line


def test_every_score_json_key_is_documented(tmp_path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "question_id,forecaster,made_at,probability,outcome,opens_at,closes_at,resolved_at\n"
        "q1,ana,2016-10-15T00:00:00Z,0.8,1,2016-10-15T00:00:00Z,2016-12-31T00:00:00Z,2016-12-16T00:00:00Z\n"
    )
    report = json.loads(CliRunner().invoke(cli, ["score", str(path), "--json"]).stdout)
    for key in report:
        assert f"`{key}`" in README, key
    for key in report["by_forecaster"]["ana"]["timeline"]:
        assert f"`{key}`" in README, key
