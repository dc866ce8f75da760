"""Hostile ``ticket.created`` / ``ticket.status_changed`` events (signed, so a compromised or buggy
sender) against the ticket-history index: ids out of any column's range, a status that is not one,
a forged status change for another tenant's ticket id. Each is refused with a field named or
changes nothing, and never costs a 500."""
from datetime import datetime, timezone

import pytest

from connector.store.db import transaction
from connector.store.models import IndexedTicket
from tests.signing import post_zendesk_event, zendesk_event


def created(ticket_id, requester_id, created_at="2026-11-20T10:00:00Z") -> dict:
    return {"type": "zen:event-type:ticket.created", "account_id": 1, "id": f"evt-{ticket_id}",
            "detail": {"id": str(ticket_id), "requester_id": str(requester_id), "created_at": created_at}}


@pytest.mark.parametrize("ticket_id,requester_id,field", [
    (2 ** 63, 5, "id"), (-1, 5, "id"), (0, 5, "id"), (7, 2 ** 64, "requester_id"), (7, -3, "requester_id")])
def test_ids_out_of_range_are_refused_with_the_field_named(client, runtime, ticket_id, requester_id, field):
    response = post_zendesk_event(client, created(ticket_id, requester_id))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]["detail"]
    with transaction(runtime.sessions) as session:
        assert session.query(IndexedTicket).count() == 0


def test_a_naive_created_at_is_refused(client, runtime):
    response = post_zendesk_event(client, created(7, 5, created_at="2026-11-20T10:00:00"))
    assert response.status_code == 422


def test_a_long_status_does_not_overflow_the_index(client, runtime):
    assert post_zendesk_event(client, created(7, 5)).status_code == 200
    event = zendesk_event("status_changed", 7, None, current="X" * 5000, previous="OPEN")
    assert post_zendesk_event(client, event).status_code in (200, 422)
    with transaction(runtime.sessions) as session:
        assert session.get(IndexedTicket, ("default", 7)).status in ("new", None)


def test_a_status_change_for_another_tenants_ticket_changes_nothing_of_theirs(client, runtime):
    with transaction(runtime.sessions) as session:
        session.add(IndexedTicket(tenant_id="t_other", ticket_id=9, requester_id=5, status="open",
                                  created_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    event = zendesk_event("status_changed", 9, None, current="SOLVED", previous="OPEN")
    assert post_zendesk_event(client, event).status_code == 200
    with transaction(runtime.sessions) as session:
        assert session.get(IndexedTicket, ("t_other", 9)).status == "open"
