"""Ingestion on a real database: stored once however often it runs, changes recorded, failures kept
on the job_run with nothing already stored lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import Event, EventRevision, EventTag, Forecast, JobRun, ResolutionProposal, Source
from services.attention import refresh_reminders
from tests.factories import F, Q, S
from tests.loopback import FIXTURES, Loopback, Route
from tracker.ingest import ingest_source

KURIL_RULE = 'kuril* OR "northern territories" OR nagato'


def rss_source(database: Database, url: str, **options) -> int:
    return S(database, options.pop("name", "wire"), url=url, **options).id


def count(database: Database, model) -> int:
    with database.read_session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_feed_items_are_stored_once(database: Database, loopback: Loopback) -> None:
    url = loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml")
    source_id = rss_source(
        database,
        url,
        match=KURIL_RULE,
        settings={"tags": ["summit"], "tag_rules": {"territory": "kuril* OR territories"}},
    )
    first = ingest_source(database, source_id)
    assert (first.status, first.n_new, first.n_unmatched) == ("ok", 5, 1)  # the football item is not stored
    with database.write_session() as session:  # forget the body hash: force a full re-parse
        session.get(Source, source_id).body_hash = None
    second = ingest_source(database, source_id)
    assert (second.n_new, second.n_duplicate) == (0, 5)
    assert count(database, Event) == 5
    with database.read_session() as session:
        title = "Abe and Putin agree on joint economic activity on the Kuril Islands"
        event = session.scalar(select(Event).where(Event.title == title))
        assert sorted(event.tags) == ["diplomacy", "summit", "territory"]
        runs = session.scalars(select(JobRun).order_by(JobRun.id)).all()
        assert [(r.status, r.n_new, r.n_duplicate) for r in runs] == [("ok", 5, 0), ("ok", 0, 5)]
        assert "in the future" in runs[0].notes
        script = session.scalar(select(Event).where(Event.title.like("<script>%")))
        assert script.title == "<script>alert(1)</script> Kuril rumour"
        assert script.occurred_at_estimated


def test_unchanged_feed_is_not_parsed_again(database: Database, loopback: Loopback) -> None:
    source_id = rss_source(database, loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml"))
    ingest_source(database, source_id)
    again = ingest_source(database, source_id)
    assert again.not_modified
    assert "nothing new" in again.summary()


def test_changed_item_is_updated_and_the_old_version_kept(database: Database, loopback: Loopback) -> None:
    body = (FIXTURES / "summit_rss.xml").read_bytes()
    url = loopback.serve("/rss", Route(body))
    source_id = rss_source(database, url)
    ingest_source(database, source_id)
    loopback.serve(
        "/rss", Route(body.replace(b"sign about 80 documents", b"sign 80 documents worth 300 bn yen"))
    )
    report = ingest_source(database, source_id)
    assert (report.n_new, report.n_updated) == (0, 1)
    with database.read_session() as session:
        revision = session.scalars(select(EventRevision)).one()
        assert revision.previous["summary"] == "Leaders in Tokyo sign about 80 documents."
        assert (
            session.get(Event, revision.event_id).summary
            == "Leaders in Tokyo sign 80 documents worth 300 bn yen."
        )


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(b"<html><body>Sign in</body></html>"), "got an HTML page"),
        (Route(b"boom", 503), "HTTP 503"),
        (Route(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><rss/>"), "declares XML entities"),
    ],
)
def test_a_failure_is_recorded_and_nothing_is_lost(
    database: Database, loopback: Loopback, route: Route, message: str
) -> None:
    url = loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml")
    source_id = rss_source(database, url)
    ingest_source(database, source_id)
    loopback.serve("/rss", route)
    report = ingest_source(database, source_id)
    assert report.status == "error"
    assert message in report.error
    assert count(database, Event) == 6
    with database.read_session() as session:
        run = session.scalars(select(JobRun).order_by(JobRun.id.desc())).first()
        assert (run.status, run.finished_at is not None) == ("error", True)
        assert message in run.error


def test_429_backs_off(database: Database, loopback: Loopback) -> None:
    url = loopback.serve("/rss", Route(b"slow", 429, headers={"Retry-After": "600"}))
    source_id = rss_source(database, url)
    assert ingest_source(database, source_id).status == "error"
    skipped = ingest_source(database, source_id)
    assert skipped.status == "skipped"
    assert "backing off until" in skipped.error
    assert len(loopback.requests) == 1  # the second run did not call the server
    later = ingest_source(database, source_id, now=datetime.now(UTC) + timedelta(minutes=11))
    assert later.status == "error"  # polled again after the back-off (still 429)


def test_gdelt_doc_rule_filters(database: Database, loopback: Loopback) -> None:
    url = loopback.serve_file("/doc", "gdelt_artlist.json", "application/json")
    source_id = S(
        database, "gdelt", kind="gdelt-doc", url=url, match="nagato", settings={"query": "kuril"}
    ).id
    report = ingest_source(database, source_id)
    assert (report.n_new, report.n_unmatched, report.n_rejected) == (1, 1, 1)


@pytest.fixture
def treaty(database: Database) -> int:
    return Q(database, "Will Japan and Russia sign a peace treaty in 2016?", closes=None)


def crowd_source(
    database: Database, loopback: Loopback, kind: str, path: str, fixture: str, question: int
) -> int:
    """A crowd source on ``question`` whose platform serves ``fixture`` at ``path``."""
    loopback.serve_file(path, fixture, "application/json")
    setting = {"manifold": {"market": "fixtureMkt1"}, "metaculus": {"post": "45179"}}[kind]
    return S(database, kind, kind=kind, url=loopback.url(""), question_id=question, settings=setting).id


def test_crowd_poll_logs_a_forecast(database: Database, loopback: Loopback, treaty: int) -> None:
    source_id = crowd_source(
        database, loopback, "manifold", "/v0/market/fixtureMkt1", "manifold_market.json", treaty
    )
    assert ingest_source(database, source_id).n_new == 1
    with database.read_session() as session:
        forecast = session.scalars(select(Forecast)).one()
        assert (forecast.probability, forecast.origin, forecast.forecaster.name) == (
            0.062,
            "crowd",
            "crowd:manifold",
        )
        assert forecast.forecaster.kind == "crowd"


def test_resolved_market_proposes_once(database: Database, loopback: Loopback, treaty: int) -> None:
    source_id = crowd_source(
        database, loopback, "manifold", "/v0/market/fixtureMkt1", "manifold_resolved.json", treaty
    )
    ingest_source(database, source_id)
    ingest_source(database, source_id)
    with database.read_session() as session:
        proposal = session.scalars(select(ResolutionProposal)).one()
        assert (proposal.outcome, proposal.status) == ("no", "pending")
        assert session.scalar(select(func.count()).select_from(Forecast)) == 0


def test_metaculus_without_aggregate_is_noted(database: Database, loopback: Loopback, treaty: int) -> None:
    source_id = crowd_source(
        database, loopback, "metaculus", "/api/posts/45179/", "metaculus_no_aggregation.json", treaty
    )
    report = ingest_source(database, source_id)
    assert (report.status, report.n_rejected) == ("ok", 1)
    assert "METACULUS_TOKEN" in report.notes[0]


def test_gdelt_events_tags(database: Database, loopback: Loopback) -> None:
    from tests.test_sources import serve_gdelt_export

    base = serve_gdelt_export(loopback)
    source_id = S(database, "ev", kind="gdelt-events", url=base, settings={"actors": ["JPN", "RUS"]}).id
    report = ingest_source(database, source_id)
    assert (report.n_new, report.n_unmatched) == (3, 1)  # JPN-CHN: not a JPN-RUS event, counted
    with database.read_session() as session:
        assert set(session.scalars(select(EventTag.tag).distinct())) == {
            "gdelt",
            "cameo-05",
            "cameo-04",
            "cameo-06",
        }


def test_reminders_are_idempotent(database: Database) -> None:
    due = Q(database, "Due question resolves by January?", closes=92)  # 1 Jan 2017
    quiet = Q(database, "A quiet open question?", closes=None)
    F(database, quiet, 0.3, by="analyst", at=92)
    now = datetime(2017, 2, 1, tzinfo=UTC)
    first, second = refresh_reminders(database, now), refresh_reminders(database, now)
    assert (first.raised, second.raised) == (2, 0)
    from db.models import Reminder

    with database.read_session() as session:
        kinds = {(r.question_id, r.kind) for r in session.scalars(select(Reminder))}
    assert kinds == {(due, "ready_to_resolve"), (quiet, "stale")}


def test_imported_and_ingested_events_keep_revisions_alike(database: Database, loopback: Loopback) -> None:
    """One event upsert for both paths: a change that arrives by import keeps the old version too."""
    from services.transfer import export_bundle, import_bundle

    body = (FIXTURES / "summit_rss.xml").read_bytes()
    source_id = rss_source(database, loopback.serve("/rss", Route(body)))
    ingest_source(database, source_id)
    bundle = export_bundle(database)
    bundle.events = [
        e._replace(title=e.title + " (corrected)") if i == 0 else e for i, e in enumerate(bundle.events)
    ]
    counts = import_bundle(database, bundle)
    assert (counts.updated["events"], counts.unchanged["events"]) == (1, 5)
    with database.read_session() as session:
        revision = session.scalars(select(EventRevision)).one()
        assert not revision.previous["title"].endswith("(corrected)")
        assert session.get(Event, revision.event_id).title.endswith("(corrected)")


def test_overlapping_runs_store_each_item_once(database: Database, loopback: Loopback) -> None:
    import threading

    url = loopback.serve("/rss", Route((FIXTURES / "summit_rss.xml").read_bytes(), delay=0.2))
    source_id = rss_source(database, url)
    reports = []
    threads = [
        threading.Thread(target=lambda: reports.append(ingest_source(database, source_id))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in reports] == ["ok"] * 3
    assert sum(r.n_new for r in reports) == 6
    assert count(database, Event) == 6


def test_a_market_settled_at_63_percent_proposes_annulled_with_why(
    database: Database, loopback: Loopback, treaty: int
) -> None:
    import json

    data = json.loads((FIXTURES / "manifold_resolved.json").read_text())
    data |= {"resolution": "MKT", "resolutionProbability": 0.63}
    loopback.serve("/v0/market/mkt", Route(json.dumps(data).encode()))
    settings = {"market": "mkt"}
    source_id = S(
        database, "mf", kind="manifold", url=loopback.url(""), question_id=treaty, settings=settings
    ).id
    report = ingest_source(database, source_id)
    assert report.status == "ok", report.error
    with database.read_session() as session:
        proposal = session.scalars(select(ResolutionProposal)).one()
    assert (proposal.outcome, proposal.status) == ("annulled", "pending")
    assert "resolved MKT at 63%" in proposal.detail


def test_metaculus_numeric_aggregate_is_logged_as_a_crowd_forecast(
    database: Database, loopback: Loopback
) -> None:
    """A numeric question linked to a numeric Metaculus post gets the community's quantiles."""
    from tests.factories import NQ

    peso = NQ(database, "USD to ARS on 2026-03-02", lower=1000, upper=2000, unit="ARS", closes=None)
    loopback.serve_file("/api/posts/41583/", "metaculus_numeric_post.json", "application/json")
    source = S(
        database, "mc", kind="metaculus", url=loopback.url(""), question_id=peso, settings={"post": "41583"}
    )
    report = ingest_source(database, source.id)
    assert (report.status, report.n_new) == ("ok", 1)
    with database.read_session() as session:
        forecast = session.scalars(select(Forecast)).one()
        assert (forecast.origin, forecast.forecaster.name, forecast.probability) == (
            "crowd",
            "crowd:metaculus",
            None,
        )
        assert [level for level, _ in forecast.quantiles] == [0.05, 0.25, 0.5, 0.75, 0.95]
        assert forecast.quantiles[2][1] == pytest.approx(1448.4983496772018, rel=1e-9)  # Metaculus's median
    assert ingest_source(database, source.id).n_duplicate == 1  # the same aggregate again: not stored twice


