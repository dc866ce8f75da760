"""The Zendesk stand-in is as strict as Zendesk on what the connector uses."""
import base64

import pytest

from connector.sandbox.zendesk import STANDIN_API_TOKEN, STANDIN_EMAIL, create_zendesk_standin

AUTH = {"Authorization": "Basic " + base64.b64encode(
    f"{STANDIN_EMAIL}/token:{STANDIN_API_TOKEN}".encode()).decode()}


def ticket(**overrides):
    body = {"subject": "Recovery #1", "comment": {"body": "note", "public": False},
            "requester": {"name": "Marie", "email": "marie@example.com"}, "priority": "high",
            "type": "task", "due_at": "2026-11-20T22:37:00Z", "tags": ["nps_detractor"],
            "external_id": "recovery-1"}
    body.update(overrides)
    return {"ticket": {k: v for k, v in body.items() if v is not ...}}


@pytest.fixture
def http(app):
    return app.test_client()


def post(http, body, **headers):
    return http.post("/api/v2/tickets.json", json=body, headers={**AUTH, **headers})


def test_create_answers_a_ticket_and_audit_like_zendesk(http, state):
    answer = post(http, ticket())

    assert answer.status_code == 201
    created = answer.get_json()["ticket"]
    assert created["url"].endswith(f"/api/v2/tickets/{created['id']}.json")
    assert answer.headers["Location"] == created["url"]
    assert answer.get_json()["audit"]["events"][0]["public"] is False
    stored = state.tickets[created["id"]]
    assert (stored["type"], stored["priority"], stored["status"]) == ("task", "high", "new")
    assert stored["is_public"] is False and stored["description"] == "note"
    assert state.users[stored["requester_id"]]["email"] == "marie@example.com"


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic " + base64.b64encode(f"{STANDIN_EMAIL}/token:nope".encode()).decode()},
    {"Authorization": "Basic " + base64.b64encode(
        f"{STANDIN_EMAIL}:{STANDIN_API_TOKEN}".encode()).decode()},  # password form, not token
])
def test_requests_without_valid_token_auth_are_401(http, state, headers):
    answer = http.post("/api/v2/tickets.json", json=ticket(), headers=headers)
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "Couldn't authenticate you"}
    assert state.tickets == {}


@pytest.mark.parametrize("overrides, field", [
    ({"priority": "critical"}, "priority"),
    ({"type": "bug"}, "type"),
    ({"status": "done"}, "status"),
    ({"due_at": "tomorrow"}, "due_at"),
    ({"type": "question"}, "due_at"),  # due_at is for tasks only
    ({"comment": ...}, "base"),
    ({"comment": {"body": ""}}, "comment"),
    ({"comment": {"body": "x", "private": True}}, "comment"),
    ({"requester": {"email": "not-an-email"}}, "requester"),
    ({"hubspot_id": 12}, "hubspot_id"),
])
def test_invalid_tickets_are_422_record_invalid_naming_the_field(http, state, overrides, field):
    answer = post(http, ticket(**overrides))

    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "RecordInvalid"
    assert field in body["details"]
    assert state.tickets == {}


def test_body_without_ticket_object_is_400(http):
    assert post(http, {"subject": "x"}).status_code == 400


def test_same_idempotency_key_and_body_replays_the_original(http, state):
    first = post(http, ticket(), **{"Idempotency-Key": "recovery-1"})
    second = post(http, ticket(), **{"Idempotency-Key": "recovery-1"})

    assert first.headers["x-idempotency-lookup"] == "miss"
    assert second.status_code == 201 and second.headers["x-idempotency-lookup"] == "hit"
    assert second.get_json() == first.get_json()
    assert len(state.tickets) == 1


def test_same_idempotency_key_with_another_body_is_400(http, state):
    post(http, ticket(), **{"Idempotency-Key": "recovery-1"})
    answer = post(http, ticket(priority="low"), **{"Idempotency-Key": "recovery-1"})

    assert answer.status_code == 400
    assert answer.get_json()["error"] == "IdempotentRequestError"
    assert len(state.tickets) == 1


