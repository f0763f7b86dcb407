"""A real `streamlit run app.py` on a free loopback port, and Debian's Chromium to look at it.

Modelled on Streamlit's own e2e fixtures: start the server headless, poll
/_stcore/health, then wait in the browser until the app is connected and the
script has finished (health alone answers "ok" even when the script crashed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from db.migrate import PROJECT_ROOT

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
# `make screenshots` sets this to refresh docs/screenshots; otherwise the pictures go to a temporary folder,
# so `make test` never rewrites tracked files.
SCREENSHOTS_ENV = "SUMMIT_SCREENSHOTS"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SCRIPT_TITLE = "<script>alert(1)</script>"


def prepare_database(path: Path) -> None:
    """The demo, plus an event whose title is markup: it must show as text, never run."""
    from datetime import UTC, datetime

    from db import open_database
    from db.events import EventValues, upsert_events
    from services import demo, sources
    from services.sources import NewSource

    database = open_database(f"sqlite:///{path}")
    demo.load_demo_on_first_open(database, wanted=True)
    hostile = sources.add_source(
        database, NewSource(name="hostile-feed", kind="rss", url="http://127.0.0.1:9/feed", enabled=False)
    )
    markup = EventValues("x1", datetime.now(UTC), False, SCRIPT_TITLE, "", None, None)
    with database.write_session() as session:
        upsert_events(session.connection(), hostile.id, [markup])
    database.dispose()


@pytest.fixture(scope="module")
def dashboard_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file the module's dashboard serves: tests look records up in it by what they are."""
    path = tmp_path_factory.mktemp("browser") / "tracker.db"
    prepare_database(path)
    return path


@contextmanager
def serving(database: Path, *, demo: bool) -> Iterator[str]:
    """A real Streamlit server on a free loopback port over this SQLite file; its address."""
    port = _free_port()
    env = os.environ | {"TRACKER_DATABASE_URL": f"sqlite:///{database}", "TRACKER_DEMO": "1" if demo else "0"}
    log = open(database.with_suffix(".log"), "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            "--global.developmentMode", "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{Path(log.name).read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def dashboard_url(dashboard_db: Path) -> Iterator[str]:
    with serving(dashboard_db, demo=True) as url:
        yield url


@pytest.fixture(scope="module")
def empty_dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A dashboard on a database that starts empty (no demo): a new user's first run."""
    with serving(tmp_path_factory.mktemp("first-run") / "tracker.db", demo=False) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("chromium not found: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, timezone_id="Asia/Tokyo")
    opened = context.new_page()
    yield opened
    context.close()


def wait_for_app(page: Page) -> None:
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=60_000)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)


@pytest.fixture(scope="session")
def screenshot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get(SCREENSHOTS_ENV) == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def save_screenshot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.wait_for_timeout(800)  # let the data grid paint
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{name}: the screenshot is (nearly) blank"
    return path
