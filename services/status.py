"""The worker's state as the database keeps it: lease, heartbeat, job runs, and a data fingerprint.

The worker runs in its own process and publishes here; the dashboard and the
CLI read it. One worker may hold the lease on a database at a time.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db import Database
from db.models import Event, Forecast, Heartbeat, JobRun, Question, Resolution, WorkerLease
from forecasts.errors import Refused

if TYPE_CHECKING:
    import pandas as pd

WORKER_NAME = "scheduler"  # the heartbeat row's key; one worker per database
LEASE_NAME = "scheduler"
# Three missed heartbeats (every 30 s) and we call the worker down.
ALIVE_WITHIN = timedelta(seconds=90)
ABANDONED_AFTER = timedelta(hours=1)  # a run still "running" this long belonged to a worker that died


class LeaseHeld(Refused):
    """Another live worker holds the lease on this database."""


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


def worker_status(database: Database, now: datetime | None = None) -> WorkerStatus:
    now = now or datetime.now(UTC)
    with database.read_session() as session:
        beat = session.get(Heartbeat, WORKER_NAME)
        if beat is None:
            return WorkerStatus(False, "never started", None, None)
        alive = beat.state == "running" and now - beat.beat_at <= ALIVE_WITHIN
        state = beat.state if alive or beat.state == "stopped" else "silent"
        return WorkerStatus(alive, state, beat.beat_at, beat.pid)


# --- the lease and the heartbeat, written by the worker ---------------------------------------


def lease_holder() -> str:
    """This process's name on the lease: host, process id, and a nonce for a reused id."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_gone(holder: str) -> bool:
    """A holder on this host whose process has died: its lease is stale before it expires."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not process_alive(int(pid))


def acquire_lease(database: Database, holder: str, seconds: float, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    expires = now + timedelta(seconds=seconds)
    with database.write_session() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        live = lease is not None and lease.expires_at > now and not _holder_is_gone(lease.holder)
        if lease is not None and lease.holder != holder and live:
            raise LeaseHeld(
                f"another scheduler ({lease.holder}) is running on this database "
                f"(lease until {lease.expires_at:%H:%M:%S} UTC); stop it first, "
                "or wait for its lease to expire"
            )
        if lease is None:
            session.add(WorkerLease(name=LEASE_NAME, holder=holder, acquired_at=now, expires_at=expires))
        else:
            lease.holder, lease.acquired_at, lease.expires_at = holder, now, expires


def renew_lease(database: Database, holder: str, seconds: float) -> bool:
    """Extend the lease; False if another worker took it over meanwhile."""
    with database.write_session() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        if lease is None or lease.holder != holder:
            return False
        lease.expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
        return True


def release_lease(database: Database, holder: str) -> None:
    with database.write_session() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        if lease is not None and lease.holder == holder:
            session.delete(lease)


def beat(database: Database, state: str, started_at: datetime) -> None:
    """Write the worker's sign of life (``running``, or ``stopped`` on the way out)."""
    now = datetime.now(UTC)
    with database.write_session() as session:
        row = session.get(Heartbeat, WORKER_NAME)
        if row is None:
            row = Heartbeat(worker=WORKER_NAME)
            session.add(row)
        row.pid, row.hostname, row.started_at = os.getpid(), socket.gethostname(), started_at
        row.beat_at, row.state = now, state


# --- job runs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunCounts:
    n_new: int = 0
    n_updated: int = 0
    n_duplicate: int = 0
    n_unmatched: int = 0
    n_rejected: int = 0


def start_run(session: Session, job: str, *, source_id: int | None, now: datetime) -> int:
    run = JobRun(
        job=job,
        source_id=source_id,
        started_at=now,
        status="running",
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session, run_id: int, status: str, counts: RunCounts, *, error: str | None, notes: list[str]
) -> None:
    run = session.get(JobRun, run_id)
    if run is None:  # the run row went with its source, deleted meanwhile: nothing to close
        return
    run.finished_at, run.status, run.error = datetime.now(UTC), status, error
    run.n_new, run.n_updated, run.n_duplicate = counts.n_new, counts.n_updated, counts.n_duplicate
    run.n_unmatched, run.n_rejected = counts.n_unmatched, counts.n_rejected
    run.notes = "\n".join(notes) or None


