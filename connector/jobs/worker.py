"""The worker loop: claim a job, run its handler, record the outcome.

Runs as threads inside ``recovery serve`` (embedded default) or as separate
``recovery worker`` processes on PostgreSQL. What an error means is the
registry's ``classify`` strategy: a retry with backoff, a cancel, or dead at once
(then ``on_dead`` tells the application, and the job waits for ``recovery replay``).
"""
import logging
import os
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from time import monotonic
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from connector.infra.logs import redact
from connector.jobs import queue
from connector.jobs.registry import GroupHandler, Registry, Verdict

log = logging.getLogger(__name__)
# How often a busy worker feeds (``Registry.feeders``): an answer's first job waits at most this
# long for a worker with work in hand, and a campaign's answers are fed ten or so a transaction.
FEED_EVERY_SECONDS = 0.05


class WorkerHost(Protocol):
    """What a worker needs from the application that runs it (the runtime satisfies it)."""

    config: Mapping[str, Any]
    sessions: sessionmaker[Session]
    registry: Registry
    policy: queue.RetryPolicy
    wake: threading.Event
    clock: Callable[[], datetime]

    def for_tenant(self, tenant_id: str) -> Any: ...


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, host: WorkerHost, worker_id: str | None = None):
        self.rt = host
        self.worker_id = worker_id or new_worker_id()
        self._last_run: dict[str, datetime] = {}
        self._fed = float("-inf")  # when this worker last fed (``time.monotonic``)

    def run_once(self) -> bool:
        """Process the next due job, or the next group of them; True if any was claimed.

        The registry's feeders run first, at most every ``FEED_EVERY_SECONDS`` while there is work,
        and again whenever nothing is due: a busy worker feeds a few answers a transaction (each a
        commit under SQLite's one write lock), an idle one at once."""
        if monotonic() - self._fed >= FEED_EVERY_SECONDS:
            self._feed()
        jobs = self._claim()
        if not jobs and self._feed():
            jobs = self._claim()
        if not jobs:
            return False
        with LeaseKeeper(self.rt, jobs):
            self._run(jobs)
        return True

    def _feed(self) -> int:
        self._fed = monotonic()
        return sum(feeder(self.rt) for feeder in self.rt.registry.feeders)

    def _claim(self) -> list[queue.ClaimedJob]:
        return queue.claim_group(self.rt.sessions, self.worker_id, self.rt.clock(),
                                 float(self.rt.config["JOB_LEASE_SECONDS"]), self.rt.policy.max_attempts,
                                 group_size=int(self.rt.config.get("BATCH_LIMIT", 1)),
                                 grouped_kinds=self.rt.registry.groups)

    def _run(self, jobs: list[queue.ClaimedJob]) -> None:
        registry = self.rt.registry
        if registry.is_grouped(jobs[0].kind):
            self._run_group(registry.groups[jobs[0].kind], jobs)
            return
        job = jobs[0]
        handler = registry.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind}")
            handler(self.rt.for_tenant(job.tenant_id), job)  # the job sees its own tenant's accounts only
        except Exception as exc:
            self._failed_with(job, exc)

    def _run_group(self, handler: GroupHandler, jobs: list[queue.ClaimedJob]) -> None:
        try:
            failures = handler(self.rt.for_tenant(jobs[0].tenant_id), jobs) or {}  # one tenant per group
        except Exception as exc:  # the whole group failed: each job is retried on its own terms
            failures = {job.id: exc for job in jobs}
        for job in jobs:
            if job.id in failures:
                self._failed_with(job, failures[job.id])

    def _failed_with(self, job: queue.ClaimedJob, exc: Exception) -> None:
        verdict = self.rt.registry.classify(exc)
        if verdict.verdict is Verdict.CANCEL:
            queue.cancel(self.rt.sessions, job, self.rt.clock(), verdict.message)
            log.warning("job cancelled job_id=%s kind=%s", job.id, job.kind)
            return
        if verdict.unexpected:
            log.error("job crashed job_id=%s kind=%s", job.id, job.kind, exc_info=exc)
        status = queue.fail(self.rt.sessions, job, self.rt.clock(), redact(verdict.message),
                            retryable=verdict.verdict is Verdict.RETRY, retry_after=verdict.retry_after,
                            policy=self.rt.policy)
        # A wait the vendor (or our own limiter) asked for is pacing, not a failure.
        level = logging.INFO if verdict.retry_after is not None and status == "queued" else logging.WARNING
        log.log(level, "job failed job_id=%s kind=%s attempt=%s now=%s retry_after=%s error=%s",
                job.id, job.kind, job.attempt, status, verdict.retry_after, verdict.label or "-")
        if status == "dead":
            self.rt.registry.on_dead(self.rt, job)

    def tick(self) -> None:
        """The registry's periodic tasks, each at most once per its interval (of the injectable clock)."""
        now = self.rt.clock()
        for task in self.rt.registry.periodic:
            last = self._last_run.get(task.name)
            if last is None or (now - last).total_seconds() >= task.every_seconds():
                self._last_run[task.name] = now
                task.run(self.rt)

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


class LeaseKeeper:
    """Renews the leases of the jobs in hand every third of a lease while their handler runs.

    Only a worker that stopped (killed, hung machine) lets a lease run out, so only then is
    its job claimed again: a slow handler never races a second copy of itself.
    """

    def __init__(self, host: WorkerHost, jobs: list[queue.ClaimedJob]):
        self.host, self.jobs = host, jobs
        self.lease = float(host.config["JOB_LEASE_SECONDS"])
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._renew, name="lease-keeper", daemon=True)

    def __enter__(self) -> "LeaseKeeper":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.done.set()
        self.thread.join()

    def _renew(self) -> None:
        while not self.done.wait(self.lease / 3):
            try:
                queue.extend(self.host.sessions, self.jobs, self.host.clock(), self.lease)
            except Exception:  # the database away for a moment: the next round tries again
                log.warning("lease renewal failed for %d job(s)", len(self.jobs), exc_info=True)


# How long a thread may hold the GIL while another wants it (Python's default: 5 ms). A worker
# thread holding SQLite's write lock gives up the GIL at every statement and then waits for the
# other worker thread, busy building or parsing a vendor batch, to hand it back: up to 5 ms a
# statement (and at every row a SELECT or an executemany steps through), while every webhook waits
# for that lock. At 0.5 ms, in a 5,000-answer campaign, the worker's holds over 15 ms went from
# 42-60 to 15-19; at 0.1 ms webhook p99 went from 34-81 ms (nine runs) to 24-33 ms (five, taken
# in turn with them), for ~0.05 more of a core in the worker (README, issue 16).
SWITCH_INTERVAL_SECONDS = 0.0001


def start_threads(host: WorkerHost, count: int, stop: threading.Event) -> list[threading.Thread]:
    if count > 1:
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    threads = []
    for index in range(count):
        worker = Worker(host, f"{new_worker_id()}-t{index}")
        thread = threading.Thread(target=worker.run, args=(stop,), name=f"worker-{index}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