def test_rate_limit_answers_429_with_retry_after():
    http = create_zendesk_standin(rate_limit_per_minute=2).test_client()
    statuses = [http.get("/api/v2/tickets.json", headers=AUTH) for _ in range(3)]

    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 60


def test_injected_fault_then_recovery(http, state):
    state.faults.fail_next(1, 503)
    assert post(http, ticket()).status_code == 503
    assert post(http, ticket()).status_code == 201
    assert state.calls.count("POST", "/api/v2/tickets", status=503) == 1


def test_list_by_external_id_and_requested_tickets(http, state):
    first = post(http, ticket()).get_json()["ticket"]
    post(http, ticket(external_id="recovery-2"))

    listed = http.get("/api/v2/tickets.json?external_id=recovery-1&page[size]=100",
                      headers=AUTH).get_json()
    assert [t["id"] for t in listed["tickets"]] == [first["id"]]
    assert listed["meta"]["has_more"] is False
    requested = http.get(f"/api/v2/users/{first['requester_id']}/tickets/requested.json",
                         headers=AUTH).get_json()
    assert len(requested["tickets"]) == 2  # same requester found, not created twice
    assert len([u for u in state.users.values() if u["role"] == "end-user"]) == 1


def test_cursor_pagination_walks_every_ticket(http):
    for n in range(3):
        post(http, ticket(external_id=f"recovery-{n}"))
    page = http.get("/api/v2/tickets.json?page[size]=2", headers=AUTH).get_json()
    assert page["meta"]["has_more"] is True and len(page["tickets"]) == 2
    rest = http.get(page["links"]["next"], headers=AUTH).get_json()
    assert len(rest["tickets"]) == 1 and rest["meta"]["has_more"] is False


def test_update_adds_note_priority_tags(http, state):
    created = post(http, ticket()).get_json()["ticket"]
    answer = http.put(f"/api/v2/tickets/{created['id']}.json", headers=AUTH, json={"ticket": {
        "priority": "urgent", "additional_tags": ["overdue"],
        "comment": {"body": "escalated", "public": False}}})

    assert answer.status_code == 200
    stored = state.tickets[created["id"]]
    assert stored["priority"] == "urgent"
    assert stored["tags"] == ["nps_detractor", "overdue"]
    comments = http.get(f"/api/v2/tickets/{created['id']}/comments.json", headers=AUTH).get_json()
    assert [c["body"] for c in comments["comments"]] == ["note", "escalated"]


def test_closed_tickets_cannot_be_updated_and_unknown_ones_are_404(http, state):
    created = post(http, ticket()).get_json()["ticket"]
    state.tickets[created["id"]]["status"] = "closed"

    closed = http.put(f"/api/v2/tickets/{created['id']}.json", headers=AUTH,
                      json={"ticket": {"priority": "low"}})
    assert closed.status_code == 422 and "status" in closed.get_json()["details"]
    missing = http.get("/api/v2/tickets/999999.json", headers=AUTH)
    assert missing.status_code == 404 and missing.get_json()["error"] == "RecordNotFound"


def test_search_by_external_id_and_user_email(http):
    created = post(http, ticket()).get_json()["ticket"]

    tickets = http.get("/api/v2/search.json?query=type:ticket external_id:recovery-1",
                       headers=AUTH).get_json()
    users = http.get("/api/v2/search.json?query=type:user email:MARIE@example.com",
                     headers=AUTH).get_json()
    assert [(r["id"], r["result_type"]) for r in tickets["results"]] == [(created["id"], "ticket")]
    assert [(r["id"], r["result_type"]) for r in users["results"]] == [
        (created["requester_id"], "user")]


def create_many(http, tickets, **headers):
    return http.post("/api/v2/tickets/create_many.json", json={"tickets": tickets}, headers={**AUTH, **headers})


