"""Crash recovery: processes killed with SIGKILL at random points, then the next command finds a
sound database, closes what the dead process left open, and finishes the work without losing or
repeating anything.

Kills are real (``subprocess`` + SIGKILL) on real databases, SQLite and PostgreSQL; the random
points come from a seeded generator, so a failure can be replayed.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import Database
from db.backup import integrity
from db.migrate import PROJECT_ROOT
from db.models import Event, Forecast, JobRun, WorkerLease
from services import status
from services.status import LeaseHeld
from tests.factories import S
from tests.loopback import FIXTURES, Loopback, Route
from tests.waiting import wait_for

SEED = 20161215  # the Nagato summit


def tracker(database: Database, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", database.url, *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def killed_after(process: subprocess.Popen[str], seconds: float) -> None:
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def killed_after_line(process: subprocess.Popen[str], start: str, seconds: float) -> None:
    """SIGKILL ``seconds`` after the process printed a line starting with ``start`` (or on exit)."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(start):
            break
    killed_after(process, seconds)


def a_dead_pid() -> int:
    """The id of a process of this host that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def runs(database: Database) -> list[JobRun]:
    with database.read_session() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def count(database: Database, model: type) -> int:
    with database.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- runs and the lease left by a dead process ---------------------------------------------------


def _run(database: Database, host: str, pid: int | None, started_ago: timedelta) -> int:
    with database.write_session() as session:
        run = JobRun(job="source:x", status="running", started_at=datetime.now(UTC) - started_ago)
        run.host, run.pid = host, pid
        session.add(run)
        session.flush()
        return run.id


def test_runs_of_dead_processes_are_closed_as_interrupted_and_live_ones_are_not(database: Database) -> None:
    here = socket.gethostname()
    dead = _run(database, here, a_dead_pid(), timedelta(seconds=5))
    alive = _run(database, here, os.getppid(), timedelta(seconds=5))  # the test runner's parent
    elsewhere = _run(database, "another-host", 1234, timedelta(minutes=5))  # cannot tell yet
    long_gone = _run(database, "another-host", 1234, timedelta(hours=2))
    before_pids = _run(database, "", None, timedelta(hours=2))  # a run from before runs had a pid
    assert status.close_interrupted_runs(database) == 3
    by_id = {run.id: run for run in runs(database)}
    assert {i: by_id[i].status for i in (dead, alive, elsewhere, long_gone, before_pids)} == {
        dead: "interrupted",
        alive: "running",
        elsewhere: "running",
        long_gone: "interrupted",
        before_pids: "interrupted",
    }
    assert "stopped before it finished" in by_id[dead].error
    assert by_id[dead].finished_at is not None


def test_a_lease_held_by_a_dead_process_on_this_host_is_taken_over(database: Database) -> None:
    here = socket.gethostname()
    status.acquire_lease(database, f"{here}:{a_dead_pid()}:00000000", 90)
    status.acquire_lease(database, "mine", 90)  # at once, not after 90 s
    with database.read_session() as session:
        assert session.get(WorkerLease, "scheduler").holder == "mine"


@pytest.mark.parametrize("holder", ["another-host:1:abcd1234", f"{socket.gethostname()}:{os.getppid()}:x"])
def test_a_lease_held_by_a_live_or_unknowable_holder_is_refused(database: Database, holder: str) -> None:
    status.acquire_lease(database, holder, 90)
    with pytest.raises(LeaseHeld, match="another scheduler"):
        status.acquire_lease(database, "mine", 90)


def test_a_worker_killed_with_sigkill_is_replaced_at_once(database: Database, loopback: Loopback) -> None:
    url = loopback.serve("/hang", Route(b"<rss/>", header_drip=1.0, header_lines=600))
    S(database, "hanging-wire", url=url, every="1h")
    first = tracker(database, "scheduler", "--heartbeat", "1")
    hanging = "source:hanging-wire"
    wait_for(lambda: any(r.job == hanging and r.status == "running" for r in runs(database)), what="its run")
    killed_after(first, 0)
    second = tracker(database, "scheduler", "--heartbeat", "1")
    try:

        def holder() -> str | None:
            with database.read_session() as session:
                lease = session.get(WorkerLease, "scheduler")
                return lease.holder if lease and f":{second.pid}:" in lease.holder else None

        wait_for(holder, timeout=20, what="the new worker to hold the lease")
        assert second.poll() is None

        # it closes the dead worker's run just after it takes the lease
        def first_run_closed() -> bool:
            return next(r.status for r in runs(database) if r.job == hanging) == "interrupted"

        wait_for(first_run_closed, timeout=20, what="the dead worker's run to be closed")
    finally:
        second.send_signal(signal.SIGTERM)
        finished(second, timeout=30)


# --- SIGKILL at random points ---------------------------------------------------------------------


def test_ingest_killed_at_random_points_loses_and_repeats_nothing(
    database: Database, loopback: Loopback
) -> None:
    body = (FIXTURES / "summit_rss.xml").read_bytes()
    url = loopback.serve("/slow", Route(body, drip=0.2))  # a few seconds per fetch: time to be killed in
    S(database, "slow-wire", url=url, every="1h")
    chance = random.Random(SEED)
    for _ in range(6):
        killed_after(tracker(database, "ingest"), chance.uniform(0.5, 4.0))
    code, output = finished(tracker(database, "ingest"))
    assert code == 0, output
    assert [r.status for r in runs(database)][-1] == "ok"
    assert {r.status for r in runs(database)} <= {"interrupted", "ok"}  # none left running
    assert count(database, Event) == 6  # the feed's six items, once each
    if database.url.startswith("sqlite"):
        assert integrity(Path(database.engine.url.database)) == "ok"


def _forecasts_csv(path: Path, questions: int, per_question: int) -> int:
    header = ["question_uid", "question_title", "opens_at", "forecaster", "made_at", "probability"]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for q in range(questions):
            for n in range(per_question):
                made = f"2016-{1 + n % 12:02d}-{1 + q % 28:02d}T{n % 24:02d}:00:00Z"
                row = [
                    f"q{q}",
                    f"Will question {q} resolve yes?",
                    "2015-12-01T00:00:00Z",
                    f"p{n}",
                    made,
                    "0.25",
                ]
                writer.writerow(row)
    return questions * per_question


def test_import_killed_at_random_points_is_all_or_nothing(database: Database, tmp_path: Path) -> None:
    file = tmp_path / "forecasts.csv"
    total = _forecasts_csv(file, questions=5000, per_question=20)
    chance = random.Random(SEED)
    seen = []
    for _ in range(5):  # killed while it writes (it reads the file in ~0.1 s, writes for ~1 s)
        killed_after_line(tracker(database, "import", str(file)), "Read ", chance.uniform(0.0, 0.8))
        seen.append(count(database, Forecast))
    assert set(seen) <= {0, total}  # one transaction: all of it or none
    assert 0 in seen  # some kills, at least, fell while it wrote
    code, output = finished(tracker(database, "import", str(file)))
    assert code == 0, output
    code, output = finished(tracker(database, "import", str(file)))
    assert code == 0, output
    assert f"forecasts: 0 new, 0 updated, {total} unchanged" in output
    assert count(database, Forecast) == total


def test_backup_killed_at_random_points_leaves_no_half_file(
    sqlite_database: Database, tmp_path: Path
) -> None:
    from services.demo import load_demo

    load_demo(sqlite_database)
    file = tmp_path / "forecasts.csv"
    _forecasts_csv(file, questions=5000, per_question=20)  # a database of some 20 MB to copy
    assert finished(tracker(sqlite_database, "import", str(file)))[0] == 0
    target = tmp_path / "backups" / "summit.db"
    target.parent.mkdir()
    chance = random.Random(SEED)
    for _ in range(5):
        killed_after(tracker(sqlite_database, "backup", str(target), "--force"), chance.uniform(1.0, 2.0))
    code, output = finished(tracker(sqlite_database, "backup", str(target), "--force"))
    assert code == 0, output
    assert sorted(p.name for p in target.parent.iterdir()) == ["summit.db"]
    assert integrity(target) == "ok"
