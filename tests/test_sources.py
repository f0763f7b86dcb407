"""Each source kind against a real loopback HTTP server: normal replies and every failure."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import UTC, datetime

import pytest

from tests.loopback import FIXTURES, Loopback, Request, Route
from tracker.sources import feeds, gdelt_doc, gdelt_events, manifold, metaculus, polymarket
from tracker.sources.base import RateLimited, SourceConfig, SourceError, normalise_link
from tracker.sources.http import Fetcher

NOW = datetime(2016, 12, 16, 12, 0, tzinfo=UTC)
RSS = "application/rss+xml; charset=utf-8"


@pytest.fixture
def fetcher():
    with Fetcher(max_bytes=200_000, deadline=3.0) as client:
        yield client


def feed(url: str, **state: str | None) -> SourceConfig:
    return SourceConfig(name="wire", kind="rss", url=url, **state)


# --- RSS and Atom --------------------------------------------------------------------------------


def test_rss_items_are_normalised(loopback: Loopback, fetcher: Fetcher) -> None:
    url = loopback.serve_file("/rss", "summit_rss.xml", RSS, ETag='"v1"')
    result = feeds.poll(feed(url), fetcher, NOW)
    by_title = {item.title: item for item in result.items}
    joint = by_title["Abe and Putin agree on joint economic activity on the Kuril Islands"]
    assert joint.key == "wire-2016-12-16-001"  # the guid
    assert joint.occurred_at == datetime(2016, 12, 16, 0, 30, tzinfo=UTC)  # +0900 → UTC
    assert joint.summary == "Leaders in Tokyo sign about 80 documents."  # HTML → text
    assert joint.tags == ("Diplomacy",)  # as the feed wrote it; stored normalised (test_ingest)
    residents = by_title["Northern Territories: former residents hope for visits"]
    assert (
        residents.key
        == normalise_link("http://127.0.0.1/news/residents")
        == "http://127.0.0.1/news/residents"
    )
    script = by_title["<script>alert(1)</script> Kuril rumour"]  # kept as text, never as markup
    assert script.estimated
    assert script.occurred_at == NOW
    future = by_title["Kuril fisheries talks scheduled"]
    assert future.estimated
    assert future.occurred_at == NOW
    assert any("in the future" in note for note in result.notes)
    assert len(result.items) == 6  # the untitled item falls back to its summary and a hash key
    untitled = [item for item in result.items if item.key.startswith("sha256:")]
    assert len(untitled) == 1
    assert untitled[0].title.startswith("Kuril item")
    assert result.etag == '"v1"'


def test_atom_html_titles_become_text(loopback: Loopback, fetcher: Fetcher) -> None:
    url = loopback.serve_file("/atom", "summit_atom.xml", "application/atom+xml")
    items = feeds.poll(SourceConfig("atom", "atom", url), fetcher, NOW).items
    assert items[0].title == "Putin in Nagato for talks on the Kuril islands"
    assert items[0].occurred_at == datetime(2016, 12, 14, 21, 0, tzinfo=UTC)
    assert items[1].occurred_at == datetime(2016, 12, 16, 1, 0, tzinfo=UTC)  # updated when no published


def test_conditional_get_sends_validators_and_304_means_nothing_new(
    loopback: Loopback, fetcher: Fetcher
) -> None:
    body = (FIXTURES / "summit_rss.xml").read_bytes()

    def conditional(request: Request) -> Route:
        if request.headers.get("if-none-match") == '"v1"':
            return Route(b"", 304)
        return Route(body, headers={"ETag": '"v1"', "Last-Modified": "Fri, 16 Dec 2016 10:00:00 GMT"})

    url = loopback.serve("/conditional", conditional)
    first = feeds.poll(feed(url), fetcher, NOW)
    second = feeds.poll(feed(url, etag=first.etag, last_modified=first.last_modified), fetcher, NOW)
    assert second.not_modified
    assert second.items == []
    assert loopback.requests[-1].headers["if-modified-since"] == "Fri, 16 Dec 2016 10:00:00 GMT"


def test_unchanged_body_without_validators_is_not_parsed_again(loopback: Loopback, fetcher: Fetcher) -> None:
    url = loopback.serve_file("/plain", "summit_rss.xml", RSS)
    first = feeds.poll(feed(url), fetcher, NOW)
    second = feeds.poll(feed(url, body_hash=first.body_hash), fetcher, NOW)
    assert second.not_modified


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (
            Route(b"<html><body>Login</body></html>", headers={"Content-Type": "text/html"}),
            "got an HTML page",
        ),
        (Route(b"<!DOCTYPE html><html></html>"), "got an HTML page"),
        (Route(b"this is not xml at all"), "not an RSS or Atom feed"),
        (Route(b"oops", 500), "HTTP 500"),
        (Route(b"gone", 404), "HTTP 404"),
        (Route(b"no", 403), "HTTP 403"),
        (Route(b"x" * 300_000), "over the 200,000-byte cap"),
        (Route(b"x" * 300_000, headers={"Content-Length": "300000"}), "over the 200,000-byte cap"),
        (
            Route(
                b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                b"<rss><channel><item><title>&lol2;</title></item></channel></rss>"
            ),
            "declares XML entities",
        ),
    ],
)
def test_feed_failures_say_why(loopback: Loopback, fetcher: Fetcher, route: Route, message: str) -> None:
    url = loopback.serve("/bad", route)
    with pytest.raises(SourceError, match=message):
        feeds.poll(feed(url), fetcher, NOW)


def test_malformed_xml_with_entries_is_read_leniently(loopback: Loopback, fetcher: Fetcher) -> None:
    body = b"<rss version='2.0'><channel><item><title>Kuril & Shikotan</title><guid>a</guid></item></channel>"
    result = feeds.poll(feed(loopback.serve("/broken", Route(body))), fetcher, NOW)
    assert [item.title for item in result.items] == ["Kuril & Shikotan"]
    assert any("not well-formed" in note for note in result.notes)


def one_item_feed(declaration: str, title: str, guid: str) -> str:
    item = f"<item><title>{title}</title><guid>{guid}</guid></item>"
    return f"{declaration}<rss version='2.0'><channel>{item}</channel></rss>"


def test_undeclared_legacy_encoding_is_decoded(loopback: Loopback, fetcher: Fetcher) -> None:
    body = one_item_feed("<?xml version='1.0'?>", "Café Sakhalin – talks", "c")
    url = loopback.serve("/cp1252", Route(body.encode("cp1252"), headers={"Content-Type": "application/xml"}))
    assert feeds.poll(feed(url), fetcher, NOW).items[0].title == "Café Sakhalin – talks"


def test_wrong_declared_encoding_is_survived(loopback: Loopback, fetcher: Fetcher) -> None:
    body = one_item_feed("<?xml version='1.0' encoding='utf-8'?>", "Ёлка в Южно-Курильске", "k")
    url = loopback.serve("/koi8", Route(body.replace("utf-8", "koi8-r").encode("utf-8")))
    items = feeds.poll(feed(url), fetcher, NOW).items
    assert len(items) == 1
    assert items[0].key == "k"


def test_rate_limit_carries_retry_after(loopback: Loopback, fetcher: Fetcher) -> None:
    url = loopback.serve("/busy", Route(b"slow down", 429, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as caught:
        feeds.poll(feed(url), fetcher, NOW)
    assert caught.value.retry_after == 120


def test_redirect_loop(loopback: Loopback, fetcher: Fetcher) -> None:
    loopback.serve("/a", Route(status=302, headers={"Location": "/b"}))
    url = loopback.serve("/b", Route(status=302, headers={"Location": "/a"}))
    with pytest.raises(SourceError, match="redirect loop"):
        feeds.poll(feed(url), fetcher, NOW)


def test_redirect_is_followed(loopback: Loopback, fetcher: Fetcher) -> None:
    loopback.serve_file("/moved", "summit_rss.xml", RSS)
    url = loopback.serve("/old", Route(status=301, headers={"Location": "/moved"}))
    assert len(feeds.poll(feed(url), fetcher, NOW).items) == 6


def test_timeout(loopback: Loopback) -> None:
    import httpx

    url = loopback.serve("/slow", Route(b"late", delay=1.5))
    with Fetcher(timeout=httpx.Timeout(0.5, connect=0.5)) as slow_client:
        with pytest.raises(SourceError, match="timed out"):
            feeds.poll(feed(url), slow_client, NOW)


def test_drip_feed_hits_the_deadline(loopback: Loopback) -> None:
    url = loopback.serve("/drip", Route(b"x" * 20_000, drip=0.2))
    with Fetcher(deadline=0.5) as client:
        with pytest.raises(SourceError, match="took over"):
            feeds.poll(feed(url), client, NOW)


def test_refused_connection(fetcher: Fetcher) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SourceError, match="cannot connect"):
        feeds.poll(feed(f"http://127.0.0.1:{port}/feed"), fetcher, NOW)


# --- GDELT ---------------------------------------------------------------------------------------


def doc_source(url: str) -> SourceConfig:
    return SourceConfig("gdelt", "gdelt-doc", url, {"query": "kuril sourcelang:english", "timespan": "1d"})


def test_gdelt_doc_articles(loopback: Loopback, fetcher: Fetcher) -> None:
    body = (FIXTURES / "gdelt_artlist.json").read_bytes().replace(b"\\u0007", b"\x07")  # a raw control char
    url = loopback.serve("/api/v2/doc/doc", Route(body, headers={"Content-Type": "application/json"}))
    result = gdelt_doc.poll(doc_source(url), fetcher, NOW)
    assert [item.title for item in result.items] == [
        "Abe, Putin agree on joint activity on disputed isles",
        "Nagato talks last three hours",
    ]
    assert result.items[0].occurred_at == datetime(2016, 12, 16, 4, 30, tzinfo=UTC)
    assert result.items[0].key == "http://127.0.0.1/jp/2016/12/16/abe-putin"
    assert result.items[0].summary == "example.jp · Japan · English"
    assert result.rejected == ["article 3: no url or title"]
    assert "query=kuril" in loopback.requests[-1].path
    assert "mode=artlist" in loopback.requests[-1].path


def test_gdelt_doc_no_hits(loopback: Loopback, fetcher: Fetcher) -> None:
    url = loopback.serve("/api/v2/doc/doc", Route(b"{}"))
    assert gdelt_doc.poll(doc_source(url), fetcher, NOW).items == []


@pytest.mark.parametrize("status", [200, 429])
def test_gdelt_doc_throttling_text(loopback: Loopback, fetcher: Fetcher, status: int) -> None:
    body = b"Please limit requests to one every 5 seconds or contact us for larger queries."
    url = loopback.serve("/api/v2/doc/doc", Route(body, status, headers={"Content-Type": "text/plain"}))
    with pytest.raises(RateLimited):
        gdelt_doc.poll(doc_source(url), fetcher, NOW)


def test_gdelt_doc_error_page(loopback: Loopback, fetcher: Fetcher) -> None:
    url = loopback.serve(
        "/api/v2/doc/doc", Route(b"<html>Invalid query</html>", headers={"Content-Type": "text/html"})
    )
    with pytest.raises(SourceError, match="did not return JSON"):
        gdelt_doc.poll(doc_source(url), fetcher, NOW)


def serve_gdelt_export(
    loopback: Loopback, name: str = "20161216043000.export.CSV.zip", table: bytes | None = None
) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(name.removesuffix(".zip"), table or (FIXTURES / "gdelt_export.tsv").read_bytes())
    archive = buffer.getvalue()
    import hashlib

    zip_url = loopback.serve(f"/gdeltv2/{name}", Route(archive))
    digest = hashlib.md5(archive).hexdigest()
    listing = f"{len(archive)} {digest} {zip_url}\n1 0 {zip_url}.mentions\n1 0 {zip_url}.gkg\n"
    loopback.serve("/gdeltv2/lastupdate.txt", Route(listing.encode()))
    return loopback.url("/gdeltv2/")


def test_gdelt_events_export(loopback: Loopback, fetcher: Fetcher) -> None:
    base = serve_gdelt_export(loopback)
    config = SourceConfig("events", "gdelt-events", base, {"actors": ["JPN", "RUS"]})
    result = gdelt_events.poll(config, fetcher, NOW)
    assert [item.key for item in result.items] == ["gdelt:600001", "gdelt:600002", "gdelt:600004"]
    first = result.items[0]
    assert first.title == "JAPAN → RUSSIA: sign formal agreement"
    assert "CAMEO 057" in first.summary  # leading zero kept
    assert first.occurred_at == datetime(2016, 12, 16, tzinfo=UTC)
    assert first.estimated
    assert result.rejected == ["row 5: 3 columns, expected 61"]
    again = gdelt_events.poll(
        SourceConfig("events", "gdelt-events", base, {"actors": ["JPN", "RUS"]}, etag=result.etag),
        fetcher,
        NOW,
    )
    assert again.not_modified


def _gdelt_rows() -> list[list[str]]:
    lines = (FIXTURES / "gdelt_export.tsv").read_text().splitlines()
    return [line.split("\t") for line in lines if line.count("\t") == 60]


def _gdelt_table(rows: list[list[str]]) -> bytes:
    return "".join("\t".join(row) + "\n" for row in rows).encode()


@pytest.mark.parametrize(
    ("actors", "kept"),
    [
        (["RUS"], ["gdelt:600001", "gdelt:600002", "gdelt:600004", "gdelt:700001"]),  # either actor
        (["JPN", "RUS"], ["gdelt:600001", "gdelt:600002", "gdelt:600004"]),  # both, and different
        (["CHN"], ["gdelt:600003"]),
    ],
)
def test_gdelt_events_one_country_means_either_actor(
    loopback: Loopback, fetcher: Fetcher, actors: list[str], kept: list[str]
) -> None:
    """actors=RUS once matched nothing, run after run; rows the filter drops are counted."""
    rows = _gdelt_rows()
    lone = list(rows[0])
    lone[0], lone[gdelt_events.ACTOR1_COUNTRY], lone[gdelt_events.ACTOR1_NAME] = "700001", "RUS", "RUSSIA"
    lone[gdelt_events.ACTOR2_COUNTRY] = lone[gdelt_events.ACTOR2_NAME] = ""  # no second actor: normal
    lone[gdelt_events.SQLDATE] = "20161201"  # dated before the slice: normal in GDELT
    base = serve_gdelt_export(loopback, table=_gdelt_table([*rows, lone]))
    result = gdelt_events.poll(SourceConfig("events", "gdelt-events", base, {"actors": actors}), fetcher, NOW)
    assert sorted(item.key for item in result.items) == kept
    assert result.n_filtered == len(rows) + 1 - len(kept)
    assert result.rejected == []


def test_gdelt_1_rows_are_rejected_one_by_one_and_counted(loopback: Loopback, fetcher: Fetcher) -> None:
    rows = _gdelt_rows()
    old = [row[:57] for row in rows[:2]] + [row[:58] for row in rows[2:3]]
    base = serve_gdelt_export(loopback, table=_gdelt_table([*rows, *old]))
    result = gdelt_events.poll(SourceConfig("events", "gdelt-events", base), fetcher, NOW)
    assert len(result.items) == 3
    assert [r.split(":")[0] for r in result.rejected] == ["row 5", "row 6", "row 7"]
    assert "(a GDELT 1.0 row)" in result.rejected[0]
    assert result.notes == [
        "3 rows are GDELT 1.0 events (57–58 columns) and were rejected; "
        "this source reads GDELT 2.0 exports (61 columns)"
    ]


def test_gdelt_events_checksum_mismatch(loopback: Loopback, fetcher: Fetcher) -> None:
    base = serve_gdelt_export(loopback)
    listing = loopback.routes["/gdeltv2/lastupdate.txt"].body.replace(b" ", b" 0", 1)
    loopback.serve("/gdeltv2/lastupdate.txt", Route(listing.replace(listing.split()[1], b"0" * 32)))
    with pytest.raises(SourceError, match="does not match its MD5"):
        gdelt_events.poll(SourceConfig("events", "gdelt-events", base), fetcher, NOW)


# --- Crowd platforms -----------------------------------------------------------------------------


def test_manifold_market(loopback: Loopback, fetcher: Fetcher) -> None:
    loopback.serve_file("/v0/market/fixtureMkt1", "manifold_market.json", "application/json")
    config = SourceConfig("mf", "manifold", loopback.url(""), {"market": "fixtureMkt1"})
    snapshot = manifold.poll(config, fetcher, NOW).snapshot
    assert snapshot.probability == 0.062
    assert snapshot.resolution is None


def test_manifold_resolved_market_proposes(loopback: Loopback, fetcher: Fetcher) -> None:
    loopback.serve_file("/v0/market/fixtureMkt1", "manifold_resolved.json", "application/json")
    config = SourceConfig("mf", "manifold", loopback.url(""), {"market": "fixtureMkt1"})
    snapshot = manifold.poll(config, fetcher, NOW).snapshot
    assert snapshot.resolution == "no"
    assert snapshot.resolved_at == datetime(2017, 1, 1, tzinfo=UTC)  # milliseconds since the epoch


def test_polymarket_prices_inside_strings(loopback: Loopback, fetcher: Fetcher) -> None:
    loopback.serve_file("/markets/501234", "polymarket_market.json", "application/json")
    config = SourceConfig("pm", "polymarket", loopback.url(""), {"market": "501234"})
    assert polymarket.poll(config, fetcher, NOW).snapshot.probability == 0.085


def test_metaculus_with_token(loopback: Loopback, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METACULUS_TOKEN", "fixture-token")
    loopback.serve_file("/api/posts/45179/", "metaculus_post.json", "application/json")
    config = SourceConfig("mc", "metaculus", loopback.url(""), {"post": "45179"})
    assert metaculus.poll(config, fetcher, NOW).snapshot.probability == 0.04
    assert loopback.requests[-1].headers["authorization"] == "Token fixture-token"


def test_metaculus_without_aggregation_says_so(loopback: Loopback, fetcher: Fetcher) -> None:
    loopback.serve_file("/api/posts/45179/", "metaculus_no_aggregation.json", "application/json")
    result = metaculus.poll(
        SourceConfig("mc", "metaculus", loopback.url(""), {"post": "45179"}), fetcher, NOW
    )
    assert result.snapshot.probability is None
    assert "METACULUS_TOKEN" in result.notes[0]


@pytest.mark.parametrize(
    ("module", "settings", "path", "body", "message"),
    [
        (manifold, {"market": "x"}, "/v0/market/x", b"not json", "did not return JSON"),
        (manifold, {"market": "x"}, "/v0/market/x", b'{"foo": 1}', "not a Manifold market"),
        (
            polymarket,
            {"market": "x"},
            "/markets/x",
            b'{"outcomes": "[\\"Yes\\", \\"No\\"]", "outcomePrices": "[broken"}',
            "not a JSON list",
        ),
        (
            metaculus,
            {"post": "x"},
            "/api/posts/x/",
            b'{"question": {"type": "discrete"}}',
            "only binary, numeric and date Metaculus questions",
        ),
        (
            metaculus,
            {"post": "x"},
            "/api/posts/x/",
            b'{"question": {"type": "numeric", "aggregations": {"unweighted": {"latest": '
            b'{"forecast_values": [0.1, 0.5, 0.9]}}}, "scaling": {}}}',
            "the community CDF could not be read: the question's scaling has no range_min",
        ),
        (
            metaculus,
            {"post": "x"},
            "/api/posts/x/",
            b'{"question": {"type": "numeric", "aggregations": {"unweighted": {"latest": '
            b'{"forecast_values": [0.1, 0.9, 0.5]}}}, "scaling": {"range_min": 0, "range_max": 2}}}',
            "the community CDF could not be read: the CDF values must lie in 0–1 and never fall",
        ),
        (manifold, {}, "/v0/market/x", b"{}", "needs the market id"),
    ],
)
def test_crowd_failures(loopback: Loopback, fetcher: Fetcher, module, settings, path, body, message) -> None:
    loopback.serve(path, Route(body))
    with pytest.raises(SourceError, match=message):
        module.poll(SourceConfig("c", "crowd", loopback.url(""), settings), fetcher, NOW)


def test_headers_dripped_line_by_line_hit_the_one_deadline(loopback: Loopback) -> None:
    """One header line every 0.3 s never trips the 10 s read timeout; the request's deadline
    covers the headers too, so it ends after the deadline, not when the server stops."""
    url = loopback.serve("/slow-headers", Route(b"<rss/>", header_drip=0.3, header_lines=40))
    started = time.monotonic()
    with Fetcher(deadline=1.0) as client:
        with pytest.raises(SourceError, match=r"took over 1 s; gave up"):
            feeds.poll(feed(url), client, NOW)
    assert time.monotonic() - started < 2.5


def test_a_request_gives_up_when_its_fetcher_is_cancelled(loopback: Loopback) -> None:
    """The worker's stop sets the flag: a request blocked on a silent server ends within a second."""
    import threading

    url = loopback.serve("/silent", Route(b"late", delay=20))
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    with Fetcher(deadline=30.0, cancelled=stop) as client:
        with pytest.raises(SourceError, match="stopped"):
            feeds.poll(feed(url), client, NOW)
    assert time.monotonic() - started < 2.0


