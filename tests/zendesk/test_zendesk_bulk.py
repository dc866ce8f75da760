"""Several cases' tickets in one ``tickets/create_many`` (mocked HTTP with ``responses``):
request shape, job polling, per-ticket results, and exactly one ticket per case on retries."""
import json

import pytest
import responses
from responses import matchers

from connector.ports.batches import TicketOpen
from connector.ports.errors import PermanentError, RetryableError
from connector.ports.keys import ZENDESK_TICKET, ZENDESK_TICKET_JOB
from connector.providers.zendesk import ZendeskAdapter
from connector.providers.zendesk.bulk import MIN_BULK
from tests.zendesk.conftest import MemoryLedger

ORIGIN = "https://acme.zendesk.com"
CREATE_MANY = f"{ORIGIN}/api/v2/tickets/create_many.json"
TICKETS = f"{ORIGIN}/api/v2/tickets.json"
CONFIG = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "agent@acme.example", "ZENDESK_API_TOKEN": "zd-token"}


def job_url(job_id="j1"):
    return f"{ORIGIN}/api/v2/job_statuses/{job_id}.json"


def job(status="completed", results=None, job_id="j1"):
    return {"job_status": {"id": job_id, "url": job_url(job_id), "status": status, "total": MIN_BULK,
                           "progress": 3 if results else None, "results": results}}


@pytest.fixture
def adapter(mapping):
    zendesk = ZendeskAdapter.from_config(CONFIG, mapping)
    zendesk.sleep = lambda seconds: None  # polling waits are not what these tests measure
    return zendesk


@pytest.fixture
def items(make_case):
    return [TicketOpen(i, make_case(case_id=40 + i), MemoryLedger(), True) for i in range(MIN_BULK)]


def created(*ids):
    return [{"index": i, "id": ticket_id} for i, ticket_id in enumerate(ids)]


@responses.activate
def test_several_cases_go_in_one_create_many_and_each_gets_its_index(adapter, items):
    responses.post(CREATE_MANY, json=job("queued"))
    responses.get(job_url(), json=job("working"))
    responses.get(job_url(), json=job(results=list(reversed(created(501, 502, 503, 504, 505)))))
    assert adapter.open_tickets(items, 100) == {0: 501, 1: 502, 2: 503, 3: 504, 4: 505}
    create, *polls = responses.calls
    sent = json.loads(create.request.body)
    assert list(sent) == ["tickets"] and [t["external_id"] for t in sent["tickets"]] == \
        [f"recovery-{40 + i}" for i in range(MIN_BULK)]
    assert all(t["comment"]["public"] is False and t["type"] == "task" for t in sent["tickets"])
    assert "Idempotency-Key" not in create.request.headers  # create_many has none: the ledger guards it
    assert len(polls) == 2
    assert [i.ledger.get(ZENDESK_TICKET_JOB) for i in items] == [f"j1:{i}" for i in range(MIN_BULK)]
    assert [i.ledger.get(ZENDESK_TICKET) for i in items] == ["501", "502", "503", "504", "505"]


@responses.activate
def test_a_ticket_zendesk_refuses_fails_alone(adapter, items):
    responses.post(CREATE_MANY, json=job("queued"))
    results = created(501, 502, 503, 504, 505)
    results[1] = {"index": 1, "error": "RecordInvalid", "details": "Requester: marie@example.com is invalid"}
    responses.get(job_url(), json=job(results=results))
    result = adapter.open_tickets(items, 100)
    assert (result[0], result[2], result[4]) == (501, 503, 505)
    assert isinstance(result[1], PermanentError) and "RecordInvalid" in str(result[1])
    assert "marie" not in str(result[1])  # the details echo values: never in our errors


@responses.activate
def test_the_limit_splits_the_request_and_a_few_cases_use_the_single_create(adapter, items, make_case):
    responses.post(TICKETS, json={"ticket": {"id": 9}, "audit": {"id": 1, "events": []}}, status=201)
    few = adapter.open_tickets(items[:MIN_BULK - 1], 100)
    assert few == {i: 9 for i in range(MIN_BULK - 1)}
    assert [c.request.headers["Idempotency-Key"] for c in responses.calls] == \
        [f"recovery-{40 + i}" for i in range(MIN_BULK - 1)]
    responses.calls.reset()
    bigger = [TicketOpen(i, make_case(case_id=50 + i), MemoryLedger(), True) for i in range(2 * MIN_BULK + 1)]
    responses.post(CREATE_MANY, json=job("queued"))
    responses.get(job_url(), json=job(results=created(*range(600, 600 + MIN_BULK + 1))))
    adapter.open_tickets(bigger, MIN_BULK + 1)
    sizes = [len(json.loads(c.request.body)["tickets"]) for c in responses.calls if c.request.url == CREATE_MANY]
    assert sizes == [MIN_BULK + 1, MIN_BULK]


