"""Events meet questions: watch rules link as events arrive, a person's unlink sticks, forecasts
cite the events that moved them, and all of it survives export and import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db import Database
from db.models import EventQuestion, EventUnlink, ForecastEvent, Source
from forecasts.errors import Invalid, NotFound
from services import event_links, forecasts
from services.database import open_database
from services.forecasts import ForecastInput
from services.transfer import events_csv, export_bundle, forecasts_csv, import_bundle, read_file
from tests.factories import E, F, Q, S, day
from tests.loopback import FIXTURES, Loopback, Route
from tracker.ingest import ingest_source


def links(database: Database, question_id: int) -> dict[int, str]:
    """The question's linked events and why each is linked."""
    with database.read_session() as session:
        rows = session.execute(
            select(EventQuestion.event_id, EventQuestion.origin).where(
                EventQuestion.question_id == question_id
            )
        )
        return {int(e): str(o) for e, o in rows}


@pytest.fixture
def wire(database: Database) -> int:
    return S(database, "wire").id


def test_a_watch_rule_links_stored_events_and_a_second_backfill_adds_nothing(
    database: Database, wire: int
) -> None:
    question = Q(database)
    kuril = E(database, wire, "Kuril talks in Nagato")
    E(database, wire, "Football results")
    steps: list[tuple[int, int]] = []
    first = event_links.watch_question(
        database, question, "kuril*", progress=lambda d, n: steps.append((d, n))
    )
    assert (first.linked, first.matching) == (1, 1)
    assert steps
    assert steps[-1][0] == steps[-1][1]  # progress reached the end
    assert links(database, question) == {kuril: "rule"}
    again = event_links.watch_question(database, question, "kuril*")
    assert (again.linked, again.matching) == (0, 1)
    assert links(database, question) == {kuril: "rule"}


def test_new_events_matching_a_watch_rule_are_linked_as_they_are_stored(
    database: Database, wire: int
) -> None:
    summit, oil = Q(database), Q(database)
    event_links.watch_question(database, summit, '"northern territories" OR 北方領土')
    event_links.watch_question(database, oil, "brent OR opec")
    japanese = E(database, wire, "北方領土問題で進展なし")
    english = E(database, wire, "Talks", summary="On the Northern Territories")
    brent = E(database, wire, "Brent ends the year at $56.82")
    assert links(database, summit) == {japanese: "rule", english: "rule"}
    assert links(database, oil) == {brent: "rule"}


def test_an_unlink_sticks_across_reingest_and_rule_edits_until_a_person_links_again(
    database: Database, wire: int
) -> None:
    question = Q(database)
    event_links.watch_question(database, question, "kuril*")
    event = E(database, wire, "Kuril talks", key="item-1", questions=[question])
    assert links(database, question) == {event: "source"}  # the source's tie came first
    assert event_links.unlink_event(database, event, question).changed
    E(database, wire, "Kuril talks, updated", key="item-1", questions=[question])  # re-ingested, changed
    event_links.watch_question(database, question, "kuril* OR talks")  # the rule edited: back-fills again
    assert links(database, question) == {}
    assert not event_links.unlink_event(database, event, question).changed  # already unlinked
    assert event_links.link_event(database, event, question).changed
    assert links(database, question) == {event: "manual"}
    with database.read_session() as session:
        assert session.scalars(select(EventUnlink)).all() == []


def test_an_ingested_feed_item_matching_a_watch_rule_is_linked_in_that_ingest(
    database: Database, loopback: Loopback
) -> None:
    question = Q(database)
    event_links.watch_question(database, question, '"joint economic activity" kuril*')
    url = loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml")
    source_id = S(database, "nhk", url=url).id
    report = ingest_source(database, source_id)
    assert report.status == "ok"
    linked = event_links.linked_events(database, question)
    assert {e.title for e in linked} == {
        "Abe and Putin agree on joint economic activity on the Kuril Islands"
    }
    assert [text for text, hit in linked[0].title_snippet.pieces if hit] == [
        "joint economic activity",
        "Kuril",
    ]
    event_links.unlink_event(database, linked[0].id, question)
    loopback.serve("/rss", Route((FIXTURES / "summit_rss.xml").read_bytes() + b"\n"))  # new body, same items
    with database.write_session() as session:
        session.get(Source, source_id).body_hash = None
    assert ingest_source(database, source_id).status == "ok"
    assert event_links.linked_events(database, question) == []


def test_a_forecast_cites_events_and_they_become_linked(database: Database, wire: int) -> None:
    question = Q(database)
    talks = E(database, wire, "Tokyo: about 80 deals, no territory", at=5)
    saved = forecasts.add_forecast(
        database, question, ForecastInput("ana", probability=0.2, made_at=day(6), because=[talks])
    )
    assert saved.because == (talks,)
    assert links(database, question) == {talks: "cited"}
    with pytest.raises(NotFound, match="no event with id 999"):
        forecasts.add_forecast(
            database, question, ForecastInput("ana", probability=0.3, made_at=day(7), because=[999])
        )


def test_citing_an_unlinked_event_in_a_form_links_it_again(database: Database, wire: int) -> None:
    question = Q(database)
    event = E(database, wire, "Nagato talks", questions=[question])
    event_links.unlink_event(database, event, question)
    forecasts.add_forecast(
        database, question, ForecastInput("ana", probability=0.4, made_at=day(8), because=[event])
    )
    assert links(database, question) == {event: "cited"}


