"""A stage completed in Zendesk or in HubSpot shows as done in the admin API and
on the other system within seconds (real SDKs, stand-ins over HTTP)."""
from datetime import datetime, timedelta

import pytest

from connector.ports.keys import ticket_external_id
from tests.e2e.conftest import wait_until
from tests.signing import (
    answer_payload,
    hubspot_task_completed,
    just_now,
    post_hubspot_events,
    post_zendesk_event,
    zendesk_event,
)

pytestmark = pytest.mark.e2e


def task_for(vendors, email, title):
    return next(t for t in vendors.tasks_of(email) if title in t["properties"]["hs_task_subject"])


def test_completion_travels_both_ways(connector_factory, vendors):
    connector = connector_factory()
    payload = answer_payload(submitted_at=just_now())
    submitted = datetime.fromisoformat(payload["submitted_at"])
    case_id = connector.post(payload).json()["case_id"]
    [case] = connector.wait_synced([case_id])
    ticket_id = case["zendesk_ticket_id"]
    inbound = connector.app.test_client()

    # Zendesk -> connector -> HubSpot
    event = zendesk_event("tags_changed", ticket_id, ticket_external_id(case_id),
                          tags_added=["recovery_done_recognition"])
    assert post_zendesk_event(inbound, event).status_code == 200
    stages = {s["key"]: s["status"] for s in connector.case(case_id)["stages"]}
    assert stages["recognition"] == "done"
    wait_until(lambda: task_for(vendors, "marie@example.com", "Recognition")["properties"]["hs_task_status"]
               == "COMPLETED", timeout=5)
    contact = vendors.hubspot.contact_by_email("marie@example.com")
    wait_until(lambda: contact["properties"]["recovery_stage"] == "empathy", timeout=5)
    ticket = vendors.zendesk.tickets[ticket_id]
    wait_until(lambda: ticket["due_at"] and datetime.fromisoformat(ticket["due_at"].replace("Z", "+00:00"))
               == submitted + timedelta(hours=24), timeout=5)
    assert task_for(vendors, "marie@example.com", "Empathy")["properties"]["hs_task_status"] == "NOT_STARTED"

    # HubSpot -> connector -> Zendesk
    empathy = task_for(vendors, "marie@example.com", "Empathy")
    response = post_hubspot_events(inbound, [hubspot_task_completed(empathy["id"])])
    assert response.get_json()["status"] == "accepted"
    assert {s["key"]: s["status"] for s in connector.case(case_id)["stages"]}["empathy"] == "done"
    wait_until(lambda: "recovery_done_empathy" in ticket["tags"], timeout=5)
    wait_until(lambda: datetime.fromisoformat(ticket["due_at"].replace("Z", "+00:00"))
               == submitted + timedelta(hours=36), timeout=5)
    wait_until(lambda: contact["properties"]["recovery_stage"] == "action", timeout=5)
    notes = [c["body"] for c in vendors.zendesk.comments[ticket_id]]
    assert any("Stage done: Empathy call" in n for n in notes)
    assert len(vendors.tasks_of("marie@example.com")) == 8 and len(vendors.zendesk.tickets) == 1
