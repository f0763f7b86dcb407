"""Nothing leaves the machine by accident: every text a user, a feed or a file can write is seeded
with Markdown and HTML that would fetch an image from a loopback server, and Chromium opens every
page. The server must see no request, and the browser must ask nothing of any host but the
dashboard's own. Only http(s) links are links; a `javascript:` one is text.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from db import Database, open_database
from services import demo, sources, status
from tests.browser.conftest import save_screenshot, serving, wait_for_app
from tests.loopback import Loopback, Route, loopback_server

pytestmark = pytest.mark.browser

# Text columns that people, feeds, files and the worker fill, by table.
SEEDED = {
    "question": ("title", "description", "resolution_criteria"),
    "forecaster": ("name", "description"),
    "forecast": ("rationale",),
    "resolution": ("note", "source"),
    "event": ("title", "summary"),
    "question_tag": ("tag",),
    "event_tag": ("tag",),
    "resolution_proposal": ("detail",),
}


def markup(spy: Loopback, where: str) -> str:
    """Markdown and HTML that fetch from the spy server if rendered, named by where they sit."""
    return (
        f" ![m]({spy.url(f'/md/{where}.png')})"
        f' <img src="{spy.url(f"/html/{where}.png")}">'
        f' <iframe src="{spy.url(f"/frame/{where}")}"></iframe>'
    )


def _seed_columns(connection: sqlite3.Connection, spy: Loopback) -> None:
    for table, columns in SEEDED.items():
        for column in columns:
            connection.execute(
                f"UPDATE {table} SET {column} = coalesce({column}, '') || ? || rowid",
                (markup(spy, f"{table}.{column}") + " #",),
            )


def _seed_options(connection: sqlite3.Connection, spy: Loopback) -> None:
    """Multiple-choice options, and the resolutions that name them."""
    rows = connection.execute("SELECT id, options FROM question WHERE options IS NOT NULL").fetchall()
    for question, options in rows:
        renamed = {o: f"{o}{markup(spy, 'option')}" for o in json.loads(options)}
        connection.execute(
            "UPDATE question SET options = ? WHERE id = ?", (json.dumps(list(renamed.values())), question)
        )
        for old, new in renamed.items():
            connection.execute(
                "UPDATE resolution SET option = ? WHERE question_id = ? AND option = ?", (new, question, old)
            )


def _seed_failed_run(database: Database, spy: Loopback) -> None:
    """A feed's run that failed with an error and notes quoting the feed."""
    (source,) = [s for s in sources.list_sources(database) if s.kind == "rss"][:1]
    with database.write_session() as session:
        run = status.start_run(session, f"source:{source.name}", source_id=source.id, now=datetime.now(UTC))
        status.finish_run(
            session,
            run,
            "error",
            status.RunCounts(n_rejected=1),
            error="HTTP 500" + markup(spy, "run.error"),
            notes=["item rejected:" + markup(spy, "run.notes")],
        )


def _seed_links(connection: sqlite3.Connection, spy: Loopback) -> None:
    connection.execute(
        "UPDATE event SET url = ? WHERE id = (SELECT min(id) FROM event)",
        (f"javascript:fetch('{spy.url('/js')}')",),
    )
    # The scores are cached with the old names: let the pages score the seeded ones.
    for table in ("score_snapshot", "score_piece", "score_state", "score_mark"):
        connection.execute(f"DELETE FROM {table}")


@pytest.fixture(scope="module")
def spy() -> Iterator[Loopback]:
    with loopback_server() as server:
        server.serve("/", Route(b"fetched"))
        yield server


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, spy: Loopback) -> Iterator[tuple[str, Path]]:
    """The demo with every text seeded, served: the dashboard's address and its database."""
    path = tmp_path_factory.mktemp("hostile") / "tracker.db"
    database = open_database(f"sqlite:///{path}")
    demo.load_demo_on_first_open(database, wanted=True)
    _seed_failed_run(database, spy)
    database.dispose()
    with sqlite3.connect(path) as connection:
        _seed_columns(connection, spy)
        _seed_options(connection, spy)
        _seed_links(connection, spy)
    with serving(path, demo=False) as url:
        yield url, path


