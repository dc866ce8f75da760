"""The closing task of a failed recovery, with the real SDK against the HubSpot stand-in: one task
for the case's owner, created once, found again after a lost ledger write, never a stage task."""
from datetime import timedelta

import pytest
from hubspot_helpers import SUBMITTED, MemoryLedger, make_answer, make_case

from connector.ports.keys import HUBSPOT_CLOSING_TASK
from connector.ports.snapshots import OwnerTask
from connector.providers.hubspot.owner_tasks import closing_task_input

pytestmark = pytest.mark.e2e
CREATE = "/crm/v3/objects/tasks/batch/create"
DUE = SUBMITTED + timedelta(days=38)
TASK = OwnerTask(subject="Why did recovery case #42 (Marie Dubois) end failed?", body="Record <why>.", due_at=DUE)


def creates(state):
    return [c.body for c in state.calls.all() if c.path == CREATE and c.status < 300]


def test_the_input_is_what_hubspot_receives():
    made = closing_task_input(make_case(), "501", TASK, "77")
    assert made["objectWriteTraceId"] == "recovery-42-closing"
    assert made["properties"] == {
        "hs_timestamp": "2026-12-28T15:37:00.000Z", "hs_task_subject": TASK.subject,
        "hs_task_body": "<p>Record &lt;why&gt;.</p><p>Recovery ref: recovery-42-closing</p>",
        "hs_task_type": "TODO", "hs_task_priority": "MEDIUM", "hs_task_status": "NOT_STARTED",
        "hubspot_owner_id": "77"}
    assert made["associations"] == [{"to": {"id": "501"}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]
    done = closing_task_input(make_case(owner=None), "501", OwnerTask("s", "b", DUE, done=True), None)
    assert done["properties"]["hs_task_status"] == "COMPLETED" and "hubspot_owner_id" not in done["properties"]


def test_one_task_for_the_owner_created_once_and_found_again(adapter, state):
    owner_id = state.add_owner("closer@example.com")
    case = make_case(owner="closer@example.com")
    contact_id = adapter.upsert_contact(make_answer())
    ledger = MemoryLedger()
    task_id = adapter.create_closing_task(case, contact_id, TASK, ledger, first_attempt=True)
    task = state.tasks[task_id]
    assert task["properties"]["hs_task_subject"] == TASK.subject
    assert task["properties"]["hubspot_owner_id"] == owner_id
    assert task["properties"]["hs_task_status"] == "NOT_STARTED"
    assert task["associations"] == {"contacts": [contact_id]}
    assert ledger.entries == {HUBSPOT_CLOSING_TASK: task_id}
    # Recorded: nothing is sent again. Ledger lost after HubSpot answered: found by its key.
    assert adapter.create_closing_task(case, contact_id, TASK, ledger, first_attempt=False) == task_id
    lost = MemoryLedger()
    assert adapter.create_closing_task(case, contact_id, TASK, lost, first_attempt=False) == task_id
    assert lost.entries == {HUBSPOT_CLOSING_TASK: task_id}
    assert len(creates(state)) == 1 and len(state.tasks) == 1
    adapter.complete_task(task_id)
    assert state.tasks[task_id]["properties"]["hs_task_status"] == "COMPLETED"