def test_a_dripped_header_server_is_read_when_it_finishes_in_time(loopback: Loopback) -> None:
    url = loopback.serve_file("/rss-ok", "summit_rss.xml", RSS)
    body = loopback.routes["/rss-ok"]
    assert isinstance(body, Route)
    url = loopback.serve("/rss-drip", Route(body.body, header_drip=0.05, header_lines=5))
    with Fetcher(deadline=5.0) as client:
        assert len(feeds.poll(feed(url), client, NOW).items) == 6


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", 120.0),
        ("0", 1.0),  # at least a second
        ("99999999999", 24 * 3600.0),  # today: parked until the year 5195
        ("nan", 300.0),
        ("1e400", 300.0),
        ("-5", 300.0),
        ("1.5", 300.0),  # not whole seconds: not RFC 9110's delay-seconds
        ("soon", 300.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1.0),  # a date in the past
        ("Fri, 31 Dec 9999 23:59:59 GMT", 24 * 3600.0),
        ("", 300.0),
    ],
)
def test_retry_after_is_validated_and_capped(
    loopback: Loopback, fetcher: Fetcher, header: str, wait: float
) -> None:
    url = loopback.serve("/busy", Route(b"slow down", 429, headers={"Retry-After": header}))
    with pytest.raises(RateLimited) as caught:
        feeds.poll(feed(url), fetcher, NOW)
    assert caught.value.retry_after == pytest.approx(wait)


