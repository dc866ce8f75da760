"""Promises of the action plan, end to end with the real SDKs over HTTP to the stand-ins and a
clock the test moves (SPEC "The REACT protocol", action stage: each action with an owner and
a date): a dated HubSpot task per promise, the promises and the written confirmation on the
ticket, and an overdue promise escalating once; a kept one never."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.cases.promise_deadlines import mark_overdue_promises
from connector.infra.clock import FrozenClock
from connector.runtime import build_runtime
from tests.conftest import ADMIN_TOKEN, drain
from tests.fakes import FakeChat
from tests.signing import answer_payload, hubspot_task_completed, post_answer, post_hubspot_events

pytestmark = pytest.mark.e2e
EMAIL = "marie@example.com"
HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def live(db_url, vendors):
    from connector.web.app import create_app

    # The clock is frozen, and the client-side rate limiter counts in the runtime's time: at 100 calls
    # per frozen 10 s the account's own calls (names, owners, company, heads-up, promises) would leave
    # the drain crawling retry by retry. Rate limiting is tested elsewhere (test_rate_limited_sync).
    config = vendors.config(db_url, HUBSPOT_CALLS_PER_10S=100_000, ZENDESK_CALLS_PER_MINUTE=100_000)
    rt = build_runtime(config, clock=FrozenClock(datetime.now(timezone.utc).replace(microsecond=0)))
    rt.chat = FakeChat()
    client = create_app(config, runtime=rt).test_client()
    yield rt, client
    rt.engine.dispose()


def owner_id(vendors, email):
    return next(o["id"] for o in vendors.hubspot.owners.values() if o["email"] == email)


def promise_tasks(vendors):
    return sorted((t for t in vendors.tasks_of(EMAIL) if t["properties"]["hs_task_subject"].startswith("Promise:")),
                  key=lambda t: t["properties"]["hs_timestamp"])


def hs_moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def overdue_notes(vendors, ticket_id):
    return [c["body"] for c in vendors.zendesk.comments[ticket_id] if c["body"].startswith("Overdue promise:")]


def test_two_promises_become_dated_tasks_a_note_with_the_confirmation_and_escalate_once(live, vendors):
    rt, client = live
    submitted = rt.clock.now - timedelta(minutes=5)
    # moderate severity x standard value, no churn signal: priority "normal", so the escalation is visible.
    payload = answer_payload(submitted_at=submitted.isoformat(), score=5, comment="Livraison en retard cette fois.",
                             customer={"lifetime_value": 500})
    assert post_answer(client, payload).status_code == 202
    drain(rt)
    [case] = client.get("/api/cases", query_string={"email": EMAIL}, headers=HEADERS).get_json()["cases"]
    ticket_id, case_id = case["zendesk_ticket_id"], case["id"]
    assert case["sync_status"] == "synced" and len(vendors.tasks_of(EMAIL)) == 8
    rt.clock.now += timedelta(hours=30)  # the action-plan call

    soon, later = (rt.clock.now + timedelta(days=2)).replace(microsecond=0), (rt.clock.now + timedelta(days=10)).date()
    plan = {"promises": [
        {"what": "Rembourser la facture de novembre", "who": "sophie.bernard@example.com", "by": soon.isoformat()},
        {"what": "Corriger le prélèvement en double", "who": "Claire Martin", "by": later.isoformat()}]}
    response = client.post(f"/api/cases/{case_id}/stages/action/complete", json=plan, headers=HEADERS)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {s["key"]: s["status"] for s in body["stages"]}["action"] == "done"
    assert [p["what"] for p in body["promises"]] == ["Rembourser la facture de novembre",
                                                      "Corriger le prélèvement en double"]
    draft = body["confirmation_draft"]
    assert draft.startswith("Bonjour Marie,") and "au plus tard le" in draft
    assert f"{later:%d/%m/%Y}" in draft and f"{soon:%d/%m/%Y}" in draft
    drain(rt)

    # Two HubSpot tasks due when the promises are, owned by the promise's owner when HubSpot knows them.
    first, second = promise_tasks(vendors)
    assert hs_moment(first["properties"]["hs_timestamp"]) == soon
    assert hs_moment(second["properties"]["hs_timestamp"]) == datetime.combine(
        later, datetime.min.time(), timezone.utc).replace(hour=23, minute=59)
    assert first["properties"]["hs_task_subject"] == "Promise: Rembourser la facture de novembre"
    assert first["properties"]["hubspot_owner_id"] == owner_id(vendors, "sophie.bernard@example.com")
    assert second["properties"]["hubspot_owner_id"] == owner_id(vendors, case["owner"])
    # One Zendesk note with both lines and the confirmation in the customer's language.
    [note] = [c["body"] for c in vendors.zendesk.comments[ticket_id] if "Promise: " in c["body"]]
    assert "Promise: Rembourser la facture de novembre — sophie.bernard@example.com — by" in note
    assert "Promise: Corriger le prélèvement en double — Claire Martin — by" in note
    assert "Bonjour Marie," in note and "Comme convenu au téléphone" in note
    assert not vendors.zendesk.comments[ticket_id][-1]["public"]

    # The same plan again (a double click, then the same plan as later promises): no second
    # promise, task or note.
    again = client.post(f"/api/cases/{case_id}/stages/action/complete", json=plan, headers=HEADERS)
    assert again.status_code == 200 and len(again.get_json()["promises"]) == 2
    again = client.post(f"/api/cases/{case_id}/promises", json=plan, headers=HEADERS)
    assert again.status_code == 200 and len(again.get_json()["promises"]) == 2
    drain(rt)
    assert len(promise_tasks(vendors)) == 2 and len(vendors.tasks_of(EMAIL)) == 10
    assert len([c for c in vendors.zendesk.comments[ticket_id] if "Promise: " in c["body"]]) == 1

    # Past the first promise's date, unkept: escalates once, however many scans.
    assert vendors.zendesk.tickets[ticket_id]["priority"] == "normal"
    rt.clock.now = soon + timedelta(minutes=1)
    assert [mark_overdue_promises(rt, rt.clock()) for _ in range(2)] == [1, 0]
    drain(rt)
    assert mark_overdue_promises(rt, rt.clock()) == 0
    drain(rt)
    [escalation] = overdue_notes(vendors, ticket_id)
    assert "Rembourser la facture de novembre" in escalation and case["owner"] in escalation
    assert vendors.zendesk.tickets[ticket_id]["priority"] == "high"
    assert vendors.hubspot.contact_by_email(EMAIL)["properties"]["recovery_priority"] == "high"
    assert len([p for p in rt.chat.posted if "the promise" in p]) == 1
    statuses = {p["what"][:9]: p["status"] for p in client.get(f"/api/cases/{case_id}", headers=HEADERS)
                .get_json()["promises"]}
    assert statuses == {"Rembourse": "overdue", "Corriger ": "pending"}

    # The second promise is kept in time: its task is completed and it never escalates.
    second_id = client.get(f"/api/cases/{case_id}", headers=HEADERS).get_json()["promises"][1]["id"]
    kept = client.post(f"/api/cases/{case_id}/promises/{second_id}/complete", headers=HEADERS)
    assert kept.status_code == 200 and kept.get_json()["status"] == "kept"
    drain(rt)
    assert promise_tasks(vendors)[1]["properties"]["hs_task_status"] == "COMPLETED"
    rt.clock.now += timedelta(days=20)
    assert mark_overdue_promises(rt, rt.clock()) == 0
    drain(rt)
    assert len(overdue_notes(vendors, ticket_id)) == 1
    assert len([p for p in rt.chat.posted if "the promise" in p]) == 1


def test_a_promise_task_completed_in_hubspot_keeps_the_promise(live, vendors):
    rt, client = live
    assert post_answer(client, answer_payload(submitted_at=rt.clock.now.isoformat())).status_code == 202
    drain(rt)
    [case] = client.get("/api/cases", query_string={"email": EMAIL}, headers=HEADERS).get_json()["cases"]
    by = (rt.clock.now + timedelta(days=3)).replace(microsecond=0)
    client.post(f"/api/cases/{case['id']}/promises", headers=HEADERS,
                json={"promises": [{"what": "Send the migration plan", "who": "Claire Martin", "by": by.isoformat()}]})
    drain(rt)
    [task] = promise_tasks(vendors)
    response = post_hubspot_events(client, [hubspot_task_completed(task["id"])])
    assert response.status_code == 200 and response.get_json()["status"] == "accepted"
    [promise] = client.get(f"/api/cases/{case['id']}", headers=HEADERS).get_json()["promises"]
    assert promise["status"] == "kept"
    rt.clock.now = by + timedelta(hours=1)
    assert mark_overdue_promises(rt, rt.clock()) == 0
