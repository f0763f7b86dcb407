"""The dashboard in a real browser: Debian Chromium against `streamlit run app.py`.

Opens every page, adds a forecast through the form, resolves the question and
sees its score on the calibration page, and checks that an event titled with
markup shows as text. Tests find questions by what they are, never by id, and
each one only asserts on what it changed itself, so they pass in any order.
Screenshots land in docs/screenshots/ under `make screenshots`.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from db.engine import connect
from db.migrate import PROJECT_ROOT
from services import questions
from services.questions import QuestionFilter
from tests.browser.conftest import SCRIPT_TITLE, save_screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = [
    ("", "Overview"),  # the default page lives at the root
    ("timeline", "Timeline"),
    ("questions", "Questions"),
    ("add", "Add a forecast"),
    ("calibration", "Calibration & scores"),
    ("sources", "Sources & jobs"),
    ("data", "Import & export"),
]


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def no_exception(page: Page) -> None:
    assert page.get_by_test_id("stException").count() == 0


def question_id(dashboard_db: Path, words: str) -> int:
    database = connect(f"sqlite:///{dashboard_db}")
    try:
        (found,) = questions.list_questions(database, QuestionFilter(text=words))
    finally:
        database.dispose()
    return found.id


@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_every_page_opens_cleanly(
    dashboard_url: str, page: Page, screenshot_folder: Path, path: str, heading: str
) -> None:
    open_page(page, f"{dashboard_url}/{path}")
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    no_exception(page)
    save_screenshot(page, screenshot_folder, path or "overview")


def test_markup_in_an_event_title_is_shown_as_text(dashboard_url: str, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_page(page, dashboard_url)
    expect(page.get_by_text(SCRIPT_TITLE)).to_be_visible()  # as text, beside its date
    page.wait_for_timeout(500)
    assert dialogs == []


def test_question_detail_page(
    dashboard_url: str, dashboard_db: Path, page: Page, screenshot_folder: Path
) -> None:
    treaty = question_id(dashboard_db, "Will Japan and Russia sign a peace treaty by 31 Dec 2016")
    open_page(page, f"{dashboard_url}/questions?question={treaty}")
    expect(page.get_by_role("heading", name=re.compile("sign a peace treaty by 31 Dec 2016"))).to_be_visible()
    expect(page.locator("[data-testid=stVegaLiteChart]").first).to_be_visible()
    no_exception(page)
    save_screenshot(page, screenshot_folder, "question-detail")


def test_an_unknown_question_says_so(dashboard_url: str, page: Page) -> None:
    open_page(page, f"{dashboard_url}/questions?question=987654")
    expect(page.get_by_text("There is no question with id 987654")).to_be_visible()
    page.get_by_role("link", name="All questions").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Questions")).to_be_visible()
    no_exception(page)


def test_multiple_choice_history_is_charted_per_option(
    dashboard_url: str, dashboard_db: Path, page: Page, screenshot_folder: Path
) -> None:
    documents = question_id(dashboard_db, "How many documents")
    open_page(page, f"{dashboard_url}/questions?question={documents}")
    expect(page.get_by_role("heading", name=re.compile("How many documents"))).to_be_visible()
    expect(page.get_by_text("Whose forecasts")).to_be_visible()
    expect(page.locator("[data-testid=stVegaLiteChart]").first).to_be_visible()
    no_exception(page)
    save_screenshot(page, screenshot_folder, "question-multiple-choice")


def test_forecast_resolve_and_see_the_score(dashboard_url: str, page: Page, screenshot_folder: Path) -> None:
    open_page(page, f"{dashboard_url}/add")
    page.get_by_label("One line").fill("Will the islands dispute be settled by 2031-12-31? 99%")
    page.get_by_role("textbox", name="Forecaster").first.fill("browser-tester")  # not its help button
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved 99%")).to_be_visible()
    no_exception(page)

    page.get_by_role("link", name="Open the question").click()
    wait_for_app(page)
    expect(
        page.get_by_role("heading", name="Will the islands dispute be settled by 2031-12-31?")
    ).to_be_visible()
    page.locator("[data-testid=stRadio]").get_by_text("no", exact=True).click()
    page.get_by_role("button", name="Review the resolution").click()
    expect(page.get_by_text("Resolve as no")).to_be_visible()  # what will be scored, to confirm
    save_screenshot(page, screenshot_folder, "resolve-confirm")
    page.get_by_role("button", name="Confirm resolution").click()
    expect(page.get_by_text("Resolved no")).to_be_visible()
    no_exception(page)

    open_page(page, f"{dashboard_url}/calibration")
    whose = page.get_by_test_id("stSelectbox").filter(has_text="Whose calibration")
    whose.scroll_into_view_if_needed()  # a menu opened while the page scrolls closes again
    whose.click()
    page.get_by_role("option", name="browser-tester", exact=True).click()
    wait_for_app(page)
    # One 99 % forecast on what did not happen: its whole Brier score, (0.99 − 0)² = 0.980, is miscalibration.
    mcb = page.get_by_test_id("stMetric").filter(has_text="MCB (miscalibration)")
    expect(mcb.get_by_test_id("stMetricValue")).to_have_text("0.980")
    no_exception(page)


def test_import_a_spreadsheet_by_mapping_its_columns_on_the_page(
    dashboard_url: str, page: Page, screenshot_folder: Path
) -> None:
    """A CSV of the user's own layout: the page asks which column holds what (guessed from the
    names), previews, and imports exactly the preview's counts."""
    sheet = PROJECT_ROOT / "tests" / "data" / "imports" / "generic_decimal.csv"
    open_page(page, f"{dashboard_url}/data")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(sheet))
    wait_for_app(page)
    expect(page.get_by_text("Which column holds what?")).to_be_visible()
    expect(page.get_by_text("Preview of generic_decimal.csv, read as csv")).to_be_visible()
    expect(page.get_by_text("--map")).to_have_count(0)  # the page speaks of its own controls
    save_screenshot(page, screenshot_folder, "data-mapping")
    preview = page.get_by_test_id("stDataFrame").first
    expect(preview).to_contain_text("questions")
    page.get_by_role("button", name="Import generic_decimal.csv").click()
    expect(page.get_by_text(re.compile(r"Imported: questions: 2 new.*forecasts: 2 new"))).to_be_visible()
    no_exception(page)


