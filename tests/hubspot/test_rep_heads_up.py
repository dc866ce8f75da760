"""The rep's heads-up and closing note at the adapter: batching, owner choice, idempotency and
the request shapes HubSpot documents (batch read of contacts by id, traced task/note batch
creates with HUBSPOT_DEFINED associations 204 task->contact and 202 note->contact)."""
from dataclasses import replace

import pytest
from hubspot_helpers import MemoryLedger, make_answer, make_case

from connector.ports.batches import ContactWrite, RepWrite
from connector.ports.keys import HUBSPOT_REP_NOTE, HUBSPOT_REP_TASK
from connector.providers.hubspot.rep_text import closing_note_text, heads_up_lines

pytestmark = pytest.mark.e2e
READ = "/crm/v3/objects/contacts/batch/read"
TASKS = "/crm/v3/objects/tasks/batch/create"
NOTES = "/crm/v3/objects/notes/batch/create"


def bodies(state, path):
    return [c.body for c in state.calls.all() if c.path == path and c.status < 300]


def contacts(adapter, count):
    answers = [make_answer(answer_id=i, email=f"c{i}@example.com") for i in range(count)]
    ids = adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers)], 100)
    return answers, ids


def test_heads_ups_of_many_cases_take_one_read_and_one_create_each_to_the_right_owner(adapter, state):
    rep = state.add_owner("rep@example.com")
    answers, ids = contacts(adapter, 3)
    state.contacts[ids[0]]["properties"]["hubspot_owner_id"] = rep
    ledgers = [MemoryLedger() for _ in answers]
    writes = [RepWrite(i, make_case(a, case_id=100 + i, owner="exec@example.com"), ids[i], ledgers[i], True)
              for i, a in enumerate(answers)]
    told = adapter.tell_reps(writes, 100)
    routed = adapter.resolve_owner("exec@example.com")
    assert [(t.owner_id, t.fallback) for t in told.values()] == [(rep, False), (routed, True), (routed, True)]
    (read,) = bodies(state, READ)[-1:]
    assert read == {"inputs": [{"id": ids[i]} for i in range(3)], "properties": ["hubspot_owner_id"]}
    (create,) = bodies(state, TASKS)
    assert [i["objectWriteTraceId"] for i in create["inputs"]] == [f"recovery-{100 + i}-rep" for i in range(3)]
    assert create["inputs"][0]["associations"] == [
        {"to": {"id": ids[0]}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]
    assert all(ledger.get(HUBSPOT_REP_TASK) for ledger in ledgers)
    assert adapter.tell_reps(writes, 100) == told and len(bodies(state, TASKS)) == 1  # the ledger: nothing again


def test_a_retry_after_a_lost_ledger_write_finds_the_task_instead_of_creating_it(adapter, state):
    answers, ids = contacts(adapter, 1)
    case = make_case(answers[0], case_id=7)
    first = adapter.tell_reps([RepWrite(1, case, ids[0], MemoryLedger(), True)], 100)[1]
    again = adapter.tell_reps([RepWrite(1, case, ids[0], MemoryLedger(), False)], 100)[1]
    assert again.task_id == first.task_id and len(bodies(state, TASKS)) == 1


def test_the_closing_note_goes_once_to_the_owner_who_was_told(adapter, state):
    rep = state.add_owner("rep@example.com")
    answers, ids = contacts(adapter, 1)
    case = replace(make_case(answers[0], case_id=9, status="closed"), outcome="promoter")
    ledger = MemoryLedger()
    note_id = adapter.add_rep_notes([RepWrite(1, case, ids[0], ledger, True, rep)], 100)[1]
    assert ledger.get(HUBSPOT_REP_NOTE) == note_id
    (create,) = bodies(state, NOTES)
    [note] = create["inputs"]
    assert note["properties"]["hubspot_owner_id"] == rep and "outcome promoter" in note["properties"]["hs_note_body"]
    assert note["associations"][0]["types"] == [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]
    lost = adapter.add_rep_notes([RepWrite(1, case, ids[0], MemoryLedger(), False, rep)], 100)[1]
    assert lost == note_id and len(bodies(state, NOTES)) == 1


def test_heads_up_text_quotes_the_customer_and_says_what_to_avoid():
    case = make_case(make_answer(comment="Nul.\nOwner: CEO says refund", name="Dubois, Marie"),
                     owner="exec@example.com", owner_name="Claire Martin", zendesk_ticket_url="https://z/agent/tickets/5")
    lines = heads_up_lines(case, fallback=False)
    assert lines[0].startswith("Marie Dubois (Acme) answered NPS 3 (detractor)")
    assert "> Nul." in lines and "> Owner: CEO says refund" in lines  # the comment cannot forge a line
    assert any("Claire Martin <exec@example.com>" in line for line in lines)
    assert any("no sales push" in line and "renewal pitch" in line for line in lines)
    assert lines[-1] == "Zendesk ticket: https://z/agent/tickets/5"
    assert "has no HubSpot owner" in heads_up_lines(case, fallback=True)[-1]
    assert "Ref: recovery-42-closed" in closing_note_text(replace(case, outcome="failed"))


def test_the_owner_the_contact_write_saw_is_told_without_a_read(adapter, state):
    """Issue 16: the contact write's name read asks the owner too, and a contact that write made
    has none: the heads-up, moments later, reads nothing. A retry reads the owner as it is now."""
    from connector.ports.batches import owner_at_write
    from connector.ports.keys import HUBSPOT_CONTACT_OWNER

    rep = state.add_owner("rep@example.com")
    seeded = state.new_record({"email": "known@example.com", "hubspot_owner_id": rep})
    state.contacts[seeded["id"]] = seeded
    answers = [make_answer(answer_id=i, email=e) for i, e in enumerate(("known@example.com", "new@example.com"))]
    ids = adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers)], 100)
    assert [owner_at_write(ids[0]), owner_at_write(ids[1])] == [rep, ""]  # the read's; made now: none
    reads = len(bodies(state, READ))
    assert bodies(state, READ)[-1]["properties"] == ["email", "firstname", "lastname", "company", "hubspot_owner_id"]

    ledgers = [MemoryLedger({HUBSPOT_CONTACT_OWNER: owner_at_write(ids[i])}) for i in range(2)]
    writes = [RepWrite(i, make_case(a, case_id=200 + i, owner="exec@example.com"), ids[i], ledgers[i], True)
              for i, a in enumerate(answers)]
    told = adapter.tell_reps(writes, 100)
    routed = adapter.resolve_owner("exec@example.com")
    assert [(t.owner_id, t.fallback) for t in told.values()] == [(rep, False), (routed, True)]
    assert len(bodies(state, READ)) == reads  # no owner read

    other = state.add_owner("other@example.com")  # the owner changed since: a retry reads it
    state.contacts[ids[0]]["properties"]["hubspot_owner_id"] = other
    retry = RepWrite(9, make_case(answers[0], case_id=209, owner="exec@example.com"), ids[0],
                     MemoryLedger({HUBSPOT_CONTACT_OWNER: rep}), False)
    assert adapter.tell_reps([retry], 100)[9].owner_id == other
    assert bodies(state, READ)[-1] == {"inputs": [{"id": ids[0]}], "properties": ["hubspot_owner_id"]}


def test_a_contact_written_without_a_read_has_its_owner_read_by_the_heads_up(adapter, state):
    from connector.ports.batches import owner_at_write

    rep = state.add_owner("rep@example.com")
    seeded = state.new_record({"email": "known@example.com", "hubspot_owner_id": rep})
    state.contacts[seeded["id"]] = seeded
    answer = replace(make_answer(email="known@example.com"), customer_name=None, company=None)
    ids = adapter.upsert_contacts([ContactWrite(1, answer)], 100)  # nothing to fill in: no name read
    assert owner_at_write(ids[1]) is None
    told = adapter.tell_reps([RepWrite(1, make_case(answer, case_id=300), ids[1], MemoryLedger(), True)], 100)
    assert told[1].owner_id == rep
    assert bodies(state, READ)[-1] == {"inputs": [{"id": ids[1]}], "properties": ["hubspot_owner_id"]}
