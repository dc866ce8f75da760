"""Issue 16, item 1, end to end through zenpy and the stand-ins: the connector backfills its
ticket-history index from the incremental export at start (three pages, paced by the export's
own limit), then a campaign makes zero search calls, and the customers chronic by their ticket
history stay chronic, including one whose third ticket arrives by event during the campaign and
one whose tickets all arrive by event."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.store import ticket_index
from connector.store.db import reading
from tests.e2e.conftest import wait_until
from tests.signing import answer_payload, just_now, post_zendesk_event

pytestmark = pytest.mark.e2e
DISAPPOINTED = "Usually great service, but this time the delivery was late."  # history decides
FILLER = 2100  # other customers' tickets: the backfill takes three pages of 1,000


def seed_account(zendesk) -> None:
    now = datetime.now(timezone.utc)
    for n in range(FILLER):
        zendesk.seed_ticket(f"filler{n % 300}@example.org", now - timedelta(days=80, minutes=n))
    for days in (5, 30, 60):
        zendesk.seed_ticket("three@example.com", now - timedelta(days=days))
    for days in (2, 3, 4, 88):
        zendesk.seed_ticket("four@example.com", now - timedelta(days=days))
    for days in (10, 20):  # the third comes by event during the campaign
        zendesk.seed_ticket("two-then-event@example.com", now - timedelta(days=days))
    for days in (100, 120, 150):  # outside the 90 days (the export starts at 91 days)
        zendesk.seed_ticket("long-ago@example.com", now - timedelta(days=days), updated_at=now - timedelta(days=95))
    for days in (1, 50):
        zendesk.seed_ticket("two@example.com", now - timedelta(days=days))


def ticket_created(zendesk, email: str) -> dict:
    """A ticket the customer opens now: in the stand-in (the export leaves it out for a minute)
    and announced by Zendesk's ``ticket.created`` event."""
    requester = zendesk.user_by_email(email) or zendesk.add_user(None, email)
    ticket, _ = zendesk.create_ticket({"subject": "Again", "comment": {"body": "Help"},
                                       "requester_id": requester["id"]}, author_id=requester["id"])
    return {"type": "zen:event-type:ticket.created", "account_id": 1, "id": f"evt-{ticket['id']}",
            "subject": f"zen:ticket:{ticket['id']}",
            "detail": {"id": str(ticket["id"]), "requester_id": str(requester["id"]),
                       "created_at": ticket["created_at"], "status": "NEW", "external_id": None}, "event": {}}


def test_backfilled_index_makes_a_campaign_search_free_and_keeps_history_chronic(connector_factory, vendors):
    seed_account(vendors.zendesk)
    connector = connector_factory()
    rt = connector.runtime

    def backfilled():
        with reading(rt.sessions) as session:
            return ticket_index.is_backfilled(session, "default")

    wait_until(backfilled, timeout=40)  # 3 pages at the export's 10 a minute (ours: one each 6.7 s)
    export = [c for c in vendors.zendesk.calls.all() if c.path == "/api/v2/incremental/tickets/cursor.json"]
    assert [c.status for c in export] == [200, 200, 200]  # paced: never a 429

    customers = ["three@example.com", "four@example.com", "two-then-event@example.com", "all-by-event@example.com",
                 "long-ago@example.com", "two@example.com"] + [f"new{n}@example.com" for n in range(10)]
    client = connector.app.test_client()
    case_ids = {}
    for n, email in enumerate(customers):
        if email == "two-then-event@example.com":
            assert post_zendesk_event(client, ticket_created(vendors.zendesk, email)).status_code == 200
        if email == "all-by-event@example.com":
            for _ in range(3):
                assert post_zendesk_event(client, ticket_created(vendors.zendesk, email)).status_code == 200
        payload = answer_payload(submitted_at=just_now(), response_id=f"idx-{n}", score=5, comment=DISAPPOINTED,
                                 locale="en", customer={"email": email, "lifetime_value": 800})
        response = connector.post(payload, msg_id=f"idx-{n}")
        assert response.status_code == 202
        case_ids[email] = response.json()["case_id"]
    cases = {c["customer_email"]: c for c in connector.wait_synced(list(case_ids.values()), timeout=30)}

    assert vendors.zendesk.calls.count("GET", "/api/v2/search") == 0
    chronic = {"three@example.com": 3, "four@example.com": 4, "two-then-event@example.com": 3,
               "all-by-event@example.com": 3}
    for email, count in chronic.items():
        assert cases[email]["profile"] == "chronic", email
        assert f"{count} Zendesk tickets in the last 90 days" in cases[email]["profile_signals"], email
    assert {e: c["profile"] for e, c in cases.items() if e not in chronic} == \
        {e: "disappointed" for e in customers if e not in chronic}
