"""The dashboard in a real browser: Debian Chromium against `streamlit run app.py`."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import save_screenshot, wait_for_app

pytestmark = pytest.mark.browser


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_questions_page_lists_the_demo(dashboard_url: str, page: Page) -> None:
    open_page(page, dashboard_url)  # Questions is the default page
    expect(page.get_by_role("heading", name="Questions")).to_be_visible()
    expect(page.get_by_text("forecasts are illustrative")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect(page.get_by_text("Worker never started on this database")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    save_screenshot(page, "questions")


def test_calibration_page_tells_the_demo_story(dashboard_url: str, page: Page) -> None:
    open_page(page, f"{dashboard_url}/calibration")
    expect(page.get_by_role("heading", name="Calibration & scores")).to_be_visible()
    expect(page.get_by_text("The seed article scored")).to_be_visible()
    expect(page.locator("[data-testid=stVegaLiteChart]").first).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    save_screenshot(page, "calibration")
