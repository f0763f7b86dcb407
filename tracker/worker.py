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
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from db import Database
from services import attention, scores, sources, status
from services.status import LeaseHeld
from tracker import exit_codes
from tracker.ingest import RunReport, ingest_source
from tracker.sources.http import Fetcher

log = logging.getLogger("tracker.worker")

STOP_TIMEOUT = 8.0  # seconds to let running jobs finish after SIGTERM; the rest is the 10 s promise


def _now() -> datetime:
    return datetime.now(UTC)


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
        self.holder = status.lease_holder()
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
        status.acquire_lease(self.database, self.holder, self.lease_seconds)
        status.close_interrupted_runs(self.database)
        status.beat(self.database, "running", self.started_at)
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
            status.beat(self.database, "stopped", self.started_at)
            status.release_lease(self.database, self.holder)
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

    def heartbeat(self) -> None:
        if not status.renew_lease(self.database, self.holder, self.lease_seconds):
            log.error("lost the scheduler lease to another worker; stopping")
            self.lost_lease.set()
            return
        status.beat(self.database, "running", self.started_at)
        self._publish_next_runs()

    def _publish_next_runs(self) -> None:
        next_runs = {}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("source:"):
                next_run = getattr(job, "next_run_time", None)
                next_runs[int(job.id.removeprefix("source:"))] = (
                    next_run.astimezone(UTC) if next_run else None
                )
        sources.publish_next_runs(self.database, next_runs)

    def sync_sources(self) -> None:
        """Make the jobs match the enabled sources: add new ones, drop removed, reschedule changed."""
        wanted = {
            f"source:{source_id}": (source_id, every)
            for source_id, _, every in sources.enabled_sources(self.database)
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

    def _ingest(self, source_id: int) -> RunReport:
        """Poll one source with a fetcher that gives up as soon as the worker is stopping."""
        with Fetcher(cancelled=self.stopping) as fetcher:
            return ingest_source(self.database, source_id, fetcher=fetcher)

    def run_source(self, source_id: int) -> None:
        report = self._ingest(source_id)
        log.info("%s", report.summary())

    def run_commands(self) -> None:
        for request_id, source_id in sources.take_requests(self.database):
            if self.stopping.is_set():
                break
            try:
                report = self._ingest(source_id)
                failed, result = report.status == "error", report.summary()
            except Exception as error:
                failed, result = True, f"{type(error).__name__}: {error}"
            sources.finish_request(self.database, request_id, failed=failed, result=result)
            log.info("run now: %s", result)

    def reminders(self) -> None:
        attention.refresh_reminders(self.database)

    def rescore(self) -> None:
        """Keep the stored calibration report current, so no page scores while a user waits."""
        if scores.refresh_kept_report(self.database):
            log.info("rescored the calibration report")


def run_worker(database: Database, **options: float) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    worker = Worker(database, **options)
    try:
        worker.start()
    except LeaseHeld as error:
        log.error("%s", error)
        return exit_codes.WORKER_RUNNING
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
    return exit_codes.LEASE_LOST if worker.lost_lease.is_set() else exit_codes.OK
