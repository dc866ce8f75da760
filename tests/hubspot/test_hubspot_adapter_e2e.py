"""HubSpotAdapter with the real SDK over HTTP against the stand-in."""
import logging

import pytest
from hubspot_helpers import TOKEN, MemoryLedger, make_answer, make_case

from connector.domain.react import STAGE_KEYS
from connector.ports.errors import PermanentError, RetryableError
from connector.ports.keys import HUBSPOT_TASK
from connector.providers.hubspot import HubSpotAdapter
from connector.providers.hubspot.properties import hs_datetime
from connector.sandbox.hubspot import create_hubspot_standin

pytestmark = pytest.mark.e2e


def tasks_of(state, contact_id):
    return [t for t in state.tasks.values() if contact_id in t["associations"].get("contacts", [])]


def test_ensure_schema_creates_group_and_properties_then_is_a_no_op(adapter, state, mapping):
    adapter.ensure_schema()
    assert "nps_recovery" in state.property_groups["contacts"]
    for definition in mapping.contact_properties.values():
        created = state.properties["contacts"][definition.name]
        assert (created["type"], created["fieldType"], created["groupName"]) == \
            (definition.type, definition.field_type, "nps_recovery")
    calls = len(state.calls.all())
    adapter.ensure_schema()
    assert len(state.calls.all()) == calls


def test_ensure_schema_completes_what_exists_and_adds_missing_options(server, state, mapping, api):
    api("POST", "/crm/v3/properties/contacts/groups", {"name": "nps_recovery", "label": "mine"})
    api("POST", "/crm/v3/properties/contacts", {
        "name": "recovery_stage", "label": "Stage", "type": "enumeration", "fieldType": "select",
        "groupName": "nps_recovery", "options": [{"value": "empathy", "label": "Empathy"}]})
    fresh = HubSpotAdapter.from_config({"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": server.url}, mapping)
    fresh.ensure_schema()
    values = [o["value"] for o in state.properties["contacts"]["recovery_stage"]["options"]]
    assert values[0] == "empathy" and set(values) == set(STAGE_KEYS) | {"closed"}
    assert state.property_groups["contacts"]["nps_recovery"]["label"] == "mine"
    assert all(d.name in state.properties["contacts"] for d in mapping.contact_properties.values())


def test_upsert_twice_gives_one_contact(adapter, state):
    case = make_case()
    first = adapter.upsert_contact(case.answer, case)
    second = adapter.upsert_contact(case.answer, case, ticket_url="https://acme.zendesk.com/agent/tickets/7")
    assert first == second and len(state.contacts) == 1
    props = state.contacts[first]["properties"]
    assert props["email"] == "marie@example.com"
    assert props["recovery_incident_open"] == "true" and props["recovery_stage"] == "recognition"
    assert props["nps_last_score"] == "3" and props["nps_last_comment"] == "Service catastrophique"
    assert props["recovery_zendesk_ticket_url"] == "https://acme.zendesk.com/agent/tickets/7"


def test_promoter_answer_sets_only_nps_properties(adapter, state):
    contact_id = adapter.upsert_contact(make_answer(score=10, category="promoter", comment="Top"))
    props = state.contacts[contact_id]["properties"]
    assert props["nps_last_category"] == "promoter" and props["nps_last_score"] == "10"
    assert not [name for name in props if name.startswith("recovery_")]


def test_create_stage_tasks_creates_eight_tasks(adapter, state):
    case = make_case()
    contact_id = adapter.upsert_contact(case.answer, case)
    ledger = MemoryLedger()
    created = adapter.create_stage_tasks(case, contact_id, ledger, first_attempt=True)
    assert list(created) == list(STAGE_KEYS)
    assert {HUBSPOT_TASK + k: v for k, v in created.items()} == ledger.entries
    assert state.calls.count("POST", "/crm/v3/objects/tasks/batch/create") == 1
    owner_id = next(o["id"] for o in state.owners.values() if o["email"] == "exec@example.com")
    for stage in case.stages:
        task = state.tasks[created[stage.key]]["properties"]
        assert task["hs_timestamp"] == hs_datetime(stage.due_at)
        assert task["hs_task_type"] == stage.task_type
        assert task["hs_task_priority"] == "HIGH" and task["hs_task_status"] == "NOT_STARTED"
        assert task["hubspot_owner_id"] == owner_id
        assert state.tasks[created[stage.key]]["associations"] == {"contacts": [contact_id]}
    assert len(tasks_of(state, contact_id)) == 8


