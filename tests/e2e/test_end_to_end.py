"""Issue 2's promises, end to end: a signed answer becomes one ticket, one contact
and eight tasks, once, however often it is delivered and whatever fails."""
import threading
import time
from datetime import datetime, timedelta

import pytest

from connector.domain.react import load_protocol
from tests.e2e.conftest import wait_until
from tests.signing import answer_payload, just_now

pytestmark = pytest.mark.e2e

OFFSETS = {stage.key: stage.offset for stage in load_protocol()}


def parse_hubspot_time(value: str) -> datetime:
    if value.isdigit():
        from datetime import timezone
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_one_recovery(vendors, email="marie@example.com"):
    tickets = [t for t in vendors.zendesk.tickets.values() if (t.get("external_id") or "").startswith("recovery-")]
    contacts = [c for c in vendors.hubspot.contacts.values() if c["properties"]["email"] == email]
    assert len(tickets) == 1 and len(contacts) == 1
    assert len(vendors.tasks_of(email)) == 8
    return tickets[0], contacts[0], vendors.tasks_of(email)


def test_detractor_lands_within_two_seconds_with_the_spec_fields(connector_factory, vendors):
    connector = connector_factory()
    payload = answer_payload(submitted_at=just_now())
    response = connector.post(payload)
    accepted = time.monotonic()
    assert response.status_code == 202
    case_id = response.json()["case_id"]
    [case] = connector.wait_synced([case_id], timeout=2.0)
    assert time.monotonic() - accepted < 2.0

    ticket, contact, tasks = assert_one_recovery(vendors)
    requester = vendors.zendesk.users[ticket["requester_id"]]
    assert requester["email"] == "marie@example.com"
    assert (ticket["priority"], ticket["type"]) == ("urgent", "task")
    assert ticket["external_id"] == f"recovery-{case_id}"
    assert {"nps_detractor", "value_critical", "severity_critical"} <= set(ticket["tags"])
    submitted = datetime.fromisoformat(payload["submitted_at"])
    assert datetime.fromisoformat(ticket["due_at"].replace("Z", "+00:00")) == submitted + timedelta(hours=6)
    [note] = vendors.zendesk.comments[ticket["id"]]
    assert note["public"] is False
    for expected in ("3", payload["comment"], "Empathy call", "Re-survey"):
        assert expected in note["body"]

    props = contact["properties"]
    assert props["nps_last_score"] in ("3", "3.0")
    assert props["nps_last_category"] == "detractor"
    assert props["recovery_incident_open"] == "true"
    assert props["recovery_stage"] == "recognition"
    assert props["recovery_zendesk_ticket_url"].endswith(f"/agent/tickets/{ticket['id']}")
    assert parse_hubspot_time(props["recovery_next_due_at"]) == submitted + timedelta(hours=6)

    due = sorted(parse_hubspot_time(t["properties"]["hs_timestamp"]) - submitted for t in tasks)
    assert due == sorted(OFFSETS.values())
    types = {t["properties"]["hs_task_type"] for t in tasks}
    assert types <= {"CALL", "EMAIL", "TODO"} and "CALL" in types
    assert {t["properties"]["hs_task_priority"] for t in tasks} == {"HIGH"}
    assert case["zendesk_ticket_id"] == ticket["id"] and case["hubspot_contact_id"] == contact["id"]

    # Routing: critical value goes to the executive, in Zendesk and in HubSpot.
    assert case["owner"] == "claire.martin@example.com"
    assert vendors.zendesk.users[ticket["assignee_id"]]["email"] == "claire.martin@example.com"
    assert ticket["group_id"] == 1001
    claire = next(o["id"] for o in vendors.hubspot.owners.values() if o["email"] == "claire.martin@example.com")
    assert {t["properties"].get("hubspot_owner_id") for t in tasks} == {claire}
    # Profile and the French acknowledgement draft naming the owner, in the private note.
    assert case["profile"] in ("disappointed", "chronic", "structural") and case["profile_signals"]
    assert "Bonjour Marie" in note["body"] and "Claire Martin" in note["body"]
    assert payload["customer"]["email"] not in str(contact["properties"].get("recovery_profile"))


def test_the_agent_complained_about_never_owns_the_case(connector_factory, vendors):
    connector = connector_factory()
    payload = answer_payload(submitted_at=just_now(), context={"agent_email": "claire.martin@example.com"})
    case_id = connector.post(payload).json()["case_id"]
    [case] = connector.wait_synced([case_id])
    assert case["owner"] == "thomas.leroy@example.com"
    ticket = vendors.zendesk.tickets[case["zendesk_ticket_id"]]
    assert vendors.zendesk.users[ticket["assignee_id"]]["email"] == "thomas.leroy@example.com"


def test_five_deliveries_two_at_once_yield_one_of_each(connector_factory, vendors):
    connector = connector_factory()
    payload = answer_payload(submitted_at=just_now())
    statuses = []
    barrier = threading.Barrier(2)

    def deliver(index):
        barrier.wait()
        statuses.append(connector.post(payload, msg_id=f"c{index}").status_code)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    case_id = connector.post(payload, msg_id="r1").json()["case_id"]
    connector.wait_synced([case_id])
    statuses += [connector.post(payload, msg_id=f"r{i}").status_code for i in (2, 3)]
    assert sorted(statuses) == [200, 200, 200, 202]
    connector.wait_synced([case_id])
    assert_one_recovery(vendors)


def test_promoter_updates_nps_properties_only(connector_factory, vendors):
    connector = connector_factory()
    response = connector.post(answer_payload(submitted_at=just_now(), score=10, comment="Parfait"))
    assert response.json()["case_id"] is None
    contact = wait_until(lambda: vendors.hubspot.contact_by_email("marie@example.com"))
    assert contact["properties"]["nps_last_category"] == "promoter"
    assert not contact["properties"].get("recovery_incident_open")
    assert vendors.zendesk.tickets == {} and vendors.hubspot.tasks == {}


def test_vendor_outage_then_recovery_loses_nothing_and_doubles_nothing(connector_factory, vendors):
    connector = connector_factory(JOB_BACKOFF_BASE_SECONDS=0.05, JOB_BACKOFF_CAP_SECONDS=0.3,
                                  JOB_MAX_ATTEMPTS=1000)
    vendors.zendesk.faults.fail_for(60, status=500)
    vendors.hubspot_server.stop()  # connections refused
    emails = [f"customer{i}@example.com" for i in range(4)]
    case_ids = [connector.post(answer_payload(submitted_at=just_now(), response_id=f"out-{i}", customer={"email": email}),
                               msg_id=f"m{i}").json()["case_id"] for i, email in enumerate(emails)]
    wait_until(lambda: vendors.zendesk.calls.count(status=500) >= 4)
    assert all(connector.case(i)["sync_status"] == "pending" for i in case_ids)
    vendors.zendesk.faults.clear()
    vendors.hubspot_server.start()
    connector.wait_synced(case_ids, timeout=30)
    assert len(vendors.zendesk.tickets) == 4
    for email in emails:
        assert vendors.hubspot.contact_by_email(email) is not None
        assert len(vendors.tasks_of(email)) == 8
