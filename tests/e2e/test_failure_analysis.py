"""Failure analysis end to end, real SDKs against the stand-ins: an NPS detractor, then at day 35
an NPS 3 closes the case as ``failed``; the owner gets a HubSpot closing task and the Zendesk
outcome note asks for the reason; the reason recorded through the admin API completes the task
and the metrics report counts it.

The opening answer is dated 40 days ago, so "day N" is an answer dated N days after it (the
clock travel of ``test_outcome_window``)."""
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.conftest import ADMIN_TOKEN
from tests.e2e.conftest import wait_until
from tests.signing import answer_payload

pytestmark = pytest.mark.e2e
EMAIL = "marie@example.com"


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_a_failed_recovery_asks_its_owner_why_and_the_report_counts_the_reason(connector_factory, vendors):
    connector = connector_factory()
    opened = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=40)
    first = connector.post(answer_payload(response_id="srv-open", score=3, submitted_at=opened.isoformat()),
                           msg_id="srv-open").json()["case_id"]
    [case] = connector.wait_synced([first], timeout=15)

    day35 = (opened + timedelta(days=35)).isoformat()
    linked = connector.post(answer_payload(response_id="srv-day35", score=3, submitted_at=day35,
                                           comment="Toujours rien de réglé."), msg_id="srv-day35").json()["case_id"]
    assert linked not in (None, first)
    closed = wait_until(lambda: (c := connector.case(first))["status"] == "closed" and c, timeout=10)
    assert closed["outcome"] == "failed" and closed["failure_reason"] is None

    # The closing task: on the contact, for the owner of the case's stage tasks, due 3 days after the close.
    marker = f"recovery-{first}-closing"
    task = wait_until(lambda: next((t for t in vendors.tasks_of(EMAIL)
                                    if marker in t["properties"].get("hs_task_body", "")), None), timeout=10)
    props = task["properties"]
    stage_owner = next(t["properties"]["hubspot_owner_id"] for t in vendors.tasks_of(EMAIL)
                       if f"recovery-{first}-empathy" in t["properties"].get("hs_task_body", ""))
    assert props["hubspot_owner_id"] == stage_owner
    assert f"#{first}" in props["hs_task_subject"] and "failed" in props["hs_task_subject"]
    assert props["hs_task_status"] == "NOT_STARTED" and props["hs_task_type"] == "TODO"
    due = parse(props["hs_timestamp"]) - parse(closed["closed_at"])
    assert timedelta(days=3) - timedelta(seconds=1) <= due <= timedelta(days=3)

    # The Zendesk outcome note asks for the reason.
    ticket_id = case["zendesk_ticket_id"]
    note = wait_until(lambda: next((c["body"] for c in vendors.zendesk.comments[ticket_id]
                                    if c["body"].startswith("Recovery outcome: failed")), None), timeout=10)
    assert "please record why this recovery failed" in note and "too_late" in note

    recorded = connector.admin_post(f"/api/cases/{first}/failure-reason",
                                    {"reason": "problem_not_fixed", "note": "The fix is planned for Q1."})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["failure_reason"]["reason"] == "problem_not_fixed"
    wait_until(lambda: vendors.hubspot.tasks[task["id"]]["properties"]["hs_task_status"] == "COMPLETED",
               timeout=10)

    report = requests.get(f"{connector.url}/api/metrics", timeout=10,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
    assert report["failure_reasons"]["cases"] == 1 and report["failure_reasons"]["missing"] == 0
    assert report["failure_reasons"]["by_reason"]["problem_not_fixed"] == 1
    # The failed case is the one closed case (the linked case is open), and it recovered nothing.
    assert sum(g["closed"] for g in report["recovery_rate_by_delay"].values()) == 1
    assert sum(g["recovered"] for g in report["recovery_rate_by_delay"].values()) == 0
