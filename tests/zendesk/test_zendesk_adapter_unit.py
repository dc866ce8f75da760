"""ZendeskAdapter against mocked HTTP (``responses``): body, headers, idempotency, errors."""
import base64
import json
import time

import pytest
import requests
import responses
from responses import matchers

from connector.ports.errors import PermanentError, RetryableError
from connector.ports.keys import ZENDESK_TICKET
from connector.providers.zendesk import ZendeskAdapter

TOKEN = "zd-secret-token-123"
ORIGIN = "https://acme.zendesk.com"
TICKETS = f"{ORIGIN}/api/v2/tickets.json"
CONFIG = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "agent@acme.example",
          "ZENDESK_API_TOKEN": TOKEN}


def created(ticket_id=77, url_origin=ORIGIN):
    return {"ticket": {"id": ticket_id, "url": f"{url_origin}/api/v2/tickets/{ticket_id}.json",
                       "created_at": "2026-11-20T16:38:00Z", "status": "new"},
            "audit": {"id": 900, "ticket_id": ticket_id, "events": []}}


def listing(*ids):
    return {"tickets": [{"id": i, "external_id": "recovery-42"} for i in ids],
            "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
            "links": {"next": None, "prev": None}}


BY_EXTERNAL_ID = [matchers.query_param_matcher({"external_id": "recovery-42", "page[size]": "100"})]


@pytest.fixture
def adapter(mapping):
    return ZendeskAdapter.from_config(CONFIG, mapping)


def assert_clean(message: str, case):
    for secret in (TOKEN, case.answer.customer_email, case.answer.comment):
        assert secret not in message


@responses.activate
def test_create_sends_the_ticket_with_idempotency_key_auth_and_timeout(adapter, case, ledger):
    responses.post(TICKETS, json=created(77), status=201)

    assert adapter.open_ticket(case, ledger, first_attempt=True) == 77

    assert ledger.get(ZENDESK_TICKET) == "77"
    (call,) = responses.calls
    sent = json.loads(call.request.body)["ticket"]
    assert sent["type"] == "task" and sent["priority"] == "urgent"
    assert sent["due_at"] == "2026-11-20T22:37:00Z"
    assert sent["external_id"] == "recovery-42"
    assert sent["tags"] == ["nps_detractor", "recovery_chronic", "value_critical",
                            "severity_critical"]
    assert sent["requester"] == {"name": "Marie Dubois", "email": case.answer.customer_email}
    assert sent["comment"]["public"] is False and case.answer.comment in sent["comment"]["body"]
    assert call.request.headers["Idempotency-Key"] == "recovery-42"
    expected = base64.b64encode(f"agent@acme.example/token:{TOKEN}".encode()).decode()
    assert call.request.headers["Authorization"] == f"Basic {expected}"
    assert call.request.req_kwargs["timeout"] == 10.0


@responses.activate
def test_ledger_hit_makes_no_call(adapter, case, ledger):
    ledger.record(ZENDESK_TICKET, "55")
    assert adapter.open_ticket(case, ledger, first_attempt=False) == 55
    assert len(responses.calls) == 0


@responses.activate
def test_retry_finds_the_ticket_by_external_id_and_creates_nothing(adapter, case, ledger):
    responses.get(TICKETS, json=listing(81, 77), match=BY_EXTERNAL_ID)

    assert adapter.open_ticket(case, ledger, first_attempt=False) == 77

    assert [c.request.method for c in responses.calls] == ["GET"]
    assert ledger.get(ZENDESK_TICKET) == "77"


@responses.activate
def test_retry_without_an_existing_ticket_creates_one(adapter, case, ledger):
    responses.get(TICKETS, json=listing(), match=BY_EXTERNAL_ID)
    responses.post(TICKETS, json=created(78), status=201)

    assert adapter.open_ticket(case, ledger, first_attempt=False) == 78
    assert [c.request.method for c in responses.calls] == ["GET", "POST"]


@responses.activate
def test_reused_idempotency_key_with_another_body_falls_back_to_lookup(adapter, case, ledger):
    responses.post(TICKETS, status=400, json={
        "error": "IdempotentRequestError",
        "description": "Request parameters don't match the given idempotency key"})
    responses.get(TICKETS, json=listing(77), match=BY_EXTERNAL_ID)

    assert adapter.open_ticket(case, ledger, first_attempt=True) == 77


