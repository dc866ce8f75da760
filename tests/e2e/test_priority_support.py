"""The 90 days of priority support a high-value customer is promised are real: recording them
with the compensation tags the customer's Zendesk user (the recovery ticket's requester) with
``priority_support_until_<date>``, and the scheduler removes the tag when the date has passed.
Real zenpy against the Zendesk stand-in; the clock travels instead of the test waiting."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.infra.clock import FrozenClock
from connector.jobs.worker import Worker
from tests.conftest import ADMIN_TOKEN, drain
from tests.signing import answer_payload, post_answer

pytestmark = pytest.mark.e2e
EMAIL = "marie@example.com"
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def live(db_url, vendors):
    from connector.runtime import build_runtime
    from connector.web.app import create_app

    start = datetime.now(timezone.utc).replace(microsecond=0)
    # A frozen clock: the client-side rate limiter would count every call at one instant.
    config = vendors.config(db_url, HUBSPOT_CALLS_PER_10S=100_000, ZENDESK_CALLS_PER_MINUTE=100_000)
    rt = build_runtime(config, clock=FrozenClock(start))
    app = create_app(config, runtime=rt)
    yield rt, app.test_client()
    rt.engine.dispose()


def customer(vendors) -> dict:
    return vendors.zendesk.user_by_email(EMAIL)


def test_priority_support_is_tagged_when_recorded_and_removed_when_it_expires(live, vendors):
    rt, client = live
    start = rt.clock()
    payload = answer_payload(submitted_at=start.isoformat(), customer={"lifetime_value": 15000})
    case_id = post_answer(client, payload).get_json()["case_id"]
    drain(rt)
    case = client.get(f"/api/cases/{case_id}", headers=HEADERS).get_json()
    assert case["value_tier"] == "high" and case["zendesk_ticket_id"]
    assert customer(vendors)["tags"] == []

    url = f"/api/cases/{case_id}/stages/compensation/complete"
    record = {"type": "free_months", "amount": "99", "currency": "EUR", "priority_support_days": 90}
    recorded_at = rt.clock()
    recorded = client.post(url, headers=HEADERS, json={"compensation": record})
    assert recorded.status_code == 200, recorded.get_json()
    until = recorded_at + timedelta(days=90)
    tag = f"priority_support_until_{until.date().isoformat()}"
    assert recorded.get_json()["priority_support"] == {
        "until": until.isoformat().replace("+00:00", "Z"), "tag": tag, "status": "granting"}
    drain(rt)
    assert customer(vendors)["tags"] == [tag]
    ticket = vendors.zendesk.tickets[case["zendesk_ticket_id"]]
    assert ticket["requester_id"] == customer(vendors)["id"]
    assert any("Compensation: free_months 99 EUR + 90 days of priority support" in c["body"]
               for c in vendors.zendesk.comments[ticket["id"]])
    assert client.get(f"/api/cases/{case_id}", headers=HEADERS).get_json()["priority_support"]["status"] == "active"

    # The same record submitted again (a double click, a retried request): nothing new in Zendesk.
    assert client.post(url, headers=HEADERS, json={"compensation": record}).status_code == 200
    drain(rt)
    assert customer(vendors)["tags"] == [tag]
    assert vendors.zendesk.user_tag_calls == [("PUT", customer(vendors)["id"], [tag])]

    worker = Worker(rt, "scheduler")
    rt.clock.now = until - timedelta(minutes=1)
    worker.tick()
    drain(rt)
    assert customer(vendors)["tags"] == [tag]  # still within the 90 days

    rt.clock.now = until + timedelta(seconds=1)
    worker.tick()
    drain(rt)
    assert customer(vendors)["tags"] == []
    assert client.get(f"/api/cases/{case_id}", headers=HEADERS).get_json()["priority_support"]["status"] == "ended"
    worker.tick()  # a later scan finds nothing more to do
    drain(rt)
    assert [call[0] for call in vendors.zendesk.user_tag_calls] == ["PUT", "DELETE"]


def test_no_gesture_is_a_recorded_outcome_with_its_reason(live, vendors):
    rt, client = live
    payload = answer_payload(submitted_at=rt.clock().isoformat())
    case_id = post_answer(client, payload).get_json()["case_id"]
    drain(rt)
    url = f"/api/cases/{case_id}/stages/compensation/complete"
    refused = client.post(url, headers=HEADERS, json={"compensation": {"type": "none", "reason": " "}})
    assert refused.status_code == 422
    assert refused.get_json()["fields"] == {"compensation": {"reason": ["Say why no gesture was offered."]}}
    done = client.post(url, headers=HEADERS, json={"compensation": {"type": "none",
                                                                    "reason": "Wants the fix, not a gesture."}})
    stage = next(s for s in done.get_json()["stages"] if s["key"] == "compensation")
    assert stage["status"] == "done"
    assert stage["details"] == {"compensation": {"type": "none", "reason": "Wants the fix, not a gesture.",
                                                 "note": None}}
    assert done.get_json()["priority_support"] is None
    drain(rt)
    ticket_id = done.get_json()["zendesk_ticket_id"]
    assert any("Compensation: none (Wants the fix, not a gesture.)" in c["body"]
               for c in vendors.zendesk.comments[ticket_id])
    assert vendors.zendesk.user_tag_calls == []