@pytest.mark.parametrize(
    ("fixture", "numeric_question", "message"),
    [
        ("metaculus_numeric_post.json", False, "link the source to a numeric or date question"),
        ("metaculus_post.json", True, "link the source to a yes/no question"),
    ],
)
def test_a_market_of_the_other_kind_is_refused_with_what_to_do(
    database: Database, loopback: Loopback, fixture: str, numeric_question: bool, message: str
) -> None:
    from tests.factories import NQ

    question = NQ(database, closes=None) if numeric_question else Q(database, "Will it happen?", closes=None)
    loopback.serve_file("/api/posts/7/", fixture, "application/json")
    source = S(
        database, "mc", kind="metaculus", url=loopback.url(""), question_id=question, settings={"post": "7"}
    )
    report = ingest_source(database, source.id)
    assert report.status == "error"
    assert message in (report.error or "")
    assert count(database, Forecast) == 0


def test_only_a_kind_that_forecasts_numbers_takes_a_numeric_question(database: Database) -> None:
    from forecasts.errors import Invalid
    from services.questions import question_titles
    from tests.factories import NQ

    brent = NQ(database, closes=None)
    with pytest.raises(Invalid, match="a Manifold market logs crowd forecasts on yes/no questions only"):
        S(
            database,
            "mf",
            kind="manifold",
            url="http://127.0.0.1:9",
            question_id=brent,
            settings={"market": "x"},
        )
    assert brent not in dict(question_titles(database, open_yes_no=True))
    assert brent in dict(question_titles(database, open_yes_no=True, numeric_too=True))
