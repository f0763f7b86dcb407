"""The dashboard in a real browser: Debian Chromium against `streamlit run app.py`."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import save_screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_questions_page_lists_the_demo(dashboard_url: str, page: Page) -> None:
    page.goto(dashboard_url)  # Questions is the default page for now
    wait_for_app(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("heading", name="Questions")).to_be_visible()
    expect(page.get_by_text("forecasts are illustrative")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible()
    expect(page.get_by_text("Worker never started on this database")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    save_screenshot(page, "questions")
