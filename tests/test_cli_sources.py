"""`sources` and `ingest` from the command line, as a new user would type them."""

from __future__ import annotations

from click.testing import CliRunner

from tests.loopback import Loopback, Route
from tracker.cli import cli


def run(database_url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", database_url, *args])


def test_add_a_feed_and_ingest_it_twice(sqlite_url: str, loopback: Loopback) -> None:
    url = loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml")
    added = run(
        sqlite_url,
        "sources",
        "add",
        "wire",
        "--kind",
        "rss",
        "--url",
        url,
        "--match",
        'kuril* OR "northern territories"',
        "--every",
        "15m",
        "--tag",
        "summit",
    )
    assert added.exit_code == 0, added.output
    assert "Added rss source 'wire' (polled every 15m)" in added.output
    first = run(sqlite_url, "ingest")
    assert first.exit_code == 0
    assert "wire: 5 new, 0 updated, 0 already stored, 1 not matching the rule, 0 rejected" in first.output
    second = run(sqlite_url, "ingest", "--source", "wire")
    assert "wire: nothing new" in second.output
    listing = run(sqlite_url, "sources", "list")
    assert "wire" in listing.output
    assert "15m" in listing.output
    assert "ok" in listing.output
    assert 'match: kuril* OR "northern territories"' in listing.output


def test_one_failing_source_does_not_stop_the_others(sqlite_url: str, loopback: Loopback) -> None:
    good = loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml")
    bad = loopback.serve("/html", Route(b"<html>login</html>"))
    run(sqlite_url, "sources", "add", "a-broken", "--kind", "rss", "--url", bad)
    run(sqlite_url, "sources", "add", "b-good", "--kind", "rss", "--url", good)
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "ingest"])
    assert result.exit_code == 1
    assert "a-broken: FAILED: a-broken: got an HTML page, not an RSS or Atom feed" in result.stderr
    assert "b-good: 6 new" in result.stdout
    listing = run(sqlite_url, "sources", "list")
    assert "error: a-broken: got an HTML page" in listing.output


def test_add_rejections_name_the_field(sqlite_url: str) -> None:
    cases = [
        (["sources", "add", "x", "--kind", "rss"], "Error: --url: an RSS feed needs the feed's address"),
        (
            ["sources", "add", "x", "--kind", "rss", "--url", "ftp://x"],
            "Error: --url: must be an http:// or https:// address without spaces",
        ),
        (
            ["sources", "add", "x", "--kind", "rss", "--url", "http://x", "--match", "(kuril"],
            "Error: --match: a '(' is never closed",
        ),
        (
            ["sources", "add", "x", "--kind", "rss", "--url", "http://x", "--every", "fortnightly"],
            "Error: --every: 'fortnightly' is not an interval",
        ),
        (
            ["sources", "add", "x", "--kind", "manifold", "--setting", "market=a"],
            "Error: --question: a Manifold market logs the crowd's forecast on one of your yes/no questions",
        ),
        (["sources", "add", "x y", "--kind", "rss", "--url", "http://x"], "Error: NAME: use letters, digits"),
        (
            ["sources", "add", "x", "--kind", "gdelt-doc"],
            "Error: --setting query=…: a GDELT article search needs a GDELT search query "
            "(e.g. --setting query=(kuril OR shikotan) sourcelang:english)",
        ),
        (
            ["sources", "add", "x", "--kind", "rss", "--url", "http://x", "--setting", "market=1"],
            "Error: --setting market=…: an RSS feed takes no setting 'market'",
        ),
        (
            ["sources", "add", "x", "--kind", "manifold", "--setting", "market=a", "--question", "7"],
            "Error: --question: no question with id 7",
        ),
    ]
    for args, message in cases:
        result = run(sqlite_url, *args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)


def test_remove_keeps_events_unless_asked(sqlite_url: str, loopback: Loopback) -> None:
    url = loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml")
    run(sqlite_url, "sources", "add", "wire", "--kind", "rss", "--url", url)
    run(sqlite_url, "ingest")
    refused = run(sqlite_url, "sources", "remove", "wire")
    assert refused.exit_code == 1
    assert (
        "--delete-events: 'wire' has 6 events; disable it to keep them, or delete them with it"
        in refused.output
    )
    assert run(sqlite_url, "sources", "disable", "wire").exit_code == 0
    assert "No enabled sources" in run(sqlite_url, "ingest").output
    removed = run(sqlite_url, "sources", "remove", "wire", "--delete-events")
    assert "Removed 'wire' and its 6 events." in removed.output
    assert "no source called 'wire'" in run(sqlite_url, "sources", "enable", "wire").output


def test_settings_are_parsed_the_same_everywhere(sqlite_url: str) -> None:
    from services.sources import parse_settings

    assert parse_settings(
        "gdelt-events", ["actors=jpn, RUS", "query=kuril"], ["summit", "territory=kuril*"]
    ) == {
        "actors": ["jpn", "RUS"],
        "query": "kuril",
        "tags": ["summit"],
        "tag_rules": {"territory": "kuril*"},
    }
    result = run(sqlite_url, "sources", "add", "x", "--kind", "gdelt-events", "--setting", "actors")
    assert result.exit_code == 1
    assert "Error: --setting: 'actors': write KEY=VALUE" in result.output