def test_what_is_new_since_each_persons_last_forecast(database: Database, wire: int) -> None:
    summit, other = Q(database, "Will the summit sign a treaty?", closes=None), Q(database, closes=None)
    F(database, summit, 0.3, by="ana", at=2)
    F(database, other, 0.3, by="ana", at=2)
    event_links.watch_question(database, summit, "treaty")
    first = E(database, wire, "Treaty talks resume", at=3)
    second = E(database, wire, "Treaty draft leaked", at=4)
    news = event_links.new_since_last_forecast(database, "ana")
    assert [(n.question_id, {e for e, _ in n.events}) for n in news] == [(summit, {first, second})]
    assert event_links.count_new(news) == (2, 1)
    assert event_links.new_since_last_forecast(database, "bo") == []
    marked = {e.id: e.new for e in event_links.linked_events(database, summit, forecaster="ana")}
    assert marked == {first: True, second: True}


def test_links_origins_unlinks_citations_and_watch_rules_survive_export_and_import(
    database: Database, wire: int, tmp_path
) -> None:
    """The transfer property test covers random histories; this one reads like the story."""
    question = Q(database, "Will the Nagato summit settle the territory?")
    event_links.watch_question(database, question, "nagato")
    E(database, wire, "Nagato summit date fixed", key="a", at=2)
    by_hand = E(database, wire, "Putin lands in Yamaguchi", key="b", at=3)
    unlinked = E(database, wire, "Nagato onsen review", key="c", at=3)  # linked by the rule, then not
    cited = E(database, wire, "Tokyo: about 80 deals", key="d", at=4)
    event_links.link_event(database, by_hand, question)
    event_links.unlink_event(database, unlinked, question)
    given = ForecastInput("ana", probability=0.1, made_at=day(5), because=[cited])
    forecasts.add_forecast(database, question, given)
    bundle = export_bundle(database)
    copy = open_database(f"sqlite:///{tmp_path}/copy.db")
    for content, name in ((forecasts_csv(bundle), "f.csv"), (events_csv(bundle), "e.events.csv")):
        import_bundle(copy, read_file(content.encode(), name).bundle)
    copied = {e.title: e.origin for e in event_links.linked_events(copy, question)}
    assert copied == {
        "Nagato summit date fixed": "rule",
        "Putin lands in Yamaguchi": "manual",
        "Tokyo: about 80 deals": "cited",
    }
    assert event_links.watched_questions(copy) == [
        (question, "Will the Nagato summit settle the territory?", "nagato")
    ]
    [forecast] = export_bundle(copy).forecasts
    assert forecast.because == (("wire", "d"),)
    E(copy, 1, "Nagato onsen review, again", key="c", at=3)  # re-ingested: still unlinked
    assert "Nagato onsen review, again" not in {e.title for e in event_links.linked_events(copy, question)}
    copy.dispose()


def test_a_watch_rule_that_cannot_be_read_is_refused(database: Database) -> None:
    question = Q(database)
    with pytest.raises(Invalid, match="never closed"):
        event_links.watch_question(database, question, "(kuril")
    assert event_links.watch_question(database, question, "  ").rule is None


def test_citations_are_stored_once_per_forecast_and_event(database: Database, wire: int) -> None:
    question = Q(database)
    event = E(database, wire, "Summit")
    forecasts.add_forecast(
        database, question, ForecastInput("ana", probability=0.5, made_at=day(2), because=[event, event])
    )
    with database.read_session() as session:
        assert len(session.scalars(select(ForecastEvent)).all()) == 1


RULES = ["kuril*", '"joint activity" OR 北方領土', "NOT putin", "長門 OR nagato", "treaty NOT 2016"]
TEXTS = [
    ("Kuril talks", "joint activity agreed"),
    ("北方領土問題で進展なし", "長門での会談"),
    ("Putin in Nagato", "treaty 2016"),
    ("Treaty hopes fade", "no date"),
    ("Football", ""),
]


def test_linking_as_events_arrive_equals_back_filling_afterwards(database: Database, wire: int) -> None:
    """The batch path (a temporary index per batch) and the back-fill (the stored index) agree."""
    before = [Q(database, closes=None) for _ in RULES]
    for question, rule in zip(before, RULES, strict=True):
        event_links.watch_question(database, question, rule)
    stored = [E(database, wire, title, summary=summary) for title, summary in TEXTS]
    after = [Q(database, closes=None) for _ in RULES]
    for question, rule in zip(after, RULES, strict=True):
        event_links.watch_question(database, question, rule)
    for early, late in zip(before, after, strict=True):
        assert set(links(database, early)) == set(links(database, late))
    assert set(links(database, before[0])) == {stored[0]}
    assert set(links(database, before[2])) == {stored[0], stored[1], stored[3], stored[4]}


def test_a_watch_rule_links_events_up_to_the_questions_close_only(database: Database, wire: int) -> None:
    question = Q(database, closes=30)
    event_links.watch_question(database, question, "kuril*")
    early = E(database, wire, "Kuril talks begin", at=20)
    E(database, wire, "Kuril talks, years later", at=400)
    assert links(database, question) == {early: "rule"}
    later = Q(database, closes=30)
    assert event_links.watch_question(database, later, "kuril*").linked == 1


def test_the_timeline_opens_on_the_question_with_most_going_on(database: Database, wire: int) -> None:
    flat, lively = Q(database, closes=None), Q(database, closes=None)
    for at in (1, 2, 3, 4):
        F(database, flat, 0.5, by="ana", at=at)  # restated: no update
    for at, p in ((1, 0.5), (2, 0.3), (3, 0.6)):
        F(database, lively, p, by="ana", at=at)
    E(database, wire, "Talks collapse", at=2, questions=[lively])
    assert event_links.liveliest_question(database) == lively