def job(http, job_id):
    return http.get(f"/api/v2/job_statuses/{job_id}.json", headers=AUTH)


def test_create_many_answers_a_queued_job_whose_results_name_each_index(http, state):
    bodies = [ticket(external_id=f"recovery-{i}")["ticket"] for i in range(3)]
    bodies[1]["priority"] = "asap"
    queued = create_many(http, bodies, **{"Idempotency-Key": "k"})
    status = queued.get_json()["job_status"]
    assert queued.status_code == 200 and status["status"] == "queued" and status["results"] is None
    assert len(state.tickets) == 2  # created in the background whether or not anyone polls
    done = job(http, status["id"]).get_json()["job_status"]
    assert done["status"] == "completed" and done["total"] == 3
    by_index = {r["index"]: r for r in done["results"]}
    assert state.tickets[by_index[0]["id"]]["external_id"] == "recovery-0"
    assert state.tickets[by_index[2]["id"]]["external_id"] == "recovery-2"
    assert by_index[1]["error"] == "RecordInvalid" and "id" not in by_index[1]
    create_many(http, [bodies[0]], **{"Idempotency-Key": "k"})  # no idempotency on this endpoint
    assert [t["external_id"] for t in state.tickets.values()].count("recovery-0") == 2


def test_create_many_takes_1_to_100_tickets_and_unknown_jobs_are_404(http, state):
    assert create_many(http, [ticket()["ticket"]] * 101).status_code == 400
    assert create_many(http, []).status_code == 400
    assert http.post("/api/v2/tickets/create_many.json", json=ticket(), headers=AUTH).status_code == 400
    assert not state.tickets
    assert job(http, "no-such-job").status_code == 404


def test_a_slow_job_shows_working_until_it_is_done(http, state):
    state.job_delay = 3600
    status = create_many(http, [ticket()["ticket"]]).get_json()["job_status"]
    working = job(http, status["id"]).get_json()["job_status"]
    assert working["status"] == "working" and working["results"] is None


def test_business_hours_schedules_are_listed_like_zendesk(http, state):
    from connector.sandbox.zendesk_schedules import MON_FRI_9_TO_17, add_holiday, add_schedule

    assert http.get("/api/v2/business_hours/schedules.json").status_code == 401
    assert http.get("/api/v2/business_hours/schedules.json", headers=AUTH).get_json() == {"schedules": []}
    add_schedule(state, "Support", "Eastern Time (US & Canada)", MON_FRI_9_TO_17)
    [listed] = http.get("/api/v2/business_hours/schedules.json", headers=AUTH).get_json()["schedules"]
    assert {"id", "name", "time_zone", "intervals", "created_at", "updated_at"} == set(listed)
    assert listed["intervals"][0] == {"start_time": 1980, "end_time": 2460}  # Monday 09:00-17:00
    assert http.get(f"/api/v2/business_hours/schedules/{listed['id']}/holidays.json",
                    headers=AUTH).get_json() == {"holidays": []}
    add_holiday(state, listed["id"], "Thanksgiving", "2026-11-26", "2026-11-27")
    [holiday] = http.get(f"/api/v2/business_hours/schedules/{listed['id']}/holidays.json",
                         headers=AUTH).get_json()["holidays"]
    assert {"id", "name", "start_date", "end_date"} == set(holiday) and holiday["end_date"] == "2026-11-27"
    assert http.get("/api/v2/business_hours/schedules/999/holidays.json", headers=AUTH).status_code == 404
    with pytest.raises(ValueError):
        add_holiday(state, listed["id"], "Backwards", "2026-11-27", "2026-11-26")
    with pytest.raises(ValueError):
        add_schedule(state, "Night", "Paris", [(1380, 1500)])  # spans midnight: Zendesk refuses it
    with pytest.raises(ValueError):
        add_schedule(state, "Nowhere", "Middle Earth")