PAGES = ["", "timeline", "questions", "add", "calibration", "sources", "data"]


def _links_that_are_not_http(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "anchors => anchors.map(a => a.href)")
    return [href for href in hrefs if not href.startswith(("http://", "https://"))]


def _visit_everything(page: Page, url: str, path: Path, folder: Path) -> list[str]:
    """Every page and every question's page, expanders open; the non-http(s) links seen."""
    odd_links: list[str] = []
    for name in PAGES:
        page.goto(f"{url}/{name}")
        wait_for_app(page)
        page.wait_for_timeout(1500)  # charts and grids paint, images would load
        odd_links += _links_that_are_not_http(page)
        if name == "sources":
            expect(page.get_by_text("HTTP 500 ![m](")).not_to_have_count(0)  # shown, as written
            save_screenshot(page, folder, "hostile-text-sources")
    with sqlite3.connect(path) as connection:
        questions = [q for (q,) in connection.execute("SELECT id FROM question ORDER BY id")]
    for question in questions:
        page.goto(f"{url}/questions?question={question}")
        wait_for_app(page)
        for expander in page.locator("[data-testid=stExpander] summary").all():
            expander.click()
        page.wait_for_timeout(800)
        odd_links += _links_that_are_not_http(page)
        if question == questions[0]:
            expect(page.get_by_role("heading", name=re.compile(r"!\[m\]\(http"))).to_be_visible()
            save_screenshot(page, folder, "hostile-text-question")
    return odd_links


def _upload_hostile_file(page: Page, url: str, spy: Loopback, file: Path) -> None:
    """A Fatebook file whose title, notes and a bad probability carry markup: its preview (notes,
    refused rows and their reasons) and the import's summary show them as text."""
    header = [
        "Question title", "Forecast created by", "Forecast (scale = 0-1)", "Forecast created at",
        "Question created at", "Question resolve by", "Resolution", "Resolved at", "Question notes",
        "Question tags",
    ]  # fmt: skip
    title = "Will it fetch?" + markup(spy, "upload.title")
    times = ["2016-10-15 09:00:00", "2016-12-31 00:00:00", "", ""]
    rows = [
        [title, "Ana", "0.4", "2016-10-15 09:00:00", *times, "n" + markup(spy, "upload.notes"), "x"],
        [title, "Ana", markup(spy, "upload.p"), "2016-10-16 09:00:00", *times, "", "x"],
    ]
    with file.open("w", newline="") as out:
        csv.writer(out).writerows([header, *rows])
    page.goto(f"{url}/data")
    wait_for_app(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(file))
    wait_for_app(page)
    expect(page.get_by_text("1 rows cannot be read and will be skipped")).to_be_visible()
    page.get_by_role("button", name=f"Import {file.name}").click()
    expect(page.get_by_text("Imported: questions: 1 new")).to_be_visible()
    page.wait_for_timeout(1000)


def test_no_seeded_text_makes_the_browser_fetch_anything(
    hostile: tuple[str, Path], spy: Loopback, page: Page, screenshot_folder: Path
) -> None:
    url, path = hostile
    app = urlsplit(url).netloc
    elsewhere: list[str] = []

    def record(request: Request) -> None:
        if urlsplit(request.url).netloc != app and not request.url.startswith(("data:", "blob:")):
            elsewhere.append(request.url)

    page.on("request", record)
    odd_links = _visit_everything(page, url, path, screenshot_folder)
    _upload_hostile_file(page, url, spy, path.with_name("hostile.csv"))
    assert [r.path for r in spy.requests] == []
    assert elsewhere == []
    assert odd_links == []  # the javascript: link of an event is not one