def test_import_a_fatebook_file_twice_and_see_it_once(
    dashboard_url: str, page: Page, screenshot_folder: Path
) -> None:
    fatebook = PROJECT_ROOT / "tests" / "data" / "imports" / "fatebook.csv"
    open_page(page, f"{dashboard_url}/data")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(fatebook))
    wait_for_app(page)
    expect(page.get_by_text("Preview of fatebook.csv, read as fatebook")).to_be_visible()
    page.get_by_role("button", name="Import fatebook.csv").click()
    expect(page.get_by_text(re.compile(r"Imported: questions: 4 new"))).to_be_visible()
    no_exception(page)

    open_page(page, f"{dashboard_url}/data")  # a fresh visit, the same file again
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(fatebook))
    wait_for_app(page)
    expect(page.get_by_text("Everything in this file is already here")).to_be_visible()
    expect(page.get_by_role("button", name="Import fatebook.csv")).to_have_count(0)

    broken = fatebook.with_name("fatebook_broken.csv")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(broken))
    wait_for_app(page)
    expect(page.get_by_text("4 rows cannot be read and will be skipped")).to_be_visible()
    no_exception(page)
    save_screenshot(page, screenshot_folder, "data")

    with page.expect_download() as download:
        page.get_by_role("button", name="Everything (JSON)").click()
    content = Path(download.value.path()).read_text()
    assert content.startswith('{\n "format": "summit-watch"')
    assert "Will Abe and Putin sign a peace treaty in December 2016?" in content


def test_search_an_event_link_it_cite_it_and_see_it_on_the_chart(
    dashboard_url: str, dashboard_db: Path, page: Page, screenshot_folder: Path
) -> None:
    treaty = question_id(dashboard_db, "sign a peace treaty by 31 Dec 2027")
    open_page(page, f"{dashboard_url}/questions?question={treaty}")
    search = page.get_by_role("textbox", name="Search events")
    search.fill("курил*")
    search.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("The one match")).to_be_visible()
    link = page.get_by_role("button", name=re.compile("Link 1 selected"))
    _select_first_row(page, page.get_by_test_id("stDataFrame").last, until=link)
    link.click()
    event = _event_id(dashboard_db, "Путин и Абэ договорились")
    _eventually(lambda: _links(dashboard_db, treaty).get(event) == "manual")
    expect(link).to_have_count(0)  # the page has rerun: the hit is linked now, nothing to link
    wait_for_app(page)

    form = page.get_by_test_id("stForm").filter(has_text="Add a forecast")
    form.get_by_role("textbox", name="Forecaster").fill("browser-citer")
    form.get_by_label("Probability of yes").fill("4%")
    form.get_by_test_id("stMultiSelect").click()
    page.keyboard.type("Путин")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    form.get_by_label("Why (optional)").click()  # out of the picker
    form.get_by_role("button", name="Save forecast").click()
    expect(page.get_by_text("citing 1 event")).to_be_visible(timeout=20_000)
    assert _citations(dashboard_db, treaty, "browser-citer") == [event]
    # The cited event's rule is labelled on the chart (cited events are labelled first).
    chart_text = page.locator("[data-testid=stVegaLiteChart] svg text").evaluate_all(
        "texts => texts.map(t => t.textContent || '')"
    )
    assert any(text.startswith("Путин и Абэ договорились") for text in chart_text), chart_text
    no_exception(page)
    save_screenshot(page, screenshot_folder, "question-citing")


def _select_first_row(page: Page, grid: Locator, *, until: Locator) -> None:
    """Tick the first row of a data grid (drawn on a canvas: clicked by position), then wait for
    ``until``; a click that lands while the grid is still being laid out is tried again."""
    for _ in range(5):
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(400)
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
        page.wait_for_timeout(500)
        if grid.get_by_role("button", name="Clear selection").count():  # the grid took the tick
            break
    expect(until).to_be_visible(timeout=30_000)


def _eventually(check: Callable[[], bool], seconds: float = 20) -> None:
    """The page writes after a rerun the test cannot see start: wait for the database to show it."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the change never reached the database"
        time.sleep(0.2)


def _event_id(dashboard_db: Path, title_start: str) -> int:
    with sqlite3.connect(dashboard_db) as connection:
        (found,) = connection.execute(
            "SELECT id FROM event WHERE title LIKE ?", (f"{title_start}%",)
        ).fetchone()
    return int(found)


def _links(dashboard_db: Path, question: int) -> dict[int, str]:
    with sqlite3.connect(dashboard_db) as connection:
        rows = connection.execute(
            "SELECT event_id, origin FROM event_question WHERE question_id = ?", (question,)
        )
        return {int(e): str(o) for e, o in rows}


def _citations(dashboard_db: Path, question: int, forecaster: str) -> list[int]:
    with sqlite3.connect(dashboard_db) as connection:
        rows = connection.execute(
            "SELECT fe.event_id FROM forecast_event fe JOIN forecast f ON f.id = fe.forecast_id "
            "JOIN forecaster p ON p.id = f.forecaster_id WHERE f.question_id = ? AND p.name = ?",
            (question, forecaster),
        )
        return [int(e) for (e,) in rows]
