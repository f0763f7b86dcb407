"""The three jobs walked as a new user would, in Chromium: from an empty database, then on the demo.

Open the dashboard and see what needs attention; add forecasts (a remembered name, a
back-dated one, a multiple-choice question with criteria), making the usual mistakes on
the way and reading each message next to its field; resolve safely; review the scores.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import save_screenshot
from tests.browser.test_dashboard_browser import no_exception, open_page

pytestmark = pytest.mark.browser

TITLE = "Will Abe visit Moscow by 2031-12-31?"


def _quick_entry(page: Page, line: str, who: str | None = None) -> None:
    page.get_by_label("One line").fill(line)
    if who is not None:
        page.get_by_role("textbox", name="Forecaster").first.fill(who)
    page.get_by_role("button", name="Save", exact=True).click()


def test_a_first_run_from_an_empty_database(
    empty_dashboard_url: str, page: Page, screenshot_folder: Path
) -> None:
    open_page(page, empty_dashboard_url)
    expect(page.get_by_text("Nothing needs you right now.")).to_be_visible()
    expect(page.get_by_text("Demo scenario")).to_have_count(0)

    open_page(page, f"{empty_dashboard_url}/add")
    forecaster = page.get_by_role("textbox", name="Forecaster").first
    expect(forecaster).to_have_attribute("placeholder", "me")  # first use: a name is offered
    _quick_entry(page, "Will Abe visit Moscow? 60%", who="walker")
    expect(page.get_by_text(re.compile(r"Closes on: is missing"))).to_be_visible()
    _quick_entry(page, "Will Abe visit Moscow by 2016-12-31? 60%")
    expect(page.get_by_text(re.compile(r"Closes on: 2016-12-31 has passed"))).to_be_visible()
    _quick_entry(page, f"{TITLE} 60%", who=" ")
    expect(page.get_by_text(re.compile(r"^Forecaster: "))).to_be_visible()
    save_screenshot(page, screenshot_folder, "first-run-mistake")
    _quick_entry(page, f"{TITLE} 60%", who="walker")
    expect(page.get_by_text("Saved 60%")).to_be_visible()
    question_link = page.get_by_role("link", name="Open the question").get_attribute("href")
    no_exception(page)

    open_page(page, f"{empty_dashboard_url}/add")  # a new visit: the name is remembered
    expect(page.get_by_role("textbox", name="Forecaster").first).to_have_value("walker")

    page.get_by_role("tab", name="Fields").click()
    page.get_by_test_id("stButtonGroup").get_by_text("Multiple choice").click()
    page.get_by_label("Options, one per line").fill("Fewer than 30\n30–79\n80 or more")
    page.get_by_label("Options, one per line").blur()
    fields = page.get_by_test_id("stForm").filter(has_text="Save forecast")
    fields.get_by_label("Question", exact=True).fill("How many documents will be signed in Nagato?")
    fields.get_by_label("Resolution criteria (optional)").fill("The count in the joint statement.")
    fields.get_by_test_id("stCheckbox").get_by_text("Open-ended: no close date").click()
    for option, value in (("Fewer than 30", "20"), ("30–79", "50"), ("80 or more", "30")):
        fields.get_by_label(option, exact=True).fill(value)
    save_screenshot(page, screenshot_folder, "first-run-multiple-choice")
    fields.get_by_role("button", name="Save forecast").click()
    expect(page.get_by_text("Saved 20%, 50%, 30%")).to_be_visible()
    no_exception(page)

    open_page(page, f"{empty_dashboard_url}/{(question_link or '').lstrip('/')}")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    page.locator("[data-testid=stRadio]").get_by_text("no", exact=True).click()
    page.get_by_role("button", name="Review the resolution").click()
    expect(page.get_by_text("Resolve as no")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").last).to_contain_text("walker")
    page.get_by_role("button", name="Confirm resolution").click()
    expect(page.get_by_text("Resolved as no")).to_be_visible()
    no_exception(page)

    open_page(page, f"{empty_dashboard_url}/calibration")
    expect(page.get_by_text("walker").first).to_be_visible()
    no_exception(page)
    save_screenshot(page, screenshot_folder, "first-run-calibration")


def test_the_demo_shows_at_once_what_needs_attention(dashboard_url: str, page: Page) -> None:
    open_page(page, dashboard_url)
    expect(page.get_by_text(re.compile("Demo scenario: the December 2016 Abe–Putin summit"))).to_be_visible()
    stale = page.get_by_role("link", name=re.compile(r"^Stale forecast: "))
    expect(stale.first).to_be_visible()  # no worker has run: computed when the page opened
    assert stale.count() >= 1
    stale.first.click()
    page.wait_for_timeout(500)
    expect(page.get_by_text("Add a forecast")).to_be_visible()
    no_exception(page)
