"""`events search|link|unlink`, `questions watch` and `forecast --because`: events meet questions at
a prompt, with the same words and exit codes as everywhere else."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from db.engine import connect
from tests.factories import E, S
from tracker import exit_codes
from tracker.cli import cli


def run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", database_url, *args])


def as_json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stored(database_url: str) -> tuple[int, int]:
    """A question and a Kuril event (ids)."""
    question = as_json(
        run(
            database_url, "questions", "add", "Will the Kuril talks go on?", "--opens", "2016-10-01", "--json"
        )
    )["id"]
    database = connect(database_url)
    wire = S(database, "wire").id
    event = E(database, wire, "Abe and Putin on the Kuril Islands", at=20, summary="Joint activity in Nagato")
    E(database, wire, "Football", at=21)
    database.dispose()
    return int(question), event


def test_search_link_cite_and_unlink(database_url: str) -> None:
    question, event = stored(database_url)
    [hit] = as_json(run(database_url, "events", "search", "kuril* OR nagato", "--json"))
    assert (hit["id"], hit["title_highlighted"], hit["snippet"]) == (
        event,
        "Abe and Putin on the [Kuril] Islands",
        "Joint activity in [Nagato]",
    )
    text = run(database_url, "events", "search", "kuril*")
    assert "[Kuril]" in text.output
    assert as_json(run(database_url, "events", "link", str(event), str(question), "--json"))["changed"]
    again = run(database_url, "events", "link", str(event), str(question))
    assert "nothing changed" in again.output
    saved = as_json(
        run(database_url, "forecast", str(question), "30%", "--by", "ana", "--because", str(event), "--json")
    )
    assert saved["because"] == [event]
    within = as_json(run(database_url, "events", "search", "kuril*", "--question", str(question), "--json"))
    assert [h["id"] for h in within] == [event]
    assert "Unlinked event" in run(database_url, "events", "unlink", str(event), str(question)).output
    assert (
        as_json(run(database_url, "events", "search", "kuril*", "--question", str(question), "--json")) == []
    )


def test_questions_watch_links_stored_events_and_an_empty_rule_stops(database_url: str) -> None:
    question, _ = stored(database_url)
    result = as_json(run(database_url, "questions", "watch", str(question), "kuril*", "--json"))
    assert (result["rule"], result["linked"], result["matching"]) == ("kuril*", 1, 1)
    assert "watches: kuril*" in run(database_url, "questions", "show", str(question)).output
    stopped = run(database_url, "questions", "watch", str(question), "")
    assert "watches no rule now" in stopped.output


def test_errors_name_the_argument_and_say_what_is_allowed(database_url: str) -> None:
    question, _ = stored(database_url)
    bad_rule = run(database_url, "questions", "watch", str(question), "(kuril")
    assert bad_rule.exit_code == exit_codes.FAILED
    assert "Error: RULE: cannot be read: a '(' is never closed" in bad_rule.output
    bad_query = run(database_url, "events", "search", "")
    assert "Error: QUERY: is empty" in bad_query.output
    missing = run(database_url, "events", "link", "999", str(question))
    assert "Error: no event with id 999" in missing.output
    cite_missing = run(database_url, "forecast", str(question), "30%", "--by", "ana", "--because", "999")
    assert "Error: no event with id 999" in cite_missing.output
    since = run(database_url, "events", "search", "kuril*", "--since", "yesterday")
    assert "Error: --since:" in since.output
    assert "Traceback" not in since.output + bad_rule.output + missing.output
