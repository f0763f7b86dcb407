"""`questions`, `forecast`, `resolve`, `unresolve` and `scores`: a question page's work, at a prompt."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from tracker import exit_codes
from tracker.cli import cli


def run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", database_url, *args])


def as_json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def add(database_url: str, title: str, *options: str) -> int:
    created = as_json(
        run(database_url, "questions", "add", title, "--opens", "2016-10-01", *options, "--json")
    )
    return int(created["id"])


def test_a_question_from_add_to_scores(database_url: str) -> None:
    q = add(
        database_url,
        "Will Japan and Russia sign a peace treaty in 2016?",
        "--closes",
        "2016-12-31",
        "--tag",
        "Treaty",
    )
    saved = as_json(
        run(
            database_url,
            "forecast",
            str(q),
            "7%",
            "--by",
            "analyst",
            "--at",
            "2016-10-15",
            "--why",
            "no deal",
            "--json",
        )
    )
    assert (saved["probability"], saved["forecaster"], saved["duplicate"]) == (0.07, "analyst", False)
    assert as_json(
        run(database_url, "forecast", str(q), "0.07", "--by", "analyst", "--at", "2016-10-15T00:01", "--json")
    )["duplicate"]  # the same value within two minutes: a double submit
    resolved = as_json(run(database_url, "resolve", str(q), "no", "--at", "2016-12-16T12:00:00Z", "--json"))
    assert (resolved["outcome"], resolved["resolved_at"]) == ("no", "2016-12-16T12:00:00+00:00")
    shown = as_json(run(database_url, "questions", "show", str(q), "--json"))
    assert (shown["question"]["status"], shown["question"]["tags"]) == ("resolved", ["treaty"])
    assert [f["probability"] for f in shown["latest_forecasts"]] == [0.07]
    card = as_json(run(database_url, "scores", "--json"))
    assert card["by_forecaster"]["analyst"]["brier"] == 0.07**2
    assert card["brier_scale"].startswith("0-1")


def test_list_filters_and_prints_json(database_url: str) -> None:
    kuril = add(database_url, "Will the Kuril islands question be settled?", "--tag", "territory")
    add(database_url, "Will Brent close above $60?", "--tag", "oil")
    listed = as_json(run(database_url, "questions", "list", "--tag", "territory", "--json"))
    assert [q["id"] for q in listed] == [kuril]
    assert as_json(run(database_url, "questions", "list", "--search", "BRENT", "--json"))[0]["title"] == (
        "Will Brent close above $60?"
    )
    table = run(database_url, "questions", "list")
    assert "Will Brent close above $60?" in table.output


def test_edit_and_multiple_choice(database_url: str) -> None:
    q = add(
        database_url,
        "How many documents will be signed?",
        "--type",
        "multiple_choice",
        "--option",
        "few",
        "--option",
        "many",
    )
    edited = as_json(
        run(database_url, "questions", "edit", str(q), "--criteria", "Count on kremlin.ru", "--json")
    )
    assert edited["resolution_criteria"] == "Count on kremlin.ru"
    saved = as_json(run(database_url, "forecast", str(q), "many=70%,few=30%", "--by", "ana", "--json"))
    assert saved["option_probabilities"] == [0.3, 0.7]
    assert as_json(run(database_url, "resolve", str(q), "many", "--json"))["option"] == "many"
    undone = run(database_url, "unresolve", str(q), "--note", "recount")
    assert "open again" in undone.output


def test_mistakes_are_worded_with_the_commands_own_arguments(database_url: str) -> None:
    q = add(database_url, "Will talks resume by 2027?")
    cases = [
        (("forecast", str(q), "150", "--by", "ana"), "Error: PROBABILITY: '150' is outside 0% to 100%"),
        (("forecast", str(q), "5%", "--by", " "), "Error: --by: is empty; enter your name or handle"),
        (
            ("forecast", str(q), "5%", "--by", "ana", "--at", "1999-01-01"),
            "Error: --at: is before the question opened",
        ),
        (("forecast", "999", "5%", "--by", "ana"), "Error: no question with id 999"),
        (("resolve", str(q), "maybe"), "Error: OUTCOME: must be one of yes, no, annulled for this question"),
        (("unresolve", str(q)), "Error: OUTCOME: the question is not resolved; nothing to undo"),
        (("questions", "add", "Eh?"), "Error: TITLE: write the whole question (at least 5 characters)"),
        (("questions", "add", "Will it rain?", "--closes", "soon"), "Error: --closes: 'soon' is not a date"),
        (("questions", "show", "999"), "Error: no question with id 999"),
    ]
    for args, message in cases:
        result = run(database_url, *args)
        assert result.exit_code == exit_codes.FAILED, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_scores_with_nothing_resolved_says_so(database_url: str) -> None:
    result = run(database_url, "scores")
    assert result.exit_code == exit_codes.FAILED
    assert "no resolved questions to score yet" in result.output
