"""Where the database lives: ``--db``, else ``TRACKER_DATABASE_URL``, else a local file."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "TRACKER_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///data/tracker.db"


def resolve_database_url(explicit: str | None = None) -> str:
    """Return the database URL to use, in order of precedence.

    A bare file path (``tracker.db``) is accepted as a SQLite file for convenience.
    """
    url = explicit or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    return url


def ensure_sqlite_parent(url: str) -> None:
    """Create the folder of a SQLite file URL, so a fresh checkout just works."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return
    path = url[len(prefix) :].split("?", 1)[0]
    # A ``file:`` URI names an existing file (often read-only): creating its
    # folder would leave a stray ``file:/…`` tree in the working directory.
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
