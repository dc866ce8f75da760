"""Clock travel: the day-60 re-survey goes out by itself and its answer closes the case.

A detractor answers; the clock moves to the re-survey stage (a lead before day 60); the
worker's scan asks the survey tool (Delighted's ``POST /v1/people.json``, or the signed
outbound webhook, both answered by ``responses``) carrying the case id; the tool's answer,
posted back through the connector's own webhook with that id, closes the case as its
re-survey with the outcome of the new score. Nothing configured: the task stays manual.
"""
import base64
import json
from datetime import timedelta

import pytest
import responses
from sqlalchemy import select

from connector.inbound import standard_webhooks
from connector.infra.clock import FrozenClock, system_clock
from connector.jobs.worker import Worker
from connector.store.db import transaction
from connector.store.models import Answer, Case, Job
from tests.conftest import ADMIN_TOKEN, drain, make_config, make_runtime
from tests.signing import answer_payload, signed_headers
from tests.surveys.vendors import SECRETS, sign_delighted

DELIGHTED = "https://api.delighted.com/v1/people.json"
API_KEY = "delighted-api-key-e2e"
HOOK_URL = "https://surveys.example.com/hooks/resurvey"
HOOK_SECRET = "whsec_" + base64.b64encode(b"resurvey-hook-secret-0123456789").decode()
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def start(db_url, fake_zendesk, fake_hubspot):
    """A connector on a frozen clock with the given settings: (runtime, Flask test client)."""
    from connector.web.app import create_app

    built = []

    def build(**settings):
        rt = make_runtime(make_config(db_url, DELIGHTED_SECRET=SECRETS["DELIGHTED_SECRET"], **settings),
                          zendesk=fake_zendesk, hubspot=fake_hubspot, clock=FrozenClock(system_clock().replace(microsecond=0)))
        built.append(rt)
        return rt, create_app(rt.config, runtime=rt).test_client()

    yield build
    for rt in built:
        rt.engine.dispose()


def delighted_answer(client, response_id, score, created_at, **properties):
    body = json.dumps({"event_type": "survey_response.created", "event_id": f"evt-{response_id}", "event_data": {
        "id": response_id, "person": {"id": "5975", "email": "marie@example.com", "name": "Marie Dubois"},
        "survey_type": "nps", "score": score, "comment": "Toujours pas réglé, c'est inadmissible.",
        "created_at": int(created_at.timestamp()), "person_properties": {"locale": "fr", **properties}}}).encode()
    response = client.post("/webhooks/surveys/delighted", data=body, headers=sign_delighted(body))
    assert response.status_code in (200, 202), response.get_data(as_text=True)
    return response.get_json()


def generic_answer(client, rt, **overrides):
    body = json.dumps(answer_payload(**overrides)).encode()
    response = client.post("/webhooks/surveys/generic", data=body, headers=signed_headers(
        body, msg_id=overrides["response_id"], timestamp=rt.clock().timestamp()))
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def resurvey_due(rt, case_id):
    with transaction(rt.sessions) as session:
        return next(s.due_at for s in session.get(Case, case_id).stages if s.key == "resurvey_d60")


def travel(rt, when):
    """Move the clock, let the worker's scans run once, then run every due job."""
    rt.clock.now = when
    Worker(rt, "test-worker").tick()
    drain(rt)


def api_case(client, case_id):
    return client.get(f"/api/cases/{case_id}", headers=ADMIN).get_json()


def resurvey_stage(client, case_id):
    return next(s for s in api_case(client, case_id)["stages"] if s["key"] == "resurvey_d60")


def jobs_of(rt, kind):
    with transaction(rt.sessions) as session:
        return [(j.ref_id, j.status, j.last_error) for j in session.scalars(select(Job).where(Job.kind == kind))]