def record_run(
    database: Database,
    job: str,
    started_at: datetime,
    counts: RunCounts = RunCounts(),
    notes: str | None = None,
) -> None:
    """A finished housekeeping run (reminders, scores), for the Sources & jobs page."""
    with database.write_session() as session:
        run_id = start_run(session, job, source_id=None, now=started_at)
        finish_run(session, run_id, "ok", counts, error=None, notes=[notes] if notes else [])


def process_alive(pid: int) -> bool:
    """Is a process with this id running on this machine? (Signal 0 checks without sending.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def close_interrupted_runs(database: Database, now: datetime | None = None) -> int:
    """Close the runs a killed process left "running", as ``interrupted``: at once when it ran on
    this host and its process is gone, else once ABANDONED_AFTER has passed (a run on another
    host, or from before runs recorded their process). Returns how many were closed."""
    now = now or datetime.now(UTC)
    here = socket.gethostname()
    with database.write_session() as session:
        running = session.execute(
            select(JobRun.id, JobRun.host, JobRun.pid, JobRun.started_at).where(JobRun.status == "running")
        ).all()
        gone = [
            run_id
            for run_id, host, pid, started_at in running
            if (host == here and pid is not None and pid != os.getpid() and not process_alive(pid))
            or started_at < now - ABANDONED_AFTER
        ]
        if gone:
            session.execute(
                update(JobRun)
                .where(JobRun.id.in_(gone), JobRun.status == "running")
                .values(
                    status="interrupted",
                    finished_at=now,
                    error="interrupted: the process running it stopped before it finished",
                )
            )
        return len(gone)


RUN_COLUMNS = {
    "started_at": "started",
    "job": "job",
    "status": "status",
    "n_new": "new",
    "n_updated": "updated",
    "n_duplicate": "already stored",
    "n_unmatched": "unmatched",
    "n_rejected": "rejected",
    "error": "error",
    "notes": "notes",
}


HOUSEKEEPING_JOBS = ("scores", "reminders")  # the worker's own jobs, beside the sources' runs


def recent_runs(database: Database, limit: int = 50, *, sources_only: bool = False) -> pd.DataFrame:
    """The newest job runs, newest first, with their counts, error and notes (with ``sources_only``,
    the sources' runs without the worker's rescoring and reminders, which run every minute)."""
    columns = [getattr(JobRun, name) for name in RUN_COLUMNS]
    query = select(*columns).order_by(JobRun.id.desc()).limit(limit)
    if sources_only:
        query = query.where(JobRun.job.not_in(HOUSEKEEPING_JOBS))
    with database.read_session() as session:
        rows = session.execute(query).all()
    import pandas as pd  # not at the top: every command imports this module, few need pandas

    return pd.DataFrame([tuple(row) for row in rows], columns=list(RUN_COLUMNS.values()))


# --- what changed -----------------------------------------------------------------------------


def data_version(database: Database) -> tuple[int, ...]:
    """A cheap fingerprint of the data: cached reads take it as an argument, so a new forecast,
    resolution, event or run (from any process) is seen on the next rerun."""
    with database.read_session() as session:
        row = session.execute(
            select(
                select(func.coalesce(func.max(Forecast.id), 0)).scalar_subquery(),
                select(func.count()).select_from(Forecast).scalar_subquery(),
                select(func.coalesce(func.max(Resolution.id), 0)).scalar_subquery(),
                select(func.coalesce(func.max(Event.id), 0)).scalar_subquery(),
                select(func.coalesce(func.max(Question.id), 0)).scalar_subquery(),
                select(func.max(Question.updated_at)).scalar_subquery(),
                select(func.coalesce(func.max(JobRun.id), 0)).scalar_subquery(),
            )
        ).one()
    return tuple(round(v.timestamp() * 1e6) if isinstance(v, datetime) else int(v or 0) for v in row)
