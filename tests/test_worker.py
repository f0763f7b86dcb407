"""The worker as its own process on a temporary database: runs, heartbeat, "run now",
a refused second start, and a clean stop on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from db import Database
from db.migrate import PROJECT_ROOT
from db.models import Command, Heartbeat, JobRun, Source, WorkerLease
from services import sources
from tests.factories import S
from tests.loopback import Loopback
from tests.waiting import wait_for


def start_worker(database_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker",
            "--db",
            database_url,
            "scheduler",
            "--heartbeat",
            "1",
            "--command-poll",
            "0.5",
            "--sync",
            "1",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def worker_setup(database: Database, loopback: Loopback):
    url = loopback.serve_file("/rss", "summit_rss.xml", "application/rss+xml")
    source_id = S(database, "wire", url=url, every="1h").id
    process = start_worker(database.url)
    yield database, source_id, process
    if process.poll() is None:
        process.kill()
        process.wait()


def runs_of(database: Database, source_id: int) -> list[JobRun]:
    with database.read_session() as session:
        return session.scalars(select(JobRun).where(JobRun.source_id == source_id).order_by(JobRun.id)).all()


def test_worker_lifecycle(worker_setup) -> None:
    database, source_id, process = worker_setup

    first = wait_for(
        lambda: [r for r in runs_of(database, source_id) if r.status == "ok"], what="the first run"
    )
    assert first[0].n_new == 6

    def heartbeat() -> Heartbeat | None:
        with database.read_session() as session:
            return session.get(Heartbeat, "scheduler")

    beat = wait_for(heartbeat, what="a heartbeat")
    assert beat.state == "running"
    assert beat.pid == process.pid
    assert datetime.now(UTC) - beat.beat_at < timedelta(seconds=10)

    def next_run_an_hour_out() -> datetime | None:
        # Published by the heartbeat; after the first run, the hourly source is next due in an hour.
        with database.read_session() as session:
            next_run = session.get(Source, source_id).next_run_at
        return next_run if next_run and next_run > datetime.now(UTC) + timedelta(minutes=50) else None

    wait_for(next_run_an_hour_out, what="the next run to be published")

    # A second worker on the same database refuses to start.
    second = start_worker(database.url)
    assert second.wait(timeout=30) == 3
    assert "another scheduler" in second.stderr.read()

    # "Run now", as the dashboard writes it, is picked up within seconds.
    command_id = sources.request_run(database, "wire")
    asked = time.monotonic()

    def finished() -> Command | None:
        with database.read_session() as session:
            command = session.get(Command, command_id)
            return command if command.status in ("done", "failed") else None

    command = wait_for(finished, timeout=15, what="the run-now command")
    assert time.monotonic() - asked < 10
    assert command.status == "done"
    assert "nothing new" in command.result
    assert len(runs_of(database, source_id)) == 2

    # SIGTERM stops it cleanly within 10 s and leaves the database saying so.
    process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - stopped < 10
    with database.read_session() as session:
        assert session.get(Heartbeat, "scheduler").state == "stopped"
        assert session.get(WorkerLease, "scheduler") is None
        reminder_runs = session.scalars(select(JobRun).where(JobRun.job == "reminders")).all()
        assert reminder_runs
        assert reminder_runs[0].status == "ok"
    assert "received SIGTERM" in process.stderr.read()


def test_sigterm_stops_within_10_s_while_a_source_hangs(database: Database, loopback: Loopback) -> None:
    """A server that sends a header line every 2 s would hold a request for minutes; SIGTERM
    still stops the worker within the README's 10 s, and the run is closed, not left running."""
    from tests.loopback import Route

    url = loopback.serve("/hang", Route(b"<rss/>", header_drip=2.0, header_lines=100))
    source_id = S(database, "hanging-wire", url=url, every="1h").id
    process = start_worker(database.url)
    try:
        wait_for(lambda: any(r.path == "/hang" for r in loopback.requests), what="the request")
        time.sleep(1.0)  # well inside the dripped headers
        process.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - stopped < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    runs = runs_of(database, source_id)
    assert runs
    assert all(run.status != "running" for run in runs), [r.status for r in runs]
    assert "stopped" in (runs[-1].error or "")
