"""Promise tasks with the real SDK over HTTP against the stand-in: dated, owned, idempotent."""
from datetime import datetime, timezone

import pytest
from hubspot_helpers import MemoryLedger, make_case

from connector.ports.keys import HUBSPOT_PROMISE_TASK
from connector.ports.snapshots import PromiseSnapshot
from connector.providers.hubspot.properties import hs_datetime

pytestmark = pytest.mark.e2e
BY = datetime(2026, 12, 10, 17, 0, tzinfo=timezone.utc)
PROMISES = (PromiseSnapshot(7, "Refund the November invoice", "billing@example.com", BY, "pending"),
            PromiseSnapshot(8, "Fix the double direct debit", "Claire Martin", BY.replace(day=12), "pending"))


def owner(state, email):
    return next(o["id"] for o in state.owners.values() if o["email"] == email)


def test_one_dated_task_per_promise_owned_by_its_owner_when_hubspot_knows_them(adapter, state):
    state.add_owner("billing@example.com", "Bill", "Ing")
    case = make_case()
    contact_id = adapter.upsert_contact(case.answer, case)
    ledger = MemoryLedger()
    created = adapter.create_promise_tasks(case, contact_id, PROMISES, ledger, first_attempt=True)
    assert set(created) == {7, 8} and ledger.entries == {HUBSPOT_PROMISE_TASK + str(k): v for k, v in created.items()}
    refund, debit = (state.tasks[created[k]] for k in (7, 8))
    assert refund["properties"]["hs_timestamp"] == hs_datetime(BY)
    assert refund["properties"]["hs_task_subject"] == "Promise: Refund the November invoice"
    assert refund["properties"]["hubspot_owner_id"] == owner(state, "billing@example.com")
    # A name is no HubSpot owner: the case's routed owner takes the task.
    assert debit["properties"]["hubspot_owner_id"] == owner(state, "exec@example.com")
    assert debit["associations"] == {"contacts": [contact_id]}
    assert state.calls.count("POST", "/crm/v3/objects/tasks/batch/create") == 1


def test_a_retry_after_a_lost_ledger_finds_the_tasks_instead_of_creating_them_again(adapter, state):
    case = make_case()
    contact_id = adapter.upsert_contact(case.answer, case)
    first = adapter.create_promise_tasks(case, contact_id, PROMISES, MemoryLedger(), first_attempt=True)
    ledger = MemoryLedger()  # the crash came between HubSpot's answer and the ledger write
    assert adapter.create_promise_tasks(case, contact_id, PROMISES, ledger, first_attempt=False) == first
    assert len(state.tasks) == 2 and len(ledger.entries) == 2
    assert state.calls.count("POST", "/crm/v3/objects/tasks/batch/create") == 1


def test_recorded_tasks_are_not_created_again(adapter, state):
    case = make_case()
    contact_id = adapter.upsert_contact(case.answer, case)
    ledger = MemoryLedger()
    first = adapter.create_promise_tasks(case, contact_id, PROMISES[:1], ledger, first_attempt=True)
    both = adapter.create_promise_tasks(case, contact_id, PROMISES, ledger, first_attempt=True)
    assert both[7] == first[7] and len(state.tasks) == 2
    batches = [c for c in state.calls.all() if c.path == "/crm/v3/objects/tasks/batch/create"]
    assert len(batches[-1].body["inputs"]) == 1