@responses.activate
def test_delighted_schedules_the_resurvey_and_its_answer_closes_the_case(start):
    rt, client = start(DELIGHTED_API_KEY=API_KEY)
    opened = rt.clock()
    case_id = delighted_answer(client, "5435", 3, opened)["case_id"]
    drain(rt)
    due = resurvey_due(rt, case_id)
    scheduled = responses.post(DELIGHTED, json={"id": "5975", "email": "marie@example.com",
                                                "survey_scheduled_at": int(due.timestamp())})

    travel(rt, due - timedelta(hours=25))  # not yet within the 24 h lead
    assert scheduled.call_count == 0
    travel(rt, due - timedelta(hours=23))
    [call] = scheduled.calls
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert json.loads(call.request.body) == {"email": "marie@example.com", "name": "Marie Dubois",
                                             "delay": 23 * 3600,
                                             "properties": {"recovery_case_id": str(case_id), "locale": "fr"}}
    stage = resurvey_stage(client, case_id)
    assert stage["status"] == "done"
    assert stage["details"]["resurvey"] == {
        "channel": "delighted", "reference": "5975", "requested_at": (due - timedelta(hours=23)).isoformat(),
        "send_at": due.isoformat()}

    travel(rt, due + timedelta(hours=2))  # later scans: never a second request
    assert scheduled.call_count == 1

    # Delighted's webhook returns the person's properties: the answer is the case's re-survey.
    delighted_answer(client, "9001", 9, due + timedelta(hours=1), recovery_case_id=str(case_id))
    with transaction(rt.sessions) as session:
        answer = session.scalar(select(Answer).where(Answer.response_id == "delighted:9001"))
        assert answer.context["recovery_case_id"] == case_id
    closed = api_case(client, case_id)
    assert (closed["status"], closed["outcome"]) == ("closed", "promoter")


@responses.activate
def test_the_signed_webhook_asks_another_tool_and_the_generic_answer_closes_the_case(start):
    rt, client = start(RESURVEY_WEBHOOK_URL=HOOK_URL, RESURVEY_WEBHOOK_SECRET=HOOK_SECRET)
    submitted = rt.clock().replace(microsecond=0)
    case_id = generic_answer(client, rt, response_id="srv-open", submitted_at=submitted.isoformat())["case_id"]
    drain(rt)
    due = resurvey_due(rt, case_id)
    hook = responses.post(HOOK_URL, status=202)

    travel(rt, due - timedelta(hours=1))
    [call] = hook.calls
    standard_webhooks.verify([HOOK_SECRET], call.request.headers, call.request.body, now=lambda: rt.clock().timestamp())
    request = json.loads(call.request.body)["data"]
    assert request["recovery_case_id"] == case_id and request["answer_with"] == {"context": {"recovery_case_id": case_id}}
    assert request["customer"] == {"email": "marie@example.com", "name": "Marie Dubois", "locale": "fr"}
    assert request["survey"] == {"type": "nps"} and request["send_at"] == due.isoformat()
    assert request["question"].startswith("Il y a quelques semaines")
    assert resurvey_stage(client, case_id)["details"]["resurvey"]["channel"] == "webhook"

    rt.clock.now = due + timedelta(hours=3)
    body = generic_answer(client, rt, response_id="srv-resurvey", score=5, submitted_at=rt.clock().isoformat(),
                          context={"recovery_case_id": case_id})
    closed = api_case(client, case_id)
    assert (closed["status"], closed["outcome"]) == ("closed", "partial")
    assert body["case_id"] != case_id  # still a detractor: a new case, linked to this one
    assert api_case(client, body["case_id"])["previous_case_id"] == case_id


@responses.activate
def test_the_resurvey_answer_closes_the_case_even_before_its_closing_window(start):
    """A lead of 50 days sends the request at day 10: its answer at day 11 is the re-survey's,
    not an interim one, because Delighted returned the case id with it."""
    rt, client = start(DELIGHTED_API_KEY=API_KEY, RESURVEY_LEAD_HOURS=50 * 24.0)
    opened = rt.clock()
    case_id = delighted_answer(client, "5435", 3, opened)["case_id"]
    drain(rt)
    responses.post(DELIGHTED, json={"id": "5975"})
    travel(rt, opened + timedelta(days=10, hours=1))
    assert json.loads(responses.calls[0].request.body)["delay"] == (50 * 24 - 1) * 3600
    rt.clock.now = opened + timedelta(days=11)
    delighted_answer(client, "early", 5, rt.clock(), recovery_case_id=str(case_id))
    closed = api_case(client, case_id)
    assert (closed["status"], closed["outcome"]) == ("closed", "partial")


