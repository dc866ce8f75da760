"""The answers are the intake's outbox (``cases.feeding``): the webhook's transaction holds the
answer (and a detractor's case), nothing else; the worker, or a reader first, feeds each answer
once: its one job and its delivery-log row."""
import threading

from sqlalchemy import select, update

from connector.cases import feeding
from connector.cases.privacy import ERASED, erase_contact
from connector.store.db import transaction
from connector.store.models import Answer, Case, Delivery, Job
from tests.conftest import drain
from tests.signing import answer_payload, post_answer

PROMOTER = dict(score=10, comment="Great", customer={"email": "paul@example.com"})


def rows(rt):
    with transaction(rt.sessions) as session:
        answers = session.execute(select(Answer.response_id, Answer.delivery_id, Answer.fed_at.is_not(None))
                                  .order_by(Answer.id)).all()
        jobs = session.execute(select(Job.kind, Job.ref_id).order_by(Job.id)).all()
        logged = session.execute(select(Delivery.delivery_id, Delivery.status_code, Delivery.outcome,
                                        Delivery.response_id).order_by(Delivery.id)).all()
    return [tuple(a) for a in answers], [tuple(j) for j in jobs], [tuple(d) for d in logged]


def test_the_webhook_commits_its_answer_and_case_only_and_feeding_adds_one_job_and_one_log_row(runtime, client):
    passive = post_answer(client, answer_payload(response_id="p-1", **PROMOTER), msg_id="m-p").get_json()
    detractor = post_answer(client, answer_payload(response_id="d-1"), msg_id="m-d").get_json()
    answers, jobs, logged = rows(runtime)
    assert answers == [("p-1", "m-p", False), ("d-1", "m-d", False)]
    assert jobs == [] and logged == []  # nothing but the answers (and the case the 202 names)
    with transaction(runtime.sessions) as session:
        assert session.get(Case, detractor["case_id"]).opening_answer_id is not None

    assert feeding.feed_answers(runtime) == 2
    answers, jobs, logged = rows(runtime)
    with transaction(runtime.sessions) as session:
        passive_id = session.scalar(select(Answer.id).where(Answer.response_id == "p-1"))
    assert passive["case_id"] is None
    assert jobs == [("hubspot.sync_answer", passive_id), ("case.plan", detractor["case_id"])]
    assert logged == [("m-p", 202, "accepted", "p-1"), ("m-d", 202, "accepted", "d-1")]
    assert all(fed for _, _, fed in answers)
    assert feeding.feed_answers(runtime) == 0 and rows(runtime)[1:] == (jobs, logged)  # fed once


def test_a_repeated_delivery_is_logged_at_once_and_queues_nothing_more(runtime, client):
    post_answer(client, answer_payload(response_id="p-1", **PROMOTER), msg_id="m-1")
    assert post_answer(client, answer_payload(response_id="p-1", **PROMOTER), msg_id="m-2").status_code == 200
    _, jobs, logged = rows(runtime)
    assert jobs == [] and logged == [("m-2", 200, "duplicate", "p-1")]
    feeding.feed_answers(runtime)
    _, jobs, logged = rows(runtime)
    assert [kind for kind, _ in jobs] == ["hubspot.sync_answer"]
    assert sorted(logged) == [("m-1", 202, "accepted", "p-1"), ("m-2", 200, "duplicate", "p-1")]


def test_a_reader_of_the_log_feeds_first_and_sees_the_accepted_delivery_in_the_order_received(
        client, admin_headers):
    post_answer(client, answer_payload(response_id="p-1", **PROMOTER), msg_id="m-accepted")
    post_answer(client, answer_payload(score=42, response_id="x"), msg_id="m-invalid")
    listed = client.get("/api/deliveries", headers=admin_headers).get_json()["deliveries"]
    # No worker ran: the GET fed the answer, whose row is newer by id and older by reception.
    assert [(d["delivery_id"], d["outcome"]) for d in listed] == [("m-invalid", "rejected"), ("m-accepted", "accepted")]