@responses.activate
def test_a_crash_while_polling_is_retried_by_polling_the_same_job_not_by_creating(adapter, items):
    for item in items:
        item.ledger.record(ZENDESK_TICKET_JOB, f"j1:{item.key}")
    retried = [TicketOpen(i.key, i.case, i.ledger, False) for i in items]
    responses.get(job_url(), json=job(results=created(*range(700, 700 + MIN_BULK))))
    assert adapter.open_tickets(retried, 100) == {i: 700 + i for i in range(MIN_BULK)}
    assert [c.request.url for c in responses.calls] == [job_url()]  # one poll serves every case


@responses.activate
def test_a_job_gone_from_zendesk_falls_back_to_the_external_id_lookup(adapter, items):
    items[0].ledger.record(ZENDESK_TICKET_JOB, "gone:0")
    retried = TicketOpen(0, items[0].case, items[0].ledger, False)
    responses.get(job_url("gone"), status=404, json={"error": "RecordNotFound", "description": "Not found"})
    responses.get(TICKETS, json={"tickets": [{"id": 801, "external_id": "recovery-40"}], "meta": {"has_more": False},
                                 "links": {"next": None}},
                  match=[matchers.query_param_matcher({"external_id": "recovery-40", "page[size]": "100"})])
    assert adapter.open_tickets([retried], 100) == {0: 801}
    assert not any(c.request.method == "POST" for c in responses.calls)


@responses.activate
def test_a_job_still_running_at_the_deadline_hands_the_cases_back(adapter, items):
    clock = iter(range(0, 1000, 30))
    adapter.monotonic = lambda: next(clock)
    responses.post(CREATE_MANY, json=job("queued"))
    responses.get(job_url(), json=job("working"))
    result = adapter.open_tickets(items, 100)
    assert all(isinstance(r, RetryableError) for r in result.values())
    assert [i.ledger.get(ZENDESK_TICKET_JOB) for i in items] == [f"j1:{i}" for i in range(MIN_BULK)]  # the retry polls
    assert [i.ledger.get(ZENDESK_TICKET) for i in items] == [None] * MIN_BULK


@responses.activate
def test_a_429_on_create_many_sends_nothing_more(adapter, items, make_case):
    more = items + [TicketOpen(i, make_case(case_id=60 + i), MemoryLedger(), True) for i in range(MIN_BULK, 12)]
    responses.post(CREATE_MANY, status=429, headers={"Retry-After": "7"}, body="slow down")
    result = adapter.open_tickets(more, MIN_BULK)
    assert all(isinstance(r, RetryableError) and r.retry_after == 7 for r in result.values())
    assert len(responses.calls) == 1


@responses.activate
def test_tickets_made_with_their_systemic_tag_record_it_with_the_ticket(adapter, make_case):
    """A ticket made from a snapshot in a systemic issue has the tag and note: its ledger says so, so
    the issue's next update leaves it alone; one made without (or found again) is still tagged then."""
    from connector.ports.keys import ZENDESK_SYSTEMIC_TAG
    from connector.ports.snapshots import SystemicMark
    mark = SystemicMark("systemic_billing", "a systemic issue: see problem ticket #900.", 900)
    items = [TicketOpen(i, make_case(case_id=40 + i, systemic=mark if i % 2 else None), MemoryLedger(), True)
             for i in range(MIN_BULK)]
    responses.post(CREATE_MANY, json=job("queued"))
    responses.get(job_url(), json=job(results=created(501, 502, 503, 504, 505)))
    adapter.open_tickets(items, 100)

    sent = json.loads(responses.calls[0].request.body)["tickets"]
    assert [("systemic_billing" in t["tags"]) for t in sent] == [False, True, False, True, False]
    assert [i.ledger.get(ZENDESK_SYSTEMIC_TAG) for i in items] == [None, "900", None, "900", None]
    assert [i.ledger.get(ZENDESK_TICKET) for i in items] == ["501", "502", "503", "504", "505"]