def _manifold(loopback: Loopback, fetcher: Fetcher, **changes: object):
    data = json.loads((FIXTURES / "manifold_resolved.json").read_text()) | changes
    loopback.serve("/v0/market/edited", Route(json.dumps(data).encode()))
    return manifold.poll(SourceConfig("mf", "manifold", loopback.url(""), {"market": "edited"}), fetcher, NOW)


@pytest.mark.parametrize(
    ("resolution", "at", "outcome", "why"),
    [
        ("CANCEL", None, "annulled", ""),
        ("MKT", 0.63, "annulled", "resolved MKT at 63%, not a yes or a no"),  # today: still open
        ("MKT", 1.0, "yes", "resolved MKT at 100%"),
        ("MKT", 0.0, "no", "resolved MKT at 0%"),
        ("YES", None, "yes", ""),
    ],
)
def test_manifold_settlements(
    loopback: Loopback, fetcher: Fetcher, resolution: str, at: float | None, outcome: str, why: str
) -> None:
    snapshot = _manifold(loopback, fetcher, resolution=resolution, resolutionProbability=at).snapshot
    assert snapshot.resolution == outcome
    assert why in snapshot.resolution_note


@pytest.mark.parametrize("kind", ["MULTIPLE_CHOICE", "POLL", "NUMBER", "PSEUDO_NUMERIC"])
def test_manifold_markets_that_are_not_yes_no_are_refused_by_name(
    loopback: Loopback, fetcher: Fetcher, kind: str
) -> None:
    with pytest.raises(SourceError, match=rf"\({kind}\), not yes/no"):
        _manifold(loopback, fetcher, outcomeType=kind, isResolved=False)


