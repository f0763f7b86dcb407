"""Hostile exports: a file that is wrong in shape, type or rule gets a message naming the item and
field, never a traceback, and imports apply the rules the forms and the CLI apply."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from db import Database, open_database
from services.demo import load_demo
from services.transfer import ImportRefused, bundle_json, export_bundle, import_bundle, read_file

Dump = dict[str, Any]


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Dump:
    """The demo's JSON export: a real history to break."""
    database = open_database(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    load_demo(database)
    document = json.loads(bundle_json(export_bundle(database)))
    database.dispose()
    return document


def changed(dump: Dump, change: Callable[[Dump], object]) -> bytes:
    document = copy.deepcopy(dump)
    change(document)
    return json.dumps(document).encode()


def add_source(**fields: object) -> Callable[[Dump], object]:
    return lambda d: d["sources"].append(dict(d["sources"][0], **fields))


def set_in(section: str, index: int, **fields: object) -> Callable[[Dump], object]:
    return lambda d: d[section][index].update(fields)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(sources="abc"), "'sources' must be a list of objects, got str"),
        (lambda d: d.update(events=5), "'events' must be a list of objects, got int"),
        (lambda d: d.update(questions={"a": 1}), "'questions' must be a list of objects, got dict"),
    ],
    ids=["sources-a-string", "events-a-number", "questions-an-object"],
)
def test_a_section_of_the_wrong_type_refuses_the_file(dump: Dump, change, message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        read_file(changed(dump, change), "dump.json")


def test_json_nested_too_deep_is_refused_not_a_recursion_error() -> None:
    deep = b'{"format": "summit-watch", "version": 1, "questions": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ImportRefused, match="nested too deeply"):
        read_file(deep, "deep.json")


def test_a_key_given_twice_is_refused_rather_than_one_value_dropped(dump: Dump) -> None:
    text = json.dumps(dump).replace('"version":', '"questions": [], "version":', 1)
    with pytest.raises(ImportRefused, match="the key 'questions' appears twice"):
        read_file(text.encode(), "dump.json")


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            lambda d: d["questions"].append(dict(d["questions"][0], title="Another question?")),
            (37, "questions.uid"),  # after the demo's 36 questions
            "a second question with uid",
        ),
        (lambda d: d["events"].__setitem__(0, [1]), (1, "events"), "each entry must be an object"),
        (lambda d: d["sources"].__setitem__(0, "rss"), (1, "sources"), "each entry must be an object"),
        (add_source(name="other", kind="nosuch"), (7, "sources.kind"), "must be one of manual, rss"),
        (
            add_source(name="local", kind="rss", url="file:///etc/passwd", every_seconds=3600),
            (7, "sources.url"),
            "must be an http:// or https:// address",
        ),
        (
            add_source(name="busy", kind="rss", url="http://127.0.0.1/feed", every_seconds=1),
            (7, "sources.every_seconds"),
            "must be at least 10 seconds, got 1",
        ),
        (
            add_source(name="busy", kind="rss", url="http://127.0.0.1/feed", every_seconds="often"),
            (7, "sources.every_seconds"),
            "must be a whole number of seconds, got 'often'",
        ),
        (add_source(), (7, "sources.name"), "a second source called 'demo-timeline'"),
        (set_in("sources", 0, settings=[1]), (1, "sources.settings"), "must be an object"),
        (set_in("sources", 0, settings={"colour": "red"}), (1, "sources.settings.colour"), "no setting"),
        (set_in("events", 0, tags=["t" * 200]), (1, "events.tags"), "longer than 64 characters"),
        (set_in("questions", 0, uid="x" * 65), (1, "questions.uid"), "1 to 64 characters"),
        (set_in("questions", 0, title="x" * 501), (1, "questions.title"), "at most 500"),
        (
            set_in("questions", 0, description="x" * 10_000_000),
            (1, "questions.description"),
            "10,000,000 characters; a field holds at most 100,000",
        ),
        (set_in("forecasters", 0, name="x" * 121), (1, "forecasters.forecaster"), "longer than 120"),
        (
            set_in("forecasts", 0, made_at="9999-01-01T00:00:00Z"),
            (1, "forecasts.made_at"),
            "is in the future",
        ),
        (
            set_in("forecasts", 0, made_at="0001-01-01T00:00:00Z"),
            (1, "forecasts.made_at"),
            "is before the question opened",
        ),
        (set_in("resolutions", 0, source="x" * 201), (1, "resolutions.source"), "longer than 200"),
        (
            set_in("resolutions", 0, resolved_at="9999-01-01T00:00:00Z"),
            (1, "resolutions.resolved_at"),
            "is in the future",
        ),
    ],
    ids=[
        "duplicate-uid",
        "event-a-list",
        "source-a-string",
        "unknown-kind",
        "file-url",
        "polled-every-second",
        "interval-a-word",
        "duplicate-source",
        "settings-a-list",
        "unknown-setting",
        "long-tag",
        "long-uid",
        "long-title",
        "ten-million-character-description",
        "long-forecaster-name",
        "forecast-dated-9999",
        "forecast-dated-year-1",
        "long-resolution-source",
        "resolved-in-9999",
    ],
)
def test_a_bad_item_is_reported_by_position_and_field(
    dump: Dump, change, where: tuple[int, str], message: str
) -> None:
    parsed = read_file(changed(dump, change), "dump.json")
    found = [(e.line, e.field, e.reason) for e in parsed.errors]
    assert any((line, field) == where and message in reason for line, field, reason in found), found


