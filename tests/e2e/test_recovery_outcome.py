"""A detractor at 3, then the same customer answering 9 forty days later: `promoter`
in the admin API, on the HubSpot contact and on the Zendesk ticket, flag cleared."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import wait_until
from tests.signing import answer_payload

pytestmark = pytest.mark.e2e


def test_forty_days_later_a_promoter(connector_factory, vendors):
    connector = connector_factory()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    first = answer_payload(submitted_at=(now - timedelta(days=40)).isoformat())
    case_id = connector.post(first).json()["case_id"]
    [case] = connector.wait_synced([case_id], timeout=15)
    contact = vendors.hubspot.contact_by_email("marie@example.com")
    assert contact["properties"]["recovery_incident_open"] == "true"
    # the rep's note is on the contact's timeline, with the customer's words and the ticket link
    [note] = wait_until(lambda: [n for n in vendors.hubspot.notes.values()
                                 if contact["id"] in n["associations"].get("contacts", [])], timeout=5)
    assert "catastrophique" in note["properties"]["hs_note_body"]
    assert f"/agent/tickets/{case['zendesk_ticket_id']}" in note["properties"]["hs_note_body"]

    later = answer_payload(response_id="srv-124", score=9, comment="Merci, tout est rentré dans l'ordre.",
                           submitted_at=now.isoformat())
    response = connector.post(later, msg_id="m2")
    assert response.status_code == 202 and response.json()["case_id"] is None

    closed = wait_until(lambda: (c := connector.case(case_id))["status"] == "closed" and c, timeout=5)
    assert closed["outcome"] == "promoter"
    wait_until(lambda: contact["properties"].get("recovery_outcome") == "promoter", timeout=5)
    wait_until(lambda: contact["properties"]["recovery_incident_open"] == "false", timeout=5)
    wait_until(lambda: contact["properties"]["nps_last_score"] in ("9", "9.0"), timeout=5)
    ticket = vendors.zendesk.tickets[closed["zendesk_ticket_id"]]
    wait_until(lambda: "recovery_outcome_promoter" in ticket["tags"], timeout=5)
    assert any("Recovery outcome: promoter" in c["body"] for c in vendors.zendesk.comments[ticket["id"]])


def test_admin_setting_sends_the_acknowledgement_as_a_public_reply(connector_factory, vendors):
    from tests.signing import just_now
    connector = connector_factory(RECOGNITION_PUBLIC_REPLY=True)
    case_id = connector.post(answer_payload(submitted_at=just_now())).json()["case_id"]
    [case] = connector.wait_synced([case_id])
    comments = vendors.zendesk.comments[case["zendesk_ticket_id"]]
    public = [c for c in comments if c["public"]]
    assert len(public) == 1 and public[0]["body"].startswith("Bonjour Marie")
    assert "Claire Martin" in public[0]["body"] and "catastrophique" not in public[0]["body"]
    assert comments[0]["public"] is False  # the team's note stays private


def test_by_default_the_acknowledgement_stays_a_private_draft(connector_factory, vendors):
    from tests.signing import just_now
    connector = connector_factory()
    case_id = connector.post(answer_payload(submitted_at=just_now())).json()["case_id"]
    [case] = connector.wait_synced([case_id])
    assert not [c for c in vendors.zendesk.comments[case["zendesk_ticket_id"]] if c["public"]]
    assert connector.case(case_id)["stages"][0]["status"] == "pending"  # a draft is not the acknowledgement


def test_the_acknowledgement_sent_as_a_public_reply_completes_recognition(connector_factory, vendors):
    """The personal acknowledgement is the recognition stage: sent, it is done (no escalation for
    nothing, and "recognised within 6 h" counts it); kept as a private draft, it is not."""
    from tests.signing import just_now
    connector = connector_factory(RECOGNITION_PUBLIC_REPLY=True)
    case_id = connector.post(answer_payload(submitted_at=just_now())).json()["case_id"]
    connector.wait_synced([case_id])
    case = wait_until(lambda: (c := connector.case(case_id))["stages"][0]["status"] == "done" and c, timeout=10)
    recognition = case["stages"][0]
    assert recognition["key"] == "recognition" and recognition["completed_at"] is not None
    assert [s["status"] for s in case["stages"][1:]] == ["pending"] * 7
    ticket = vendors.zendesk.tickets[case["zendesk_ticket_id"]]
    wait_until(lambda: "recovery_done_recognition" in ticket["tags"], timeout=10)
