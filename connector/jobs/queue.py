"""The job table as a queue that survives killed workers and several machines.

A worker claims a job by taking a lease (``lease_until``). If the worker dies,
the lease runs out and another worker claims the job again. ``attempts`` is
the fencing token: a worker whose lease was taken over can no longer finish
or fail the job. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so workers
never queue behind each other; SQLite serialises writers (BEGIN IMMEDIATE).

Claims take turns across tenants (``connector.jobs.turns``); within a tenant, first come,
first served.
"""
import math
import random
from collections.abc import Callable, Collection, Container
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol, cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from connector.jobs.turns import join_line, locking, next_job, served
from connector.store.db import session_now, transaction
from connector.store.models import Job
from connector.store.prepared import Prepared, PreparedInsert


class SessionHost(Protocol):
    """Whatever holds the session factory and the clock (the runtime, a use case's context)."""

    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]


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
    """Add a job unless one with the same dedupe key exists; True when added. Due at ``run_at``, else
    now by the runtime's clock (``store.db.session_now``): the clock that dated the answers and
    cases, so jobs queued now and jobs fed from an answer's arrival take turns in one order.

    One INSERT ... ON CONFLICT DO NOTHING: a concurrent insert of the same key is no error,
    and a worker settling a group holds SQLite's write lock for one statement per job, not
    a look-up, a savepoint and an insert."""
    values = dict(kind=kind, ref_id=ref_id, tenant_id=tenant_id, dedupe_key=dedupe_key or f"{kind}:{ref_id}",
                  run_at=run_at or session_now(session))
    join_line(session, tenant_id)
    return session.execute(_insert_if_new(session.get_bind().dialect.name), values).first() is not None


def _insert_if_new(dialect: str):
    if dialect not in _INSERT_IF_NEW:
        build = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
        _INSERT_IF_NEW[dialect] = (build(Job.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])
                                   .returning(Job.__table__.c.id))  # no row when the key was taken
    return _INSERT_IF_NEW[dialect]


_INSERT_IF_NEW: dict = {}


# Prepared once per dialect (``store.prepared``); a key already taken is skipped by the database,
# as ``enqueue`` skips it.
_INSERT_JOBS = PreparedInsert(cast(Table, Job.__table__), ("kind", "ref_id", "tenant_id", "dedupe_key", "run_at"),
                              conflict=("dedupe_key",))


def enqueue_fresh(session: Session, jobs: list[tuple[str, int, datetime]], *, tenant_id: str = "default") -> None:
    """Add the jobs of rows committed without them (``(kind, ref_id, due_from)``), in one INSERT.

    Each is due from when its row came (an answer's ``received_at``), so jobs are claimed in the
    order their rows came in: a case's plan, fed after a later answer queued that case's closing,
    still runs first. One INSERT ... ON CONFLICT DO NOTHING, no look-up first: a key that exists
    (fed twice, an id SQLite reused after a deletion) is skipped, as ``enqueue`` would skip it.
    """
    if not jobs:
        return
    join_line(session, tenant_id)
    _INSERT_JOBS.execute_many(session, [dict(kind=kind, ref_id=ref_id, tenant_id=tenant_id,
                                             dedupe_key=f"{kind}:{ref_id}", run_at=due_from)
                                        for kind, ref_id, due_from in jobs])


def window_end(now: datetime, window: float) -> datetime:
    """The end of the window of ``window`` seconds that ``now`` falls in; windows are counted from
    the epoch, so every worker puts a moment in the same one."""
    return datetime.fromtimestamp((math.floor(now.timestamp() / window) + 1) * window, tz=timezone.utc)


def enqueue_for_window(session: Session, kind: str, ref_id: int, *, tenant_id: str, dedupe_key: str,
                       run_at: datetime) -> bool:
    """Queue the one job of a window (``dedupe_key`` names it), due at ``run_at``. True when that job
    is queued and not started (new, or queued by an earlier ask), so it reads what this transaction
    commits; False when a worker already took it, and may have read the store before this commit.
    Locked on PostgreSQL until then (claims skip locked rows); SQLite's writers take turns anyway."""
    if enqueue(session, kind, ref_id, tenant_id=tenant_id, dedupe_key=dedupe_key, run_at=run_at):
        return True
    return session.scalar(select(Job.status).where(Job.dedupe_key == dedupe_key).with_for_update()) == "queued"


def enqueue_many(session: Session, jobs: list[tuple[str, int, str]], *, tenant_id: str = "default") -> None:
    """Add the jobs ``(kind, ref_id, dedupe_key)`` whose keys are new, in one INSERT (``enqueue``
    for a handler queueing a group's worth: one statement under the write lock, not one each)."""
    if not jobs:
        return
    now = session_now(session)
    join_line(session, tenant_id)
    _INSERT_JOBS.execute_many(session, [dict(kind=kind, ref_id=ref_id, tenant_id=tenant_id, dedupe_key=key, run_at=now)
                                        for kind, ref_id, key in {key: (k, r, key) for k, r, key in jobs}.values()])