def test_retry_with_fresh_ledger_finds_tasks_instead_of_duplicating(adapter, state):
    case = make_case()
    contact_id = adapter.upsert_contact(case.answer, case)
    first = adapter.create_stage_tasks(case, contact_id, MemoryLedger(), first_attempt=True)
    ledger = MemoryLedger()   # the crash happened before anything was recorded
    again = adapter.create_stage_tasks(case, contact_id, ledger, first_attempt=False)
    assert again == first and len(state.tasks) == 8
    assert state.calls.count("POST", "/crm/v3/objects/tasks/batch/create") == 1
    assert len(ledger.entries) == 8


def test_partial_ledger_creates_only_the_rest_in_one_batch(adapter, state):
    case = make_case()
    contact_id = adapter.upsert_contact(case.answer, case)
    full = adapter.create_stage_tasks(case, contact_id, MemoryLedger(), first_attempt=True)
    for key in ("tracking_d30", "resurvey_d60"):       # lost in HubSpot (deleted by a user)
        del state.tasks[full[key]]
    ledger = MemoryLedger({HUBSPOT_TASK + k: full[k] for k in STAGE_KEYS[:2]})
    result = adapter.create_stage_tasks(case, contact_id, ledger, first_attempt=False)
    assert len(tasks_of(state, contact_id)) == 8
    assert [result[k] for k in STAGE_KEYS[:6]] == [full[k] for k in STAGE_KEYS[:6]]
    assert result["resurvey_d60"] not in full.values()
    batches = [c for c in state.calls.all() if c.path == "/crm/v3/objects/tasks/batch/create"]
    assert len(batches) == 2 and len(batches[-1].body["inputs"]) == 2


def test_first_attempt_skips_the_search(adapter, state):
    case = make_case()
    contact_id = adapter.upsert_contact(case.answer, case)
    adapter.create_stage_tasks(case, contact_id, MemoryLedger(), first_attempt=True)
    assert state.calls.count("POST", "/crm/v3/objects/tasks/search") == 0


def test_injected_500s_are_retryable_then_the_call_recovers(adapter, state):
    adapter.ensure_schema()
    case = make_case()
    state.faults.fail_next(1, 500)
    with pytest.raises(RetryableError) as caught:
        adapter.upsert_contact(case.answer, case)
    assert "HTTP 500" in str(caught.value)
    assert not state.contacts
    assert adapter.upsert_contact(case.answer, case) in state.contacts


def test_429_is_retryable_with_retry_after(serve, mapping):
    srv = serve(create_hubspot_standin(rate_limit=1, window_seconds=30))
    adapter = HubSpotAdapter.from_config({"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": srv.url}, mapping)
    with pytest.raises(RetryableError) as caught:
        adapter.ensure_schema()   # second request of the window
    assert 1 <= caught.value.retry_after <= 30
    assert "RATE_LIMITS" in str(caught.value)


def test_refused_connection_is_retryable(adapter, server):
    server.stop()
    with pytest.raises(RetryableError):
        adapter.ensure_schema()
    server.start()
    adapter.ensure_schema()


def test_bad_token_is_permanent_and_never_logged(serve, mapping, caplog):
    srv = serve(create_hubspot_standin(access_tokens={"right-token"}))
    caplog.set_level(logging.DEBUG, logger="connector")
    adapter = HubSpotAdapter.from_config({"HUBSPOT_ACCESS_TOKEN": "wrong-token", "HUBSPOT_BASE_URL": srv.url},
                                         mapping)
    with pytest.raises(PermanentError) as caught:
        adapter.upsert_contact(make_answer())
    assert "HTTP 401" in str(caught.value) and "wrong-token" not in str(caught.value)
    assert "wrong-token" not in caplog.text


def test_validation_error_is_permanent_without_customer_data(adapter, state, caplog):
    adapter.ensure_schema()
    del state.properties["contacts"]["nps_last_comment"]     # an admin deleted it after set-up
    caplog.set_level(logging.DEBUG, logger="connector")
    with pytest.raises(PermanentError) as caught:
        adapter.upsert_contact(make_answer(), make_case())
    text = str(caught.value) + caplog.text
    assert "nps_last_comment" in str(caught.value)
    assert "marie@example.com" not in text and "catastrophique" not in text


def test_set_ticket_url(adapter, state):
    contact_id = adapter.upsert_contact(make_answer())
    adapter.set_ticket_url(contact_id, "https://acme.zendesk.com/agent/tickets/9")
    assert state.contacts[contact_id]["properties"]["recovery_zendesk_ticket_url"].endswith("/9")


def test_unknown_owner_leaves_tasks_unassigned(adapter, state):
    case = make_case(owner="nobody@example.com")
    contact_id = adapter.upsert_contact(case.answer, case)
    created = adapter.create_stage_tasks(case, contact_id, MemoryLedger(), first_attempt=True)
    assert all("hubspot_owner_id" not in state.tasks[i]["properties"] for i in created.values())