def test_a_hostile_item_leaves_the_rest_importable_and_stores_nothing_of_it(
    dump: Dump, database: Database
) -> None:
    hostile = changed(dump, add_source(name="local", kind="rss", url="file:///etc/passwd", every_seconds=1))
    parsed = read_file(hostile, "dump.json")
    counts = import_bundle(database, parsed.bundle)
    assert counts.new["sources"] == len(dump["sources"])
    assert "local" not in {s["name"] for s in json.loads(bundle_json(export_bundle(database)))["sources"]}


def test_imported_events_are_stored_as_ingestion_stores_items(dump: Dump, database: Database) -> None:
    hostile = changed(dump, set_in("events", 0, title="A" * 5000, summary="a\x00b", content_hash="h" * 100))
    import_bundle(database, read_file(hostile, "dump.json").bundle)
    stored = json.loads(bundle_json(export_bundle(database)))["events"]
    event = next(e for e in stored if e["dedupe_key"] == dump["events"][0]["dedupe_key"])
    assert (len(event["title"]), event["summary"], event["content_hash"]) == (1000, "ab", None)


@pytest.mark.parametrize("column", ["rationale", "question_title"])
def test_a_ten_megabyte_csv_cell_is_refused_by_line_and_column(column: str) -> None:
    header = [
        "question_uid",
        "question_title",
        "opens_at",
        "forecaster",
        "made_at",
        "probability",
        "rationale",
    ]
    row = ["q1", "Will it happen?", "2016-12-01T00:00:00Z", "ana", "2016-12-02T00:00:00Z", "0.6", "why"]
    good = ",".join(["q0", *row[1:]])
    row[header.index(column)] = "x" * 10_000_000
    text = ",".join(header) + "\n" + good + "\n" + ",".join(row) + "\n"
    with pytest.raises(ImportRefused, match=f"line 3, {column}: a cell of 10,000,000 characters"):
        read_file(text.encode(), "big.csv")


CSV_HEADER = "question_uid,question_title,opens_at,forecaster,made_at,probability\n"


def test_a_forecaster_name_with_spaces_around_it_is_the_same_forecaster(database: Database) -> None:
    text = (
        CSV_HEADER
        + "q1,Will Abe visit Moscow in 2017?,2016-12-01T00:00:00Z,alice ,2016-12-02T00:00:00Z,0.6\n"
        + "q1,Will Abe visit Moscow in 2017?,2016-12-01T00:00:00Z, alice,2016-12-03T00:00:00Z,0.7\n"
    )
    parsed = read_file(text.encode(), "forecasts.csv")
    assert parsed.errors == []
    import_bundle(database, parsed.bundle)
    exported = json.loads(bundle_json(export_bundle(database)))
    assert [f["name"] for f in exported["forecasters"]] == ["alice"]
    assert len(exported["forecasts"]) == 2


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+01:00", "0000-06-01T00:00:00Z", "10000-01-01T00:00:00Z"]
)
def test_a_time_outside_the_calendar_is_a_row_error(when: str) -> None:
    text = CSV_HEADER + f"q1,Will Abe visit Moscow in 2017?,2016-12-01T00:00:00Z,ana,{when},0.6\n"
    parsed = read_file(text.encode(), "forecasts.csv")
    assert [(e.line, e.field) for e in parsed.errors] == [(2, "made_at")]
    assert parsed.bundle.questions == []  # its only forecast refused: no empty question either
