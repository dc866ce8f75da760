"""Issue 16: a systemic issue's upkeep is cheap whatever its size.

- A ``zendesk.systemic`` run reads and writes its members' ledgers together: the same number of
  SQL statements for 2 or 8 newcomers, for 3 or 11 members (it was two transactions per member,
  each run, so a campaign's issue cost O(N^2) queries).
- Joins and landings within ``SYSTEMIC_UPDATE_SECONDS`` share one job, due at the window's end,
  and its one run tags and lists them all, while more asks are on their way (a check or a Zendesk
  sync queued); with none queued the pending update is due at once; 0 serves each at once.
"""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from connector.cases.systemic import _problem
from connector.jobs.worker import Worker
from connector.store.db import transaction
from connector.store.models import Job
from tests.conftest import drain, make_config, make_runtime, plan
from tests.signing import answer_payload, post_answer

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
JOINED = "More recovery tickets with the same cause:"


@pytest.fixture
def connect(db_url, fake_zendesk, fake_hubspot):
    """A runtime on a frozen clock with these settings, and a client of its app."""
    from connector.infra.clock import FrozenClock, system_clock
    from connector.web.app import create_app

    made = []

    # A second into a 30 s window, two minutes ahead of the wall clock (rows stamped with wall
    # time are due): what runs now stays in this window, whoever is slow.
    start = EPOCH + timedelta(seconds=(system_clock() - EPOCH).total_seconds() // 30 * 30 + 121)

    def build(**overrides):
        rt = make_runtime(make_config(db_url, **overrides), zendesk=fake_zendesk, hubspot=fake_hubspot,
                          clock=FrozenClock(start))
        made.append(rt)
        return rt, create_app(rt.config, runtime=rt).test_client()

    yield build
    for rt in made:
        rt.engine.dispose()


def _answer(client, n: int, day: int) -> int:
    payload = answer_payload(response_id=f"srv-upd-{n}", comment="Ma facture est fausse, encore.",
                             submitted_at=f"2026-11-{day:02d}T10:00:00+00:00",
                             customer={"email": f"customer{n}@example.com", "name": f"Customer {n}"})
    answer = post_answer(client, payload)
    assert answer.status_code == 202
    plan(client.application.extensions["recovery"])  # its check and sync are queued, as the tests arrange them
    return answer.get_json()["case_id"]


def _open_issue(rt, client) -> int:
    """Three invoice detractors within a week: the issue and its problem ticket, all served."""
    for n, day in ((0, 2), (1, 3), (2, 5)):
        _answer(client, n, day)
    drain(rt)
    [issue] = client.get("/api/systemic-issues", headers=_admin()).get_json()["systemic_issues"]
    assert issue["problem_ticket_id"]
    return int(issue["id"])


def _admin() -> dict:
    from tests.conftest import ADMIN_TOKEN
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _run_due(rt) -> None:
    """The worker runs what is due now; the clock stays where it is (``drain`` would travel it)."""
    worker = Worker(rt, "test-worker")
    while worker.run_once():
        pass


def _more_on_the_way(rt, client, n: int) -> int:
    """One more invoice detractor whose check and Zendesk sync wait behind a busy queue (an hour):
    asks are still coming, so the window holds."""
    case_id = _answer(client, n, 6)
    with transaction(rt.sessions) as session:
        for job in session.scalars(select(Job).where(Job.ref_id == case_id,
                                                     Job.kind.in_(("systemic.check", "zendesk.sync_case")))):
            job.run_at = rt.clock() + timedelta(hours=1)
    return case_id


def _pending_updates(rt) -> list[Job]:
    with transaction(rt.sessions) as session:
        jobs = session.scalars(select(Job).where(Job.kind == "zendesk.systemic", Job.status == "queued")).all()
        session.expunge_all()
        return list(jobs)


def _statements(rt, run) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    return len(seen)


def _spy_tagging(fake_zendesk) -> list[list[int]]:
    """The bulk tag updates asked of Zendesk, one list of tickets per call."""
    calls: list[list[int]] = []
    tag = fake_zendesk.tag_tickets

    def spy(ticket_ids, tags, note):
        calls.append(list(ticket_ids))
        tag(ticket_ids, tags, note)

    fake_zendesk.tag_tickets = spy
    return calls


def _joined_comments(fake_zendesk) -> list[str]:
    return [u["note"] for _, u in fake_zendesk.updates if (u.get("note") or "").startswith(JOINED)]


def test_a_run_costs_the_same_statements_whatever_the_issue_size(connect, fake_zendesk):
    rt, client = connect()
    issue_id = _open_issue(rt, client)
    serve = lambda: _problem(rt, issue_id, fresh=False)  # noqa: E731 - the run, as the worker calls it
    idle_small = _statements(rt, serve)

    for n in (3, 4):
        _answer(client, n, 6)
    _run_due(rt)  # joined, tickets landed; their update waits for the window's end
    few = _statements(rt, serve)
    for n in range(5, 11):
        _answer(client, n, 6)
    _run_due(rt)
    many = _statements(rt, serve)
    idle_large = _statements(rt, serve)

    assert few == many, (few, many)
    assert idle_small == idle_large, (idle_small, idle_large)
    assert len(_joined_comments(fake_zendesk)) == 2  # one per serving run
    sent = len(fake_zendesk.updates)
    drain(rt)  # the window's pending job: everyone is served already, nothing is sent twice
    assert len(fake_zendesk.updates) == sent and _pending_updates(rt) == []


def test_joins_within_the_window_share_one_update_due_at_its_end(connect, fake_zendesk):
    rt, client = connect(SYSTEMIC_UPDATE_SECONDS=30)
    _open_issue(rt, client)
    tagging, before = _spy_tagging(fake_zendesk), len(fake_zendesk.updates)

    joiners = [_answer(client, n, 6) for n in range(3, 9)]
    _more_on_the_way(rt, client, 9)  # its asks come after the window's end
    _run_due(rt)
    [pending] = _pending_updates(rt)  # six joins and six landings: one job
    assert pending.run_at == rt.clock() + timedelta(seconds=29)  # the window's end
    assert len(fake_zendesk.updates) == before  # nothing sent before the window ends

    drain(rt)  # travels to the window's end (then an hour on, for the late detractor)
    assert len(tagging[0]) == len(joiners)
    comment = _joined_comments(fake_zendesk)[0]
    assert all(f"(case {c})" in comment for c in joiners)


def test_a_join_after_the_window_job_started_is_not_lost(connect, fake_zendesk):
    rt, client = connect(SYSTEMIC_UPDATE_SECONDS=30)
    _open_issue(rt, client)
    first = _answer(client, 3, 6)
    _more_on_the_way(rt, client, 9)
    _run_due(rt)
    [pending] = _pending_updates(rt)
    with transaction(rt.sessions) as session:  # a worker takes it as the next ask is on its way
        session.get(Job, pending.id).status = "running"
    late = _answer(client, 4, 6)
    _run_due(rt)  # the late ask is served on its own, at once
    [comment] = _joined_comments(fake_zendesk)
    assert f"(case {first})" in comment and f"(case {late})" in comment


def test_the_last_ask_with_nothing_more_queued_brings_the_update_forward(connect, fake_zendesk):
    """A lone join, or a campaign's last group: no check or sync is queued that could ask again,
    so the window's job is due at once and served without waiting out the window."""
    rt, client = connect(SYSTEMIC_UPDATE_SECONDS=30)
    _open_issue(rt, client)
    tagging = _spy_tagging(fake_zendesk)
    held = _more_on_the_way(rt, client, 9)
    joiners = [_answer(client, n, 6) for n in range(3, 6)]
    _run_due(rt)
    [pending] = _pending_updates(rt)  # held: the late detractor's check and sync may still ask
    assert pending.run_at > rt.clock() and not _joined_comments(fake_zendesk)

    with transaction(rt.sessions) as session:  # the late detractor's turn comes: the last asks
        for job in session.scalars(select(Job).where(Job.ref_id == held, Job.status == "queued")):
            job.run_at = rt.clock()
    _run_due(rt)  # the clock has not moved: the window's end is still 29 s away
    assert _pending_updates(rt) == []
    [comment] = _joined_comments(fake_zendesk)
    assert all(f"(case {c})" in comment for c in [*joiners, held])
    assert sum(len(call) for call in tagging) <= len(joiners) + 1


def test_no_window_serves_each_join_at_once(connect, fake_zendesk):
    rt, client = connect(SYSTEMIC_UPDATE_SECONDS=0)
    issue_id = _open_issue(rt, client)
    joiners = [_answer(client, n, 6) for n in range(3, 6)]
    _run_due(rt)  # no clock travel needed
    assert _pending_updates(rt) == []
    comments = _joined_comments(fake_zendesk)
    assert comments and all(any(f"(case {c})" in text for text in comments) for c in joiners)
    with transaction(rt.sessions) as session:
        keys = set(session.scalars(select(Job.dedupe_key).where(Job.kind == "zendesk.systemic")))
    assert {f"zendesk.systemic:{issue_id}:{c}" for c in joiners} <= keys  # one job per join, as before the window


def test_the_problem_ticket_opens_at_once_when_its_tickets_land_after_the_issue(connect, fake_zendesk):
    rt, client = connect(SYSTEMIC_UPDATE_SECONDS=30)
    cases = [_answer(client, n, day) for n, day in ((0, 2), (1, 3), (2, 5))]
    with transaction(rt.sessions) as session:  # Zendesk's queue is slow: the issue opens first
        for job in session.scalars(select(Job).where(Job.kind == "zendesk.sync_case")):
            job.run_at = rt.clock() + timedelta(hours=1)
    _run_due(rt)
    assert not [t for t in fake_zendesk.tickets.values() if t.get("type") == "problem"]
    rt.clock.advance(timedelta(hours=1))  # the same second of a window as before
    _run_due(rt)  # the tickets land: no window to wait for while the problem is not open
    [problem] = [t for t in fake_zendesk.tickets.values() if t.get("type") == "problem"]
    assert all(f"(case {c})" in problem["note"] for c in cases) and _pending_updates(rt) == []


def test_a_zendesk_sync_ahead_of_the_check_joins_the_case_before_making_its_ticket(connect, fake_zendesk):
    """Two worker threads: the check of a group may still be queued when the Zendesk sync of the same
    cases runs. The sync decides the join first, so the ticket is made in its issue (tagged and noted
    at creation, no bulk update later), and the check finds the case decided."""
    from connector.cases.systemic_joins import CHECK
    from connector.store.models import Case
    rt, client = connect()
    issue_id = _open_issue(rt, client)
    case_id = _answer(client, 3, 6)
    with transaction(rt.sessions) as session:  # the check waits behind a busy queue; the sync does not
        [check] = session.scalars(select(Job).where(Job.kind == CHECK, Job.ref_id == case_id)).all()
        check.run_at = rt.clock() + timedelta(hours=1)
    _run_due(rt)

    [ticket] = [t for t in fake_zendesk.tickets.values() if t["external_id"] == f"recovery-{case_id}"]
    assert ticket["systemic"] is not None and ticket["systemic"].tag == "systemic_billing"
    assert f"#{issue_id}" in ticket["systemic"].note
    with transaction(rt.sessions) as session:
        assert session.get(Case, case_id).systemic_issue_id == issue_id
    drain(rt)  # the check, an hour later: the case stays in its issue, nothing else opens
    with transaction(rt.sessions) as session:
        assert session.get(Case, case_id).systemic_issue_id == issue_id
        assert session.scalars(select(Job.status).where(Job.kind == CHECK, Job.ref_id == case_id)).one() == "done"


def test_a_check_that_asks_last_releases_the_window_once_it_is_done(connect, fake_zendesk):
    """Two workers: the check of a case runs elsewhere while its ticket lands, so its join is the
    last ask. A check asks while its own job runs (which holds the window), so once its group is
    settled it releases the pending update: nothing waits out the window on a quiet queue."""
    rt, client = connect(SYSTEMIC_UPDATE_SECONDS=30)
    _open_issue(rt, client)
    case_id = _answer(client, 3, 6)
    with transaction(rt.sessions) as session:  # another worker has the check
        [check] = session.scalars(select(Job).where(Job.kind == "systemic.check", Job.ref_id == case_id)).all()
        check.status = "running"
    _run_due(rt)  # the ticket lands, outside any issue yet: nothing to list
    assert not _joined_comments(fake_zendesk)
    with transaction(rt.sessions) as session:  # that worker's turn: it runs the check here
        session.get(Job, check.id).status = "queued"
    _run_due(rt)  # the clock has not moved: the window's end is 29 s away
    assert _pending_updates(rt) == []
    [comment] = _joined_comments(fake_zendesk)
    assert f"(case {case_id})" in comment
