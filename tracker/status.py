"""What the dashboard says about the worker, read from the rows the worker publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db.models import Heartbeat

WORKER_NAME = "scheduler"  # the heartbeat row's key; one worker per database
# Three missed heartbeats (every 30 s) and we call the worker down.
ALIVE_WITHIN = timedelta(seconds=90)


@dataclass(frozen=True)
class WorkerStatus:
    alive: bool
    state: str  # running | stopped | never started | silent
    beat_at: datetime | None
    pid: int | None

    def describe(self, now: datetime) -> str:
        if self.beat_at is None:
            return "Worker never started on this database: run `make run` (or `python -m tracker scheduler`)."
        ago = int((now - self.beat_at).total_seconds())
        if self.alive:
            return f"Worker running (pid {self.pid}), last heartbeat {ago} s ago."
        if self.state == "stopped":
            return f"Worker stopped {ago // 60} min ago: start it with `make run`."
        return f"Worker silent for {ago // 60} min (crashed?): restart it with `make run`."


def worker_status(session: Session, now: datetime) -> WorkerStatus:
    beat = session.get(Heartbeat, WORKER_NAME)
    if beat is None:
        return WorkerStatus(False, "never started", None, None)
    alive = beat.state == "running" and now - beat.beat_at <= ALIVE_WITHIN
    state = beat.state if alive or beat.state == "stopped" else "silent"
    return WorkerStatus(alive, state, beat.beat_at, beat.pid)