def test_with_no_tool_configured_the_task_stays_manual_and_the_case_says_so(start):
    rt, client = start()
    case_id = generic_answer(client, rt, response_id="srv-open", submitted_at=rt.clock().isoformat())["case_id"]
    drain(rt)
    travel(rt, resurvey_due(rt, case_id) - timedelta(hours=1))  # responses is not active: no HTTP would pass
    stage = resurvey_stage(client, case_id)
    assert stage["status"] == "pending"
    assert stage["details"]["resurvey"]["channel"] == "manual"
    assert "owner sends it" in stage["details"]["resurvey"]["reason"]
    assert jobs_of(rt, "survey.resurvey") == [(case_id, "done", None)]


@responses.activate
def test_a_delighted_key_serves_only_cases_opened_by_delighted(start):
    rt, client = start(DELIGHTED_API_KEY=API_KEY)
    case_id = generic_answer(client, rt, response_id="srv-open", submitted_at=rt.clock().isoformat())["case_id"]
    drain(rt)
    travel(rt, resurvey_due(rt, case_id) - timedelta(hours=1))
    assert len(responses.calls) == 0
    assert resurvey_stage(client, case_id)["details"]["resurvey"]["channel"] == "manual"


@responses.activate
def test_a_closed_case_is_never_resurveyed(start):
    rt, client = start(DELIGHTED_API_KEY=API_KEY)
    opened = rt.clock()
    case_id = delighted_answer(client, "5435", 3, opened)["case_id"]
    drain(rt)
    rt.clock.now = opened + timedelta(days=35)
    delighted_answer(client, "day35", 10, rt.clock())  # inside the window: closes it
    travel(rt, resurvey_due(rt, case_id))
    assert len(responses.calls) == 0 and jobs_of(rt, "survey.resurvey") == []


@responses.activate
def test_a_refused_key_kills_the_job_and_shows_on_the_case(start):
    rt, client = start(DELIGHTED_API_KEY=API_KEY)
    case_id = delighted_answer(client, "5435", 3, rt.clock())["case_id"]
    drain(rt)
    responses.post(DELIGHTED, status=401, json={"error": "Unauthorized"})
    travel(rt, resurvey_due(rt, case_id) - timedelta(hours=1))
    [(_, status, error)] = jobs_of(rt, "survey.resurvey")
    assert status == "dead" and "Delighted refused the credentials (401)" in error
    assert len(responses.calls) == 1  # a 401 is not retried
    case = api_case(client, case_id)
    assert case["sync_status"] == "failed" and resurvey_stage(client, case_id)["status"] != "done"


@responses.activate
def test_429_waits_for_retry_after_then_schedules_once(start):
    rt, client = start(DELIGHTED_API_KEY=API_KEY)
    case_id = delighted_answer(client, "5435", 3, rt.clock())["case_id"]
    drain(rt)
    responses.get(DELIGHTED, json=[])  # the retries look the person up first: nothing scheduled yet
    responses.post(DELIGHTED, status=429, headers={"Retry-After": "120"})
    responses.post(DELIGHTED, status=503)
    responses.post(DELIGHTED, json={"id": "5975"})
    asked_at = resurvey_due(rt, case_id) - timedelta(hours=2)
    rt.clock.now = asked_at
    worker = Worker(rt, "test-worker")
    worker.tick()  # enqueues the re-survey (and the escalations of the stages now late)
    while not responses.calls:  # until the request is answered 429
        assert worker.run_once()
    with transaction(rt.sessions) as session:
        job = session.scalar(select(Job).where(Job.kind == "survey.resurvey"))
        assert job.status == "queued" and job.run_at >= asked_at + timedelta(seconds=120)
    drain(rt)  # travels to the retry: 503, then scheduled
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "POST", "GET", "POST"]
    assert resurvey_stage(client, case_id)["details"]["resurvey"]["reference"] == "5975"


@pytest.mark.parametrize("settings,named", [
    ({"RESURVEY_WEBHOOK_URL": HOOK_URL}, "RECOVERY_RESURVEY_WEBHOOK_SECRET"),
    ({"RESURVEY_WEBHOOK_URL": HOOK_URL, "RESURVEY_WEBHOOK_SECRET": "not-base64!"}, "RECOVERY_RESURVEY_WEBHOOK_SECRET"),
])
def test_an_unsigned_or_badly_keyed_webhook_refuses_to_start(db_url, settings, named):
    from connector.config import ConfigError

    with pytest.raises(ConfigError, match=named):
        make_runtime(make_config(db_url, **settings))
