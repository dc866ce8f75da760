"""The job queue on SQLite and PostgreSQL: leases, fencing, backoff, dead jobs."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from connector.infra.clock import FrozenClock
from connector.jobs import queue
from connector.jobs.queue import RetryPolicy
from connector.store.db import transaction
from connector.store.models import Job
from tests.conftest import make_config, make_runtime
from tests.threads import race

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy(max_attempts=3, base=1.0, cap=8.0)


def add(runtime, count=1, kind="zendesk.sync_case"):
    with transaction(runtime.sessions) as session:
        for ref in range(count):
            assert queue.enqueue(session, kind, ref + 1, run_at=T0)


def job_row(runtime, job_id):
    with transaction(runtime.sessions) as session:
        return session.get(Job, job_id)


def test_enqueue_deduplicates(runtime):
    with transaction(runtime.sessions) as session:
        assert queue.enqueue(session, "hubspot.link_ticket", 7)
        assert not queue.enqueue(session, "hubspot.link_ticket", 7)
    with transaction(runtime.sessions) as session:
        assert len(session.scalars(select(Job)).all()) == 1


def test_a_job_queued_without_a_time_is_due_now_by_the_runtimes_clock(db_url, fake_zendesk, fake_hubspot):
    """Not the wall clock's: a job fed from an answer's arrival (that clock's time) and one queued
    at once after it must take turns in that order (with the wall clock, a frozen clock ahead of it
    put the fed job last, and a company's roll-up was written before its window's end)."""
    rt = make_runtime(make_config(db_url), zendesk=fake_zendesk, hubspot=fake_hubspot, clock=FrozenClock(T0))
    try:
        with transaction(rt.sessions) as session:
            queue.enqueue_fresh(session, [("case.plan", 1, T0 - timedelta(seconds=1))])
            queue.enqueue(session, "zendesk.sync_case", 1)
            queue.enqueue_many(session, [("hubspot.sync_answer", 1, "hubspot.sync_answer:1")])
        with transaction(rt.sessions) as session:
            rows = session.execute(select(Job.kind, Job.run_at).order_by(Job.run_at, Job.id)).all()
        assert rows == [("case.plan", T0 - timedelta(seconds=1)), ("zendesk.sync_case", T0),
                        ("hubspot.sync_answer", T0)]
        rt.clock = FrozenClock(T0 + timedelta(hours=1))  # moved after start-up, as tests do: followed
        with transaction(rt.sessions) as session:
            queue.enqueue(session, "zendesk.sync_case", 2)
        with transaction(rt.sessions) as session:
            assert session.scalar(select(Job.run_at).where(Job.ref_id == 2)) == T0 + timedelta(hours=1)
    finally:
        rt.engine.dispose()


def test_claim_respects_run_at(runtime):
    add(runtime)
    assert queue.claim(runtime.sessions, "w1", T0 - timedelta(seconds=1), 60, 3) is None
    job = queue.claim(runtime.sessions, "w1", T0, 60, 3)
    assert job.attempt == 1 and job.fresh
    assert queue.claim(runtime.sessions, "w2", T0, 60, 3) is None  # leased


def test_expired_lease_is_claimed_again_and_old_worker_is_fenced_off(runtime):
    add(runtime)
    first = queue.claim(runtime.sessions, "w1", T0, 60, 3)
    second = queue.claim(runtime.sessions, "w2", T0 + timedelta(seconds=61), 60, 3)
    assert second.id == first.id and second.attempt == 2 and not second.fresh
    with transaction(runtime.sessions) as session:
        assert not queue.complete(session, first, T0)  # the killed-and-back worker lost it
    assert queue.fail(runtime.sessions, first, T0, "late", retryable=True, retry_after=None,
                      policy=POLICY) == "lost"
    with transaction(runtime.sessions) as session:
        assert queue.complete(session, second, T0)
    assert job_row(runtime, first.id).status == "done"


def test_retry_backoff_grows_and_is_capped():
    delays = [POLICY.delay(attempt) for attempt in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(8.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_retry_after_is_honoured():
    for _ in range(50):
        assert 30 <= POLICY.delay(1, retry_after=30) <= 36.25


def test_retryable_failure_reschedules_then_goes_dead(runtime):
    add(runtime)
    now = T0
    for attempt in range(1, 4):
        job = queue.claim(runtime.sessions, "w", now, 60, POLICY.max_attempts)
        assert job.attempt == attempt
        status = queue.fail(runtime.sessions, job, now, "503", retryable=True, retry_after=None, policy=POLICY)
        row = job_row(runtime, job.id)
        if attempt < 3:
            assert status == "queued" and row.run_at > now
            now = row.run_at
        else:
            assert status == "dead" and row.last_error == "503"


def test_429_does_not_spend_an_attempt(runtime):
    add(runtime)
    job = queue.claim(runtime.sessions, "w", T0, 60, 3)
    queue.fail(runtime.sessions, job, T0, "429", retryable=True, retry_after=10, policy=POLICY)
    row = job_row(runtime, job.id)
    assert row.attempts == 0 and row.status == "queued"
    assert row.run_at >= T0 + timedelta(seconds=10)


def test_permanent_failure_is_dead_at_once_and_replayable(runtime):
    add(runtime)
    job = queue.claim(runtime.sessions, "w", T0, 60, 3)
    assert queue.fail(runtime.sessions, job, T0, "400", retryable=False, retry_after=None, policy=POLICY) == "dead"
    with transaction(runtime.sessions) as session:
        assert queue.replay(session, job.id, T0)
        assert not queue.replay(session, job.id, T0)  # only dead jobs
    again = queue.claim(runtime.sessions, "w", T0, 60, 3)
    assert again.id == job.id and again.attempt == 1


def test_job_whose_worker_always_dies_goes_dead(runtime):
    add(runtime)
    now = T0
    for _ in range(3):
        assert queue.claim(runtime.sessions, "w", now, 60, 3) is not None
        now += timedelta(seconds=61)
    assert queue.claim(runtime.sessions, "w", now, 60, 3) is None
    assert job_row(runtime, 1).status == "dead"


def test_concurrent_claims_never_share_a_job(runtime):
    add(runtime, count=40)
    claimed = []

    def work(name):
        while (job := queue.claim(runtime.sessions, name, T0, 60, 3)) is not None:
            claimed.append(job.id)
            with transaction(runtime.sessions) as session:
                queue.complete(session, job, T0)

    assert race(work) == []
    assert sorted(claimed) == list(range(1, 41))


def test_coalesced_jobs_wait_while_their_feeders_are_queued_and_go_once_none_is(runtime):
    later = T0 + timedelta(seconds=10)
    with transaction(runtime.sessions) as session:
        queue.enqueue(session, "hubspot.company_write", 0, dedupe_key="write:a", run_at=later)
        queue.enqueue(session, "hubspot.company_rollup", 1, run_at=T0)
        queue.enqueue(session, "hubspot.company_write", 0, dedupe_key="write:b", tenant_id="other", run_at=later)
        assert not queue.due_now_when_idle(session, "hubspot.company_write", "default", T0, ["hubspot.company_rollup"])
    assert queue.claim(runtime.sessions, "w1", T0, 60, 3).kind == "hubspot.company_rollup"  # the feeder runs
    with transaction(runtime.sessions) as session:  # nothing feeds the write any more: due now
        assert queue.due_now_when_idle(session, "hubspot.company_write", "default", T0, ["hubspot.company_rollup"])
    with transaction(runtime.sessions) as session:
        run_at = dict(session.execute(select(Job.dedupe_key, Job.run_at).where(Job.kind == "hubspot.company_write")).all())
    assert run_at == {"write:a": T0, "write:b": later}  # another tenant's write keeps its window