@pytest.mark.parametrize(
    ("prices", "outcome"), [('["1", "0"]', "yes"), ('["0", "1"]', "no"), ('["0.5", "0.5"]', "annulled")]
)
def test_a_closed_polymarket_market_at_50_50_proposes_annulled(
    loopback: Loopback, fetcher: Fetcher, prices: str, outcome: str
) -> None:
    data = json.loads((FIXTURES / "polymarket_market.json").read_text()) | {
        "closed": True,
        "outcomePrices": prices,
    }
    loopback.serve("/markets/closed", Route(json.dumps(data).encode()))
    snapshot = polymarket.poll(
        SourceConfig("pm", "polymarket", loopback.url(""), {"market": "closed"}), fetcher, NOW
    ).snapshot
    assert snapshot.resolution == outcome
    assert ("not 1 or 0: annulled?" in snapshot.resolution_note) == (outcome == "annulled")


def test_metaculus_numeric_aggregate_becomes_quantiles(loopback: Loopback, fetcher: Fetcher) -> None:
    """The community CDF of a real question (USD–ARS, 13 Feb 2026) read as the percentiles
    Metaculus's own export gives for the same aggregate."""
    import csv

    loopback.serve_file("/api/posts/41583/", "metaculus_numeric_post.json", "application/json")
    config = SourceConfig("mc", "metaculus", loopback.url(""), {"post": "41583"})
    result = metaculus.poll(config, fetcher, NOW)
    with (FIXTURES / "metaculus_export" / "usd_ars_forecast_data.csv").open(encoding="utf-8") as handle:
        published = list(csv.DictReader(handle))[-1]
    names = ("5th Percentile", "25th Percentile", "Median", "75th Percentile", "95th Percentile")
    assert result.snapshot.probability is None
    assert [level for level, _ in result.snapshot.quantiles] == [0.05, 0.25, 0.5, 0.75, 0.95]
    assert [value for _, value in result.snapshot.quantiles] == pytest.approx(
        [float(published[name]) for name in names], rel=1e-9
    )
    assert result.notes == []


def test_metaculus_range_points_follow_its_scaling() -> None:
    linear = metaculus.range_points({"range_min": 1350, "range_max": 1600}, 201)
    assert linear[:2] == [1350.0, 1351.25]
    assert linear[-1] == 1600.0
    log = metaculus.range_points({"range_min": 1, "range_max": 1000, "zero_point": 0}, 4)
    assert log == pytest.approx([1, 10, 100, 1000])
    dates = metaculus.range_points({"continuous_range": ["2017-01-01T00:00:00Z", "2017-01-02T00:00:00Z"]}, 2)
    assert dates == [1483228800.0, 1483315200.0]


def test_a_resolved_numeric_metaculus_question_is_told_not_logged() -> None:
    post = {"id": 1, "title": "Brent", "question": {"type": "numeric", "resolution": "56.82"}}
    snapshot, notes = metaculus.parse_post(post, NOW, "mc")
    assert snapshot.quantiles is None
    assert snapshot.resolution is None
    assert notes == ["Metaculus resolved it: 56.82; enter the value on the question's page"]