def due_now_when_idle(session: Session, kind: str, tenant_id: str, now: datetime, feeders: Collection[str], *,
                      running_too: bool = False) -> bool:
    """Coalesced jobs of ``kind`` waiting for their window's end become due now when no job that
    would add to them (``feeders``) is queued for the tenant (``running_too``: or running, the
    caller's own job settled first): the last group of a campaign does not wait out the window,
    while a busy queue still coalesces. True when it brought them forward."""
    busy = ("queued", "running") if running_too else ("queued",)
    if session.scalar(select(Job.id).where(Job.tenant_id == tenant_id, Job.status.in_(busy),
                                           Job.kind.in_(feeders)).limit(1)) is not None:
        return False
    session.execute(update(Job).where(Job.tenant_id == tenant_id, Job.kind == kind, Job.status == "queued",
                                      Job.run_at > now).values(run_at=now)
                    .execution_options(synchronize_session=False))
    return True


def claim(factory, worker_id: str, now: datetime, lease_seconds: float,
          max_attempts: int) -> ClaimedJob | None:
    jobs = claim_group(factory, worker_id, now, lease_seconds, max_attempts)
    return jobs[0] if jobs else None


def claim_group(factory: sessionmaker[Session], worker_id: str, now: datetime, lease_seconds: float,
                max_attempts: int, group_size: int = 1,
                grouped_kinds: Container[str] | None = None) -> list[ClaimedJob]:
    """Claim the next due job and, when its kind is one of ``grouped_kinds`` (every kind when
    None), other due queued jobs of the same kind and tenant, up to ``group_size`` in all, in
    the same transaction.

    Grouping is chosen by the backlog: only jobs already due are taken, nothing waits for
    more work, so a lone job goes alone at once. Every job of the group gets its own lease
    and attempt number (its fencing token), exactly as if it had been claimed alone.
    """
    with transaction(factory) as session:
        job = next_job(session, now)
        if job is None:
            return []
        if job.status == "running" and job.attempts >= max_attempts:
            # Its worker died on every attempt: stop feeding it to workers.
            job.status, job.last_error, job.finished_at = "dead", "lease expired on last attempt", now
            return []
        served(session, job.tenant_id)
        size = group_size if grouped_kinds is None or job.kind in grouped_kinds else 1
        group = [(job.id, job.ref_id, job.attempts, job.last_error)]
        if size > 1:  # the columns a claim needs, not ORM objects: a group is up to a hundred rows
            group += session.execute(locking(session, select(Job.id, Job.ref_id, Job.attempts, Job.last_error).where(
                Job.status == "queued", Job.run_at <= now, Job.kind == job.kind,
                Job.tenant_id == job.tenant_id, Job.id != job.id)
                .order_by(Job.run_at, Job.id).limit(size - 1))).all()
        # One UPDATE for the group, not one per job: on SQLite every webhook waits while a claim
        # holds the write lock (a hundred ORM updates held it up to ~200 ms in a campaign).
        session.execute(update(Job).where(Job.id.in_([member[0] for member in group]))
                        .values(status="running", attempts=Job.attempts + 1, locked_by=worker_id,
                                lease_until=now + timedelta(seconds=lease_seconds))
                        .execution_options(synchronize_session=False))
        return [ClaimedJob(job_id, job.kind, ref_id, job.tenant_id, attempts + 1, attempts == 0 and error is None)
                for job_id, ref_id, attempts, error in group]


def _fenced(job: ClaimedJob):
    return and_(Job.id == job.id, Job.attempts == job.attempt, Job.status == "running")


def extend(factory: sessionmaker[Session], jobs: list[ClaimedJob], now: datetime, lease_seconds: float) -> int:
    """Renew the leases of jobs still running under these attempts; how many were renewed.

    A handler slower than its lease (a vendor at its rate limit, a starved CPU) would otherwise
    see its job claimed again while its calls are in flight: a second ticket or task set.
    """
    with transaction(factory) as session:
        return sum(session.execute(update(Job).where(_fenced(job)).values(
            lease_until=now + timedelta(seconds=lease_seconds))).rowcount for job in jobs)


def _completing():
    jobs = cast(Table, Job.__table__)
    return (update(jobs).where(jobs.c.id == bindparam("job_id"), jobs.c.attempts == bindparam("attempt"),
                               jobs.c.status == "running")
            .values(status="done", finished_at=bindparam("now", type_=jobs.c.finished_at.type),
                    lease_until=None, last_error=None).returning(jobs.c.id))


# Prepared once (``store.prepared``): a worker completes every job it serves, a campaign's worth
# of them, and the ORM's bulk update (its evaluation of the session, its execution context) cost
# more of the worker's CPU than the statement itself.
_COMPLETE = Prepared(_completing())


def complete(session: Session, job: ClaimedJob, now: datetime) -> bool:
    """Mark done inside the handler's own transaction; False if the lease was lost."""
    return bool(_COMPLETE.execute(session, dict(job_id=job.id, attempt=job.attempt, now=now)))


def finish(host: SessionHost, job: ClaimedJob) -> bool:
    """Complete a job in a transaction of its own (handlers with nothing else to commit)."""
    with transaction(host.sessions) as session:
        return complete(session, job, host.clock())


def cancel(factory, job: ClaimedJob, now: datetime, reason: str) -> bool:
    with transaction(factory) as session:
        return session.execute(update(Job).where(_fenced(job)).values(
            status="cancelled", finished_at=now, lease_until=None, last_error=reason[:2000])).rowcount == 1


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