def test_the_worker_feeds_before_it_claims(runtime, client, fake_hubspot):
    post_answer(client, answer_payload(response_id="p-1", **PROMOTER))
    drain(runtime)
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(Job.status).where(Job.kind == "hubspot.sync_answer")) == "done"


def test_an_answer_erased_before_it_was_fed_is_logged_and_queues_no_job(runtime, client):
    case_id = post_answer(client, answer_payload(response_id="d-1")).get_json()["case_id"]
    feeding.feed_answers(runtime)
    with transaction(runtime.sessions) as session:
        session.execute(update(Case).where(Case.id == case_id).values(hubspot_contact_id="c-7"))
    post_answer(client, answer_payload(response_id="p-2", submitted_at="2026-11-21T10:00:00+00:00", **{
        **PROMOTER, "customer": {"email": "marie@example.com"}}), msg_id="m-later")
    with transaction(runtime.sessions) as session:
        erase_contact(session, "c-7", runtime.clock())
    assert feeding.feed_answers(runtime) == 1
    answers, jobs, logged = rows(runtime)
    assert ("m-later", 202, "accepted", "p-2") in logged
    with transaction(runtime.sessions) as session:
        later = session.execute(select(Answer.id, Answer.customer_email).where(Answer.response_id == "p-2")).one()
    assert later.customer_email == ERASED
    assert not [job for job in jobs if job == ("hubspot.sync_answer", later.id)]


def test_two_feeders_at_once_feed_each_answer_once(runtime, client):
    for n in range(30):
        post_answer(client, answer_payload(response_id=f"p-{n}", **{**PROMOTER, "customer": {
            "email": f"c{n}@example.com"}}), msg_id=f"m-{n}")
    start, fed = threading.Barrier(2), []

    def feed():
        start.wait()
        fed.append(feeding.feed_answers(runtime))
    threads = [threading.Thread(target=feed) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(fed) == 30
    answers, jobs, logged = rows(runtime)
    assert len(jobs) == len(set(jobs)) == 30 and len(logged) == 30
    assert sorted(d for d, *_ in logged) == sorted(f"m-{n}" for n in range(30))


def test_a_case_fed_after_a_later_answer_closed_it_is_still_planned_first(runtime, client):
    from datetime import timedelta

    from connector.jobs import queue

    opened = runtime.clock() - timedelta(days=40)
    case_id = post_answer(client, answer_payload(response_id="open", score=3,
                                                 submitted_at=opened.isoformat())).get_json()["case_id"]
    post_answer(client, answer_payload(response_id="day35", score=9,
                                       submitted_at=(opened + timedelta(days=35)).isoformat()))
    _, jobs, _ = rows(runtime)
    assert ("zendesk.close_case", case_id) in jobs  # queued by the closing answer's own transaction
    feeding.feed_answers(runtime)
    # Fed jobs are due from their answers' arrival: the plan (then the case's sync) before the closing.
    first = queue.claim_group(runtime.sessions, "test", runtime.clock(), 60, 5, 1, runtime.registry.groups)
    assert [(job.kind, job.ref_id) for job in first] == [("case.plan", case_id)]


def test_a_busy_worker_feeds_every_so_often_and_an_idle_one_at_once(runtime, monkeypatch):
    from connector.jobs import worker as worker_module
    from connector.jobs.queue import enqueue

    clock = [100.0]
    monkeypatch.setattr(worker_module, "monotonic", lambda: clock[0])
    calls = []
    runtime.registry.feeders[:] = [lambda rt: calls.append(clock[0]) or 0]
    runtime.registry.handler("test.noop", lambda rt, job: None)
    with transaction(runtime.sessions) as session:
        for n in range(3):
            enqueue(session, "test.noop", n)
    worker = worker_module.Worker(runtime, "w")
    assert worker.run_once() and calls == [100.0]  # the first claim feeds
    clock[0] += worker_module.FEED_EVERY_SECONDS / 2
    assert worker.run_once() and calls == [100.0]  # busy: not again so soon
    clock[0] += worker_module.FEED_EVERY_SECONDS
    assert worker.run_once() and len(calls) == 2  # busy, but the interval is over
    assert not worker.run_once() and len(calls) == 3  # nothing due: it feeds at once, then looks again
