"""The job table as a queue that survives killed workers and several machines.

A worker claims a job by taking a lease (``lease_until``). If the worker dies,
the lease runs out and another worker claims the job again. ``attempts`` is
the fencing token: a worker whose lease was taken over can no longer finish
or fail the job. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so workers
never queue behind each other; SQLite serialises writers (BEGIN IMMEDIATE).
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.store.db import transaction
from connector.store.models import Job


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    ref_id: int
    tenant_id: str
    attempt: int
    fresh: bool  # first try, nothing failed before: no earlier call can have half-landed


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 20
    base: float = 2.0
    cap: float = 600.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Capped exponential backoff with jitter; never sooner than Retry-After."""
        ceiling = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        jittered = random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            # A little spread so a 429 storm does not come back as one wave.
            return max(retry_after, 0) * random.uniform(1.0, 1.2) + random.uniform(0, 0.25)
        return jittered


def enqueue(session: Session, kind: str, ref_id: int, *, tenant_id: str = "default",
            dedupe_key: str | None = None, run_at: datetime | None = None) -> bool:
    """Add a job unless one with the same dedupe key exists; True when added."""
    key = dedupe_key or f"{kind}:{ref_id}"
    if session.scalar(select(Job.id).where(Job.dedupe_key == key)) is not None:
        return False
    job = Job(kind=kind, ref_id=ref_id, tenant_id=tenant_id, dedupe_key=key)
    if run_at is not None:
        job.run_at = run_at
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # another process added it between our check and insert
        return False
    return True


def claim(factory, worker_id: str, now: datetime, lease_seconds: float,
          max_attempts: int) -> ClaimedJob | None:
    with transaction(factory) as session:
        claimable = or_(
            and_(Job.status == "queued", Job.run_at <= now),
            and_(Job.status == "running", Job.lease_until < now),
        )
        query = select(Job).where(claimable).order_by(Job.run_at, Job.id).limit(1)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = session.scalars(query).first()
        if job is None:
            return None
        if job.status == "running" and job.attempts >= max_attempts:
            # Its worker died on every attempt: stop feeding it to workers.
            job.status, job.last_error, job.finished_at = "dead", "lease expired on last attempt", now
            return None
        fresh = job.attempts == 0 and job.last_error is None
        job.status = "running"
        job.attempts += 1
        job.lease_until = now + timedelta(seconds=lease_seconds)
        job.locked_by = worker_id
        return ClaimedJob(job.id, job.kind, job.ref_id, job.tenant_id, job.attempts, fresh)


def _fenced(job: ClaimedJob):
    return and_(Job.id == job.id, Job.attempts == job.attempt, Job.status == "running")


def complete(session: Session, job: ClaimedJob, now: datetime) -> bool:
    """Mark done inside the handler's own transaction; False if the lease was lost."""
    result = session.execute(update(Job).where(_fenced(job)).values(
        status="done", finished_at=now, lease_until=None, last_error=None))
    return result.rowcount == 1


def finish(rt, job: ClaimedJob) -> bool:
    """Complete a job in a transaction of its own (handlers with nothing else to commit)."""
    with transaction(rt.sessions) as session:
        return complete(session, job, rt.clock())


def fail(factory, job: ClaimedJob, now: datetime, error: str, *, retryable: bool,
         retry_after: float | None, policy: RetryPolicy) -> str:
    """Reschedule or bury a job; returns the new status ('queued', 'dead' or 'lost')."""
    with transaction(factory) as session:
        attempts = job.attempt
        if retry_after is not None:
            attempts -= 1  # the vendor asked us to wait: backpressure, not a failure
        dead = not retryable or attempts >= policy.max_attempts
        values = dict(last_error=error[:2000] or "error", lease_until=None, attempts=attempts)
        if dead:
            values.update(status="dead", finished_at=now)
        else:
            delay = policy.delay(max(attempts, 1), retry_after)
            values.update(status="queued", run_at=now + timedelta(seconds=delay))
        result = session.execute(update(Job).where(_fenced(job)).values(**values))
        if result.rowcount != 1:
            return "lost"
        return "dead" if dead else "queued"


def replay(session: Session, job_id: int, now: datetime) -> bool:
    """Put a dead job back in the queue with a fresh attempt budget."""
    result = session.execute(update(Job).where(Job.id == job_id, Job.status == "dead").values(
        status="queued", attempts=0, run_at=now, finished_at=None, lease_until=None))
    return result.rowcount == 1
