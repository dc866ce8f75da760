"""Weak signals and the weekly digest end to end: real zenpy and hubspot-api-client against the
stand-ins, two connectors (each with its own engine and two worker threads) on one database.

The digest is made due now (``mappings/signals.json`` copied with today's weekday, hour 0): every
scan of every worker tries to claim it; each owner gets exactly one."""
import dataclasses
import json
import shutil
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connector.domain.routing import load_routing
from connector.domain.signals import WEEKDAYS
from tests.e2e.conftest import wait_until
from tests.signing import answer_payload, post_zendesk_event

pytestmark = pytest.mark.e2e
PAUL = {"email": "paul@example.com", "name": "Paul Martin", "company": "Globex", "lifetime_value": 15000}


@pytest.fixture
def mappings_due_now(tmp_path) -> str:
    directory = tmp_path / "mappings"
    shutil.copytree(Path(__file__).resolve().parents[2] / "mappings", directory)
    today = WEEKDAYS[datetime.now(timezone.utc).weekday()]
    (directory / "signals.json").write_text(json.dumps({"digest_weekday": today, "digest_hour": 0}))
    return str(directory)


def count_digest_scans(connector) -> dict[str, int]:
    """Wrap the connector's weekly_digest task to count its runs (a condition to poll, not a sleep)."""
    runs = {"n": 0}
    lock = threading.Lock()
    registry = connector.runtime.registry
    for index, task in enumerate(registry.periodic):
        if task.name == "weekly_digest":
            def counted(rt, run=task.run):
                result = run(rt)
                with lock:
                    runs["n"] += 1
                return result
            registry.periodic[index] = dataclasses.replace(task, run=counted)
    return runs


def send(connector, response_id: str, score: int, customer: dict, minutes_ago: int, comment: str = "Bof."):
    submitted = (datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=minutes_ago)).isoformat()
    payload = answer_payload(response_id=response_id, score=score, submitted_at=submitted, customer=customer,
                             comment=comment, context={})
    response = connector.post(payload, msg_id=response_id)
    assert response.status_code == 202, response.text
    return response.json()


def owner_tasks(vendors, prefix: str) -> list[dict]:
    return [t for t in list(vendors.hubspot.tasks.values())
            if t["properties"].get("hs_task_subject", "").startswith(prefix)]


def test_signals_and_one_digest_per_owner_with_two_connectors(connector_factory, vendors, mappings_due_now):
    first = connector_factory(MAPPINGS_DIR=mappings_due_now, SCHEDULER_INTERVAL_SECONDS=0.1)
    second = connector_factory(MAPPINGS_DIR=mappings_due_now, SCHEDULER_INTERVAL_SECONDS=0.1)
    scans = [count_digest_scans(first), count_digest_scans(second)]
    # A score drop on a high-value contact, and a burst of Zendesk tickets from the same person.
    send(first, "p-1", 10, PAUL, minutes_ago=30)
    send(second, "p-2", 7, PAUL, minutes_ago=20, comment="Moins bien.\n<!channel> Owner: CEO")
    [drop] = wait_until(lambda: owner_tasks(vendors, "Weak signal (score dropping)"), timeout=20)
    high_owner = load_routing().tiers["high"][0]
    owner_id = drop["properties"]["hubspot_owner_id"]
    assert vendors.hubspot.owners[owner_id]["email"] == high_owner.hubspot_owner
    assert "<p>&gt; &lt;!channel&gt; Owner: CEO</p>" in drop["properties"]["hs_task_body"]
    requester = vendors.zendesk.add_user("Paul Martin", "paul@example.com")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for ticket in (501, 502, 503):
        event = {"type": "zen:event-type:ticket.created", "account_id": 1, "id": f"evt-{ticket}",
                 "time": now, "subject": f"zen:ticket:{ticket}",
                 "detail": {"id": str(ticket), "requester_id": str(requester["id"]), "created_at": now,
                            "status": "NEW", "external_id": None}, "event": {}}
        assert post_zendesk_event(requests_client(first), event).status_code == 200
    [burst] = wait_until(lambda: owner_tasks(vendors, "Weak signal (tickets piling up)"), timeout=20)
    assert "3 Zendesk tickets in the last 30 days" in burst["properties"]["hs_task_body"]
    # A detractor: an open case, its recovery owner.
    marie = {"email": "marie@example.com", "name": "Marie Dubois", "company": "Acme", "lifetime_value": 47000}
    case_id = send(first, "m-1", 2, marie, minutes_ago=5)["case_id"]
    [case] = first.wait_synced([case_id], timeout=20)
    owners = {case["owner"], high_owner.email}
    wait_until(lambda: {vendors.hubspot.owners[t["properties"]["hubspot_owner_id"]]["email"]
                        for t in owner_tasks(vendors, "Weekly digest")} >= {vendors_owner(vendors, o) for o in owners},
               timeout=20)
    # Both connectors scan again, several times each: still exactly one per owner this week.
    marks = [s["n"] for s in scans]
    wait_until(lambda: all(s["n"] >= m + 3 for s, m in zip(scans, marks)), timeout=20)
    digests = owner_tasks(vendors, "Weekly digest")
    per_owner: dict[str, int] = {}
    for task in digests:
        per_owner[task["properties"]["hubspot_owner_id"]] = per_owner.get(task["properties"]["hubspot_owner_id"], 0) + 1
    assert sorted(per_owner.values()) == [1, 1]
    by_email = {vendors.hubspot.owners[o]["email"]: o for o in per_owner}
    case_digest = next(t for t in digests if t["properties"]["hubspot_owner_id"]
                       == by_email[vendors_owner(vendors, case["owner"])])
    assert f"Case #{case_id} Marie Dubois (Acme): score 2" in case_digest["properties"]["hs_task_body"]


def vendors_owner(vendors, email: str) -> str:
    """The HubSpot owner e-mail of a routing owner (routing names the HubSpot owner by e-mail)."""
    owner = next(o for tier in load_routing().tiers.values() for o in tier if o.email == email)
    return owner.hubspot_owner


def requests_client(connector):
    """``post_zendesk_event`` takes a Flask test client; the live connector's own test client."""
    return connector.app.test_client()
