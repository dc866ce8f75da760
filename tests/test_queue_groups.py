"""Claiming a group of due jobs of one kind and one tenant (SQLite and PostgreSQL)."""
from datetime import timedelta

from connector.jobs import queue
from connector.store.db import transaction
from tests.test_queue import POLICY, T0, job_row
from tests.threads import race


def add(runtime, kind, refs, *, tenant="default", run_at=T0):
    with transaction(runtime.sessions) as session:
        for ref in refs:
            assert queue.enqueue(session, kind, ref, tenant_id=tenant, run_at=run_at)


def claim(runtime, worker="w", now=T0, size=100):
    return queue.claim_group(runtime.sessions, worker, now, 60, POLICY.max_attempts, size)


def test_group_takes_due_jobs_of_the_same_kind_and_tenant_only(runtime):
    add(runtime, "hubspot.sync_answer", range(1, 6))
    add(runtime, "hubspot.sync_case", [1])
    add(runtime, "hubspot.sync_answer", [10, 11], tenant="other")
    add(runtime, "hubspot.sync_answer", [20], run_at=T0 + timedelta(seconds=5))  # not due yet
    group = claim(runtime)
    assert [j.ref_id for j in group] == [1, 2, 3, 4, 5]
    assert {(j.kind, j.tenant_id, j.attempt, j.fresh) for j in group} == {("hubspot.sync_answer", "default", 1, True)}
    assert all(job_row(runtime, j.id).status == "running" for j in group)
    assert [j.ref_id for j in claim(runtime)] == [10, 11]     # the other tenant's turn, on its own
    assert [j.ref_id for j in claim(runtime)] == [1]          # the other kind, alone
    assert claim(runtime) == []                               # ref 20 is not due


def test_a_lone_job_goes_at_once_and_the_size_caps_the_group(runtime):
    add(runtime, "hubspot.sync_answer", [1])
    assert [j.ref_id for j in claim(runtime)] == [1]
    add(runtime, "hubspot.sync_answer", range(2, 9))
    assert [j.ref_id for j in claim(runtime, size=3)] == [2, 3, 4]
    assert [j.ref_id for j in claim(runtime, size=1)] == [5]  # size 1: the naive, one job at a time
    single = queue.claim(runtime.sessions, "w", T0, 60, POLICY.max_attempts)
    assert single.ref_id == 6                                 # claim() still takes exactly one


def test_each_member_keeps_its_own_lease_and_fencing(runtime):
    add(runtime, "hubspot.sync_case", range(1, 4))
    first = claim(runtime, "w1")
    later = T0 + timedelta(seconds=61)  # the first worker died: every lease ran out
    again = [claim(runtime, "w2", now=later) for _ in range(3)]
    assert sorted(g[0].id for g in again) == sorted(j.id for j in first)
    assert all(len(g) == 1 and g[0].attempt == 2 and not g[0].fresh for g in again)  # retries go one by one
    with transaction(runtime.sessions) as session:
        assert not any(queue.complete(session, job, later) for job in first)     # fenced off
        assert all(queue.complete(session, g[0], later) for g in again)
    assert queue.fail(runtime.sessions, first[0], later, "late", retryable=True, retry_after=None,
                      policy=POLICY) == "lost"


def test_a_failed_member_is_retried_without_the_others(runtime):
    add(runtime, "hubspot.sync_case", range(1, 4))
    group = claim(runtime)
    with transaction(runtime.sessions) as session:
        for job in group[1:]:
            assert queue.complete(session, job, T0)
    assert queue.fail(runtime.sessions, group[0], T0, "503", retryable=True, retry_after=None,
                      policy=POLICY) == "queued"
    retry_at = job_row(runtime, group[0].id).run_at
    retried = claim(runtime, now=retry_at)
    assert [(j.id, j.attempt, j.fresh) for j in retried] == [(group[0].id, 2, False)]


def test_concurrent_group_claims_never_share_a_job(runtime):
    add(runtime, "hubspot.sync_answer", range(1, 31))
    add(runtime, "hubspot.sync_answer", range(31, 41), tenant="other")
    add(runtime, "zendesk.sync_case", range(1, 11))
    claimed = []

    def work(name):
        while group := claim(runtime, name, size=7):
            assert len({(j.kind, j.tenant_id) for j in group}) == 1
            claimed.extend(j.id for j in group)
            with transaction(runtime.sessions) as session:
                for job in group:
                    assert queue.complete(session, job, T0)

    assert race(work) == []
    assert sorted(claimed) == list(range(1, 51))
