"""The scheduler worker: ``python -m tracker scheduler``, its own process, never inside Streamlit.

It holds a lease in the database (so a second worker on the same database
refuses to start), registers one APScheduler job per enabled source plus
housekeeping jobs (reminders, rescoring), and publishes its state for the dashboard: a heartbeat row,
a ``job_run`` per run, each source's next run. "Run now" requests arrive as
``command`` rows and are picked up within seconds. SIGTERM or SIGINT stops it
within ten seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from db import Database
from db.models import Command, Heartbeat, JobRun, Source, WorkerLease
from forecasts.calibration_report import refresh_stored_report
from tracker.ingest import ingest_source, mark_stale_runs
from tracker.reminders import refresh_reminders
from tracker.status import WORKER_NAME

log = logging.getLogger("tracker.worker")

LEASE_NAME = "scheduler"
STOP_TIMEOUT = 8.0  # seconds to let running jobs finish after SIGTERM; the rest is the 10 s promise


class LeaseHeld(RuntimeError):
    """Another live worker holds the lease on this database."""


def _now() -> datetime:
    return datetime.now(UTC)


def acquire_lease(database: Database, holder: str, seconds: float) -> None:
    now = _now()
    with database.write_session() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        if lease is not None and lease.holder != holder and lease.expires_at > now:
            raise LeaseHeld(
                f"another scheduler ({lease.holder}) is running on this database "
                f"(lease until {lease.expires_at:%H:%M:%S} UTC); stop it first, "
                "or wait for its lease to expire"
            )
        if lease is None:
            session.add(
                WorkerLease(
                    name=LEASE_NAME,
                    holder=holder,
                    acquired_at=now,
                    expires_at=now + timedelta(seconds=seconds),
                )
            )
        else:
            lease.holder, lease.acquired_at, lease.expires_at = holder, now, now + timedelta(seconds=seconds)


def renew_lease(database: Database, holder: str, seconds: float) -> bool:
    with database.write_session() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        if lease is None or lease.holder != holder:
            return False
        lease.expires_at = _now() + timedelta(seconds=seconds)
        return True


def release_lease(database: Database, holder: str) -> None:
    with database.write_session() as session:
        lease = session.get(WorkerLease, LEASE_NAME)
        if lease is not None and lease.holder == holder:
            session.delete(lease)


class Worker:
    def __init__(
        self,
        database: Database,
        *,
        heartbeat_seconds: float = 30.0,
        command_seconds: float = 2.0,
        sync_seconds: float = 30.0,
        reminder_seconds: float = 600.0,
        score_seconds: float = 5.0,
    ) -> None:
        self.database = database
        self.heartbeat_seconds = heartbeat_seconds
        self.command_seconds = command_seconds
        self.sync_seconds = sync_seconds
        self.reminder_seconds = reminder_seconds
        self.score_seconds = score_seconds
        self.lease_seconds = max(3 * heartbeat_seconds, 10.0)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.started_at = _now()
        self.stopping = threading.Event()
        self.lost_lease = threading.Event()
        self._running = 0
        self._running_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self.scheduler.add_listener(self._on_problem, EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        acquire_lease(self.database, self.holder, self.lease_seconds)
        with self.database.write_session() as session:
            mark_stale_runs(session, _now())
        self._beat("running")
        now = _now()
        housekeeping: list[tuple[str, Callable[[], None], float]] = [
            ("heartbeat", self.heartbeat, self.heartbeat_seconds),
            ("commands", self.run_commands, self.command_seconds),
            ("sync-sources", self.sync_sources, self.sync_seconds),
            ("reminders", self.reminders, self.reminder_seconds),
            ("scores", self.rescore, self.score_seconds),
        ]
        for job_id, function, seconds in housekeeping:
            self.scheduler.add_job(
                self._guarded(function),
                "interval",
                seconds=seconds,
                id=job_id,
                replace_existing=True,
                misfire_grace_time=max(int(seconds), 1),
                next_run_time=now + timedelta(seconds=0.5),
            )
        self.scheduler.start()
        log.info("scheduler started as %s", self.holder)

    def stop(self) -> None:
        """Stop taking work, give running jobs a few seconds, then say goodbye in the database."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._running and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            self._beat("stopped")
            release_lease(self.database, self.holder)
        except Exception:
            log.exception("could not record the shutdown")
        log.info("scheduler stopped%s", f" ({self._running} job(s) abandoned)" if self._running else "")

    # --- jobs ------------------------------------------------------------------------------

    def _guarded(self, function: Callable[..., None]) -> Callable[..., None]:
        def run(*args: Any) -> None:
            if self.stopping.is_set():
                return
            with self._running_lock:
                self._running += 1
            try:
                function(*args)
            except Exception:
                log.exception("job %s failed", getattr(function, "__name__", function))
            finally:
                with self._running_lock:
                    self._running -= 1

        run.__name__ = getattr(function, "__name__", "job")
        return run

    def _on_problem(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        else:
            log.error("job %s raised %r", event.job_id, event.exception)

    def _beat(self, state: str) -> None:
        now = _now()
        with self.database.write_session() as session:
            beat = session.get(Heartbeat, WORKER_NAME)
            if beat is None:
                beat = Heartbeat(
                    worker=WORKER_NAME,
                    pid=os.getpid(),
                    hostname=socket.gethostname(),
                    started_at=self.started_at,
                    beat_at=now,
                    state=state,
                )
                session.add(beat)
            beat.pid, beat.hostname, beat.started_at = os.getpid(), socket.gethostname(), self.started_at
            beat.beat_at, beat.state = now, state

    def heartbeat(self) -> None:
        if not renew_lease(self.database, self.holder, self.lease_seconds):
            log.error("lost the scheduler lease to another worker; stopping")
            self.lost_lease.set()
            return
        self._beat("running")
        self._publish_next_runs()

    def _publish_next_runs(self) -> None:
        with self.database.write_session() as session:
            for source in session.scalars(select(Source).where(Source.enabled.is_(True))):
                job = self.scheduler.get_job(f"source:{source.id}")
                source.next_run_at = job.next_run_time.astimezone(UTC) if job and job.next_run_time else None

    def sync_sources(self) -> None:
        """Make the jobs match the enabled sources: add new ones, drop removed, reschedule changed."""
        with self.database.read_session() as session:
            wanted = {
                f"source:{source_id}": (source_id, every or 900)
                for source_id, every in session.execute(
                    select(Source.id, Source.every_seconds).where(
                        Source.enabled.is_(True), Source.kind != "manual"
                    )
                )
            }
        now = _now()
        for job in self.scheduler.get_jobs():
            if job.id.startswith("source:") and job.id not in wanted:
                job.remove()
        for position, (job_id, (source_id, every)) in enumerate(sorted(wanted.items())):
            job = self.scheduler.get_job(job_id)
            if job is not None and job.trigger.interval.total_seconds() == every:
                continue
            self.scheduler.add_job(
                self._guarded(self.run_source),
                "interval",
                seconds=every,
                args=[source_id],
                id=job_id,
                replace_existing=True,
                # A late run is still worth doing up to half an interval late; after that, wait.
                misfire_grace_time=max(every // 2, 30),
                next_run_time=now + timedelta(seconds=1 + position),
            )
        self._publish_next_runs()

    def run_source(self, source_id: int) -> None:
        report = ingest_source(self.database, source_id)
        log.info("%s", report.summary())

    def run_commands(self) -> None:
        with self.database.write_session() as session:
            pending = session.scalars(
                select(Command).where(Command.status == "pending").order_by(Command.requested_at)
            ).all()
            for command in pending:
                command.status = "running"
            work = [(c.id, c.source_id) for c in pending]
        for command_id, source_id in work:
            if self.stopping.is_set():
                break
            try:
                report = ingest_source(self.database, source_id)
                status, result = ("failed" if report.status == "error" else "done"), report.summary()
            except Exception as error:
                status, result = "failed", f"{type(error).__name__}: {error}"
            with self.database.write_session() as session:
                command = session.get(Command, command_id)
                command.status, command.result, command.finished_at = status, result, _now()
            log.info("run now: %s", result)

    def reminders(self) -> None:
        started = _now()
        with self.database.write_session() as session:
            counts = refresh_reminders(session, started)
            session.add(_finished_run("reminders", started, n_new=counts.raised, n_updated=counts.cleared))

    def rescore(self) -> None:
        """Keep the stored calibration report current, so no page scores while a user waits."""
        started = _now()
        if not refresh_stored_report(self.database):
            return
        seconds = (_now() - started).total_seconds()
        with self.database.write_session() as session:
            session.add(_finished_run("scores", started, n_updated=1, notes=f"rescored in {seconds:.1f} s"))
        log.info("rescored in %.1f s", seconds)


def _finished_run(job: str, started: datetime, **counts: Any) -> JobRun:
    """A successful housekeeping run, for the Sources & jobs page."""
    return JobRun(job=job, started_at=started, finished_at=_now(), status="ok", **counts)


def request_run(database: Database, source_id: int) -> int:
    """Ask the worker to run a source now; returns the command id (the dashboard's "Run now")."""
    with database.write_session() as session:
        command = Command(kind="run_source", source_id=source_id, status="pending", requested_at=_now())
        session.add(command)
        session.flush()
        return command.id


def run_worker(database: Database, **options: float) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    worker = Worker(database, **options)
    try:
        worker.start()
    except LeaseHeld as error:
        log.error("%s", error)
        return 3
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop.wait(0.5):
        if worker.lost_lease.is_set():
            break
    worker.stop()
    return 0 if not worker.lost_lease.is_set() else 4
