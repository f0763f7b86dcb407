"""The README keeps up with the code: every command, every `--json` key, every exit code and source kind."""

from __future__ import annotations

import json
import re
from typing import Any

import click
from click.testing import CliRunner

from db.migrate import PROJECT_ROOT
from services.sources import kinds
from tracker import exit_codes
from tracker.cli import all_commands, cli

README = (PROJECT_ROOT / "README.md").read_text()


def test_every_command_is_in_the_readme() -> None:
    for name, command in all_commands().items():
        first_line = (command.help or "").splitlines()[0]
        assert f"  {name}" in README, name
        assert first_line[:40] in README, first_line
        if isinstance(command, click.Group):
            for sub in command.commands:
                assert f"{name} {sub}" in README, f"{name} {sub}"


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
    for key in report["by_forecaster"]["ana"]["updating"]:
        assert f"`{key}`" in README, key
    assert set(report["updating"]) == set(report["by_forecaster"]["ana"]["updating"])
    from forecasts.scoring.multiple_choice import ChoiceScores

    assert "`multiple_choice`" in README
    for key in ChoiceScores.__dataclass_fields__:
        assert f"`{key}`" in README, key


def _json(url: str, *args: str) -> object:
    result = CliRunner().invoke(cli, ["--db", url, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _documented_for(command: str) -> str:
    """The README's `--json` table row for ``command``."""
    row = next(line for line in README.splitlines() if line.startswith(f"| `{command}"))
    return row


def _event(url: str) -> int:
    from db.engine import connect
    from tests.factories import E, S

    database = connect(url)
    try:
        return E(database, S(database, "wire-docs").id, "Treaty talks", summary="No treaty this year")
    finally:
        database.dispose()


def _numeric_scores(url: str) -> dict[str, Any]:
    """``scores --json``'s numeric section, after one numeric question is forecast and resolved."""
    added = _json(
        url, "questions", "add", "Brent", "--type", "numeric",
        "--lower", "20", "--upper", "120", "--opens", "2016-10-01",
    )  # fmt: skip
    _json(url, "forecast", str(added["id"]), "55 (48-62)", "--by", "ana", "--at", "2016-10-02")
    _json(url, "resolve", str(added["id"]), "56.82", "--at", "2016-10-03")
    scores = _json(url, "scores")
    assert isinstance(scores, dict)
    numeric: dict[str, Any] = scores["numeric"]
    return numeric


def test_every_json_key_of_the_database_commands_is_documented(sqlite_url: str) -> None:
    added = _json(
        sqlite_url, "questions", "add", "Will the summit produce a treaty?", "--opens", "2016-10-01"
    )
    question = str(added["id"])
    outputs = {
        "forecast": _json(sqlite_url, "forecast", question, "7%", "--by", "ana", "--at", "2016-10-02"),
        "resolve": _json(sqlite_url, "resolve", question, "no", "--at", "2016-10-03"),
        "questions list": _json(sqlite_url, "questions", "list")[0],
        "questions show": _json(sqlite_url, "questions", "show", question),
        "sources list": (
            _json(sqlite_url, "sources", "add", "wire", "--kind", "rss", "--url", "http://127.0.0.1:9/f")
        ),
        "scores": _json(sqlite_url, "scores"),
        "questions watch": _json(sqlite_url, "questions", "watch", question, "treaty"),
        "events link": _json(sqlite_url, "events", "link", str(_event(sqlite_url)), question),
        "events search": _json(sqlite_url, "events", "search", "treaty")[0],
    }
    keys = {name: set(value) for name, value in outputs.items()}
    numeric = _numeric_scores(sqlite_url)
    keys["scores"] |= {"numeric", *numeric, *numeric["time_averaged"], *numeric["by_forecaster"]["ana"]}
    keys["questions show"] |= set(outputs["questions show"]["latest_forecasts"][0])
    keys["questions show"] |= set(added)
    for command, names in keys.items():
        row = _documented_for(command)
        for key in names:
            assert f"`{key}`" in (row if command != "scores" else README), (command, key)


def test_every_exit_code_is_documented() -> None:
    for name, code in exit_codes.ALL.items():
        assert re.search(rf"^\| {code} \| `{name}` \|", README, re.MULTILINE), name


def test_every_source_kind_is_in_the_kinds_table() -> None:
    for kind in kinds():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{kind.name}` |")), None)
        assert row is not None, kind.name
        assert kind.label in row, kind.name
        for setting in kind.settings:
            assert setting.name in row, (kind.name, setting.name)
        assert ("--question" in row) == kind.is_crowd, kind.name
