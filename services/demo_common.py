"""What the demo's loaders share: where its files are, its source's name, and how bare dates in
them become UTC times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

DEMO_DATA = Path(__file__).with_name("demo_data")
DEMO_SOURCE_NAME = "demo-timeline"
DEMO_RESOLUTION_SOURCE = "demo"
# Bare dates in the data files become these UTC times of day.
OPENS_TIME = time(0, 0)
CLOSES_TIME = time(23, 59)
RESOLVED_TIME = time(12, 0)
FORECAST_TIME = time(12, 0)
EVENT_TIME = time(6, 0)  # before same-day forecasts, which react to it


def as_utc(value: date | datetime | str, default_time: time) -> datetime:
    """A TOML/CSV date or local datetime, read as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, default_time, tzinfo=UTC)
