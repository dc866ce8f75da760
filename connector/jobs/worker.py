"""The worker loop: claim a job, run its handler, record the outcome.

Runs as threads inside ``recovery serve`` (embedded default) or as separate
``recovery worker`` processes on PostgreSQL. Errors are typed (see
``connector.ports.errors``): retryable ones are rescheduled with backoff, the rest
go dead at once and wait for ``recovery replay``.
"""
import logging
import os
import socket
import threading
import uuid

from connector.ports.errors import SyncError
from connector.installs.tokens import NotConnected
from connector.jobs import queue, registry
from connector.infra.logs import redact
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
        """Process the next due job, or the next group of them; True if any was claimed."""
        config = self.rt.config
        registry.load()
        groups = registry.GROUP_HANDLERS
        limit = int(config.get("BATCH_LIMIT", 1))
        jobs = queue.claim_group(self.rt.sessions, self.worker_id, self.rt.clock(),
                                 float(config["JOB_LEASE_SECONDS"]), self.rt.policy.max_attempts,
                                 group_size=lambda kind: limit if kind in groups else 1)
        if not jobs:
            return False
        if jobs[0].kind in groups:
            self._run_group(groups[jobs[0].kind], jobs)
            return True
        job = jobs[0]
        handler = registry.HANDLERS.get(job.kind)
        try:
            if handler is None:
                raise SyncError(f"no handler for job kind {job.kind}")
            handler(self.rt.for_tenant(job.tenant_id), job)  # the job sees its own tenant's accounts only
        except Exception as exc:
            self._failed_with(job, exc)
        return True

    # -- groups (batching across answers): one tenant per group, see registry.group_handler --
    def _run_group(self, handler, jobs) -> None:
        try:
            failures = handler(self.rt.for_tenant(jobs[0].tenant_id), jobs) or {}  # one tenant per group
        except Exception as exc:  # the whole group failed: each job is retried on its own terms
            failures = {job.id: exc for job in jobs}
        for job in jobs:
            if job.id in failures:
                self._failed_with(job, failures[job.id])

    def _failed_with(self, job, exc: Exception) -> None:
        if isinstance(exc, NotConnected):  # uninstalled or revoked meanwhile: the work has no one to go to
            queue.cancel(self.rt.sessions, job, self.rt.clock(), str(exc))
            log.warning("job cancelled job_id=%s kind=%s: vendor disconnected", job.id, job.kind)
            return
        if isinstance(exc, SyncError):
            self._failed(job, str(exc), exc.retryable, exc.retry_after)
            return
        # A bug or an unexpected library error: retry, keep the type.
        log.error("job crashed job_id=%s kind=%s", job.id, job.kind, exc_info=exc)
        self._failed(job, f"{type(exc).__name__}: {redact(str(exc))}", True, None)

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
        from connector.cases.deadlines import mark_overdue

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
