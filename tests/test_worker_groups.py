"""The worker hands a group handler every due job of one kind and one tenant, and settles
each job on its own: the served ones are done, a failed one alone is retried or dead."""
import pytest
from sqlalchemy import select

from connector.jobs import queue
from connector.jobs.worker import Worker
from connector.ports.errors import PermanentError, RetryableError
from connector.store.db import transaction
from connector.store.models import Job

KIND = "test.grouped"


@pytest.fixture
def grouped(frozen_runtime):
    """A group handler for a test kind: records each group, fails the refs it is told to."""
    seen, failing = [], {}

    def handle(rt, jobs):
        seen.append([(j.ref_id, j.tenant_id) for j in jobs])
        with transaction(rt.sessions) as session:
            for job in jobs:
                if job.ref_id not in failing:
                    queue.complete(session, job, rt.clock())
        return {j.id: failing[j.ref_id] for j in jobs if j.ref_id in failing}

    frozen_runtime.registry.group(KIND, handle)
    return seen, failing


def add(rt, refs, tenant="default"):
    with transaction(rt.sessions) as session:
        for ref in refs:
            queue.enqueue(session, KIND, ref, tenant_id=tenant, dedupe_key=f"{KIND}:{tenant}:{ref}",
                          run_at=rt.clock())


def statuses(rt):
    with transaction(rt.sessions) as session:
        return {(j.tenant_id, j.ref_id): (j.status, j.attempts) for j in session.scalars(select(Job))}


def test_one_group_per_tenant_and_only_the_failed_job_is_retried(frozen_runtime, grouped):
    seen, failing = grouped
    add(frozen_runtime, range(1, 6))
    add(frozen_runtime, [1, 2], tenant="acme")
    failing[3] = RetryableError("vendor answered 503 for this item")
    worker = Worker(frozen_runtime, "w")
    assert worker.run_once() and worker.run_once()
    assert seen == [[(r, "default") for r in range(1, 6)], [(1, "acme"), (2, "acme")]]
    after = statuses(frozen_runtime)
    assert after.pop(("default", 3)) == ("queued", 1)
    assert set(after.values()) == {("done", 1)}


def test_a_permanent_item_error_buries_that_job_alone(frozen_runtime, grouped):
    _, failing = grouped
    add(frozen_runtime, range(1, 4))
    failing[2] = PermanentError("vendor refused this item")
    Worker(frozen_runtime, "w").run_once()
    assert statuses(frozen_runtime) == {("default", 1): ("done", 1), ("default", 2): ("dead", 1),
                                        ("default", 3): ("done", 1)}


def test_a_group_wide_429_spends_no_attempt(frozen_runtime, grouped):
    add(frozen_runtime, range(1, 4))

    def throttled(rt, jobs):
        raise RetryableError("429", retry_after=10)

    frozen_runtime.registry.group(KIND, throttled)
    Worker(frozen_runtime, "w").run_once()
    assert set(statuses(frozen_runtime).values()) == {("queued", 0)}


def test_batch_limit_one_claims_one_job_at_a_time(frozen_runtime, grouped):
    seen, _ = grouped
    frozen_runtime.config["BATCH_LIMIT"] = 1
    add(frozen_runtime, range(1, 4))
    worker = Worker(frozen_runtime, "w")
    while worker.run_once():
        pass
    assert seen == [[(1, "default")], [(2, "default")], [(3, "default")]]
