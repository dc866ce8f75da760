"""The worker loop: claim a job, run its handler, record the outcome.

Runs as threads inside ``recovery serve`` (embedded default) or as separate
``recovery worker`` processes on PostgreSQL. Errors are typed (see
``connector.errors``): retryable ones are rescheduled with backoff, the rest
go dead at once and wait for ``recovery replay``.
"""
import logging
import os
import socket
import threading
import uuid

from connector.errors import SyncError
from connector.jobs import queue, registry
from connector.logs import redact
from connector.store.db import transaction
from connector.store.models import Case

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, runtime, worker_id: str | None = None):
        self.rt = runtime
        self.worker_id = worker_id or new_worker_id()
        self._last_tick = None

    def run_once(self) -> bool:
        """Process at most one job; True if one was claimed."""
        config = self.rt.config
        job = queue.claim(self.rt.sessions, self.worker_id, self.rt.clock(),
                          float(config["JOB_LEASE_SECONDS"]), self.rt.policy.max_attempts)
        if job is None:
            return False
        handler = registry.load().get(job.kind)
        try:
            if handler is None:
                raise SyncError(f"no handler for job kind {job.kind}")
            handler(self.rt, job)
        except SyncError as exc:
            self._failed(job, str(exc), exc.retryable, exc.retry_after)
        except Exception as exc:  # a bug or an unexpected library error: retry, keep the type
            log.exception("job crashed job_id=%s kind=%s", job.id, job.kind)
            self._failed(job, f"{type(exc).__name__}: {redact(str(exc))}", True, None)
        return True

    def _failed(self, job, error: str, retryable: bool, retry_after: float | None) -> None:
        status = queue.fail(self.rt.sessions, job, self.rt.clock(), redact(error),
                            retryable=retryable, retry_after=retry_after, policy=self.rt.policy)
        # A wait the vendor (or our own limiter) asked for is pacing, not a failure.
        level = logging.INFO if retry_after is not None and status == "queued" else logging.WARNING
        log.log(level, "job failed job_id=%s kind=%s attempt=%s now=%s retry_after=%s",
                job.id, job.kind, job.attempt, status, retry_after)
        if status == "dead" and job.kind in registry.CASE_JOBS:
            with transaction(self.rt.sessions) as session:
                session.get(Case, job.ref_id).sync_failed = True

    def tick(self) -> None:
        """Deadlines, at most every SCHEDULER_INTERVAL_SECONDS (of the injectable clock)."""
        from connector.protocol.deadlines import mark_overdue

        now = self.rt.clock()
        interval = float(self.rt.config["SCHEDULER_INTERVAL_SECONDS"])
        if self._last_tick is None or (now - self._last_tick).total_seconds() >= interval:
            self._last_tick = now
            mark_overdue(self.rt, now)

    def run(self, stop: threading.Event) -> None:
        poll = float(self.rt.config["WORKER_POLL_SECONDS"])
        log.info("worker started worker_id=%s", self.worker_id)
        while not stop.is_set():
            try:
                self.tick()
                busy = self.run_once()
            except Exception:  # database away for a moment: keep the worker alive
                log.exception("worker loop error worker_id=%s", self.worker_id)
                busy = False
            if not busy:
                self.rt.wake.wait(poll)
                self.rt.wake.clear()
        log.info("worker stopped worker_id=%s", self.worker_id)


def start_threads(runtime, count: int, stop: threading.Event) -> list[threading.Thread]:
    threads = []
    for index in range(count):
        worker = Worker(runtime, f"{new_worker_id()}-t{index}")
        thread = threading.Thread(target=worker.run, args=(stop,), name=f"worker-{index}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