@responses.activate
def test_429_is_retryable_at_once_with_retry_after(adapter, case, ledger):
    responses.post(TICKETS, status=429, headers={"Retry-After": "30"},
                   body="Number of allowed API requests per minute exceeded",
                   content_type="text/plain")
    started = time.monotonic()

    with pytest.raises(RetryableError) as caught:
        adapter.open_ticket(case, ledger, first_attempt=True)

    assert caught.value.retry_after == 30.0
    assert len(responses.calls) == 1           # zenpy did not sleep and retry
    assert time.monotonic() - started < 5
    assert ledger.get(ZENDESK_TICKET) is None


@pytest.mark.parametrize("reply", [
    {"status": 500, "json": {"error": "InternalServerError"}},
    {"status": 503, "body": "<html>upstream down</html>", "content_type": "text/html"},
    {"body": requests.ConnectionError("Connection refused")},
    {"body": requests.ReadTimeout("read timed out")},
])
@responses.activate
def test_outages_are_retryable(adapter, case, ledger, reply):
    responses.post(TICKETS, **reply)
    with pytest.raises(RetryableError) as caught:
        adapter.open_ticket(case, ledger, first_attempt=True)
    assert_clean(str(caught.value), case)
    assert ledger.get(ZENDESK_TICKET) is None


@responses.activate
def test_401_is_permanent_and_leaks_nothing(adapter, case, ledger):
    responses.post(TICKETS, status=401, json={"error": "Couldn't authenticate you"})
    with pytest.raises(PermanentError) as caught:
        adapter.open_ticket(case, ledger, first_attempt=True)
    assert "HTTP 401" in str(caught.value)
    assert_clean(str(caught.value), case)


@responses.activate
def test_422_is_permanent_names_the_field_and_not_the_echoed_values(adapter, case, ledger):
    responses.post(TICKETS, status=422, json={
        "error": "RecordInvalid", "description": "Record validation errors",
        "details": {"requester": [{"description": f"Requester: {case.answer.customer_email} "
                                                  f"said {case.answer.comment}",
                                   "error": "InvalidValue"}]}})
    with pytest.raises(PermanentError) as caught:
        adapter.open_ticket(case, ledger, first_attempt=True)
    message = str(caught.value)
    assert "HTTP 422 RecordInvalid" in message and "requester" in message
    assert_clean(message, case)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@responses.activate
def test_base_url_override_sends_there_and_still_parses(mapping, case, ledger):
    base = "http://zendesk-proxy.test:8080/zd"
    adapter = ZendeskAdapter.from_config({**CONFIG, "ZENDESK_BASE_URL": base + "/"}, mapping)
    responses.post(f"{base}/api/v2/tickets.json", json=created(91, base), status=201)

    assert adapter.open_ticket(case, ledger, first_attempt=True) == 91
    assert adapter.ticket_url(91) == f"{base}/agent/tickets/91"


@responses.activate
def test_update_ticket_sends_priority_due_tags_and_private_note(adapter, case):
    responses.put(f"{ORIGIN}/api/v2/tickets/77.json", json=created(77))

    adapter.update_ticket(77, priority="high", due_at=case.stages[1].due_at,
                          tags_add=["recovery_overdue"], note="Empathy call is overdue.")

    sent = json.loads(responses.calls[0].request.body)["ticket"]
    assert sent == {"id": 77, "priority": "high", "due_at": "2026-11-21T16:37:00Z",
                    "additional_tags": ["recovery_overdue"],
                    "comment": {"body": "Empathy call is overdue.", "public": False}}


@responses.activate
def test_update_without_changes_makes_no_call(adapter):
    adapter.update_ticket(77)
    assert len(responses.calls) == 0


def test_missing_configuration_is_permanent_and_names_the_keys(mapping):
    with pytest.raises(PermanentError, match="ZENDESK_API_TOKEN") as caught:
        ZendeskAdapter.from_config({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@b.example"},
                                   mapping)
    assert "ZENDESK_SUBDOMAIN" not in str(caught.value)


def test_ticket_url_uses_the_account_origin(adapter):
    assert adapter.ticket_url(5) == "https://acme.zendesk.com/agent/tickets/5"
