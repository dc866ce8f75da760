"""A handler slower than its lease keeps its job: nobody claims it again while it runs."""
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from connector.jobs import queue
from connector.jobs.registry import Registry
from connector.jobs.worker import Worker
from connector.store.db import install_schema, make_engine, make_session_factory, transaction
from connector.store.models import Job
from tests.e2e.conftest import wait_until


@dataclass
class Host:
    sessions: object
    registry: Registry
    config: dict = field(default_factory=lambda: {"JOB_LEASE_SECONDS": 0.3, "BATCH_LIMIT": 1})
    policy: queue.RetryPolicy = field(default_factory=queue.RetryPolicy)
    wake: threading.Event = field(default_factory=threading.Event)

    def clock(self) -> datetime:
        return datetime.now(timezone.utc)

    def for_tenant(self, tenant_id):
        return self


def lease_of(sessions, job_id):
    with transaction(sessions) as session:
        return session.scalar(select(Job.lease_until).where(Job.id == job_id))


def test_a_slow_handler_keeps_its_lease_and_runs_once(db_url):
    engine = make_engine(db_url)
    install_schema(engine)
    sessions = make_session_factory(engine)
    runs, release = [], threading.Event()

    def slow(rt, job):
        runs.append(job.id)
        release.wait(10)
        queue.finish(rt, job)

    registry = Registry()
    registry.handler("slow", slow)
    host = Host(sessions, registry)
    with transaction(sessions) as session:
        queue.enqueue(session, "slow", 1)
    with transaction(sessions) as session:
        job_id = session.scalar(select(Job.id))
    first = threading.Thread(target=Worker(host, "w1").run_once)
    first.start()
    wait_until(lambda: runs)
    claimed_until = lease_of(sessions, job_id)
    # Renewed twice: well past the lease it was claimed with, and still running.
    wait_until(lambda: (lease_of(sessions, job_id) - claimed_until).total_seconds() > 0.3, timeout=5)
    assert datetime.now(timezone.utc) > claimed_until.replace(tzinfo=timezone.utc)
    assert Worker(host, "w2").run_once() is False  # nothing to claim: the lease is alive
    release.set()
    first.join(5)
    with transaction(sessions) as session:
        assert session.scalar(select(Job.status).where(Job.id == job_id)) == "done"
    assert runs == [job_id]
