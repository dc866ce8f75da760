"""Several cases' HubSpot writes in few calls, with the real SDK against the stand-in.

The outbound shapes are read from the stand-in's call log: hubspot-api-client talks
urllib3, which ``responses`` cannot intercept (see conftest).
"""
from datetime import timedelta

import pytest
from hubspot_helpers import SUBMITTED, MemoryLedger, make_answer, make_case

from connector.ports.batches import CaseWrite, ContactWrite
from connector.ports.errors import PermanentError, RetryableError
from connector.ports.keys import HUBSPOT_NOTE, HUBSPOT_TASK

pytestmark = pytest.mark.e2e
UPSERT = "/crm/v3/objects/contacts/batch/upsert"
CREATE = "/crm/v3/objects/contacts/batch/create"  # contacts the name read did not find are created
WRITES = (UPSERT, CREATE)
CONTACT_CALLS = (*WRITES, "/crm/v3/objects/contacts/batch/read")  # a chunk with names is read before it is written


def bodies(state, *paths):
    return [c.body for c in state.calls.all() if c.path in paths and c.status < 300]


def email_of(item):
    return item.get("id") or item["properties"]["email"]  # an upsert's id, a create's property


def answers(count, **overrides):
    return [make_answer(answer_id=i, email=f"c{i}@example.com", **overrides) for i in range(count)]


def test_contacts_go_in_one_upsert_one_input_per_email_the_newest_answer_wins(adapter, state):
    writes = [ContactWrite(i, a) for i, a in enumerate(answers(4))]
    older = make_answer(answer_id=9, email="C1@example.com", score=1, submitted_at=SUBMITTED - timedelta(days=1))
    writes.append(ContactWrite("older", older))
    ids = adapter.upsert_contacts(writes, 100)
    (sent,) = bodies(state, *WRITES)
    assert len(sent["inputs"]) == 4 and len({email_of(i).lower() for i in sent["inputs"]}) == 4
    assert len({i["objectWriteTraceId"] for i in sent["inputs"]}) == 4
    assert ids["older"] == ids[1] and len(set(ids.values())) == 4 == len(state.contacts)
    assert state.contacts[ids[1]]["properties"]["nps_last_score"] == "3"  # not the older answer's 1


def test_an_nps_and_a_csat_answer_of_one_email_both_land_in_its_one_input(adapter, state):
    nps = make_answer(answer_id=1, score=3)
    csat = make_answer(answer_id=2, score=5, category="promoter", survey_type="csat",
                       submitted_at=SUBMITTED + timedelta(hours=1))
    older_csat = make_answer(answer_id=3, score=1, survey_type="csat", submitted_at=SUBMITTED - timedelta(days=1))
    ids = adapter.upsert_contacts([ContactWrite("nps", nps), ContactWrite("csat", csat),
                                   ContactWrite("older", older_csat)], 100)
    (sent,) = bodies(state, *WRITES)
    assert len(sent["inputs"]) == 1 and len(set(ids.values())) == 1
    props = state.contacts[ids["nps"]]["properties"]
    assert (props["nps_last_score"], props["csat_last_score"]) == ("3", "5")


def test_the_limit_caps_inputs_per_call(adapter, state):
    adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers(5))], 2)
    assert [len(b["inputs"]) for b in bodies(state, *WRITES)] == [2, 2, 1]


def test_a_poison_contact_is_split_out_and_fails_alone(adapter, state):
    writes = [ContactWrite(i, a) for i, a in enumerate(answers(6))]
    writes[4] = ContactWrite(4, make_answer(answer_id=4, email="not-an-email"))
    result = adapter.upsert_contacts(writes, 100)
    assert isinstance(result[4], PermanentError) and "400" in str(result[4])
    assert all(isinstance(result[k], str) for k in (0, 1, 2, 3, 5)) and len(state.contacts) == 5
    assert len(bodies(state, *WRITES)) <= 4  # halves, not one call per contact


def test_a_429_stops_the_run_and_every_unsent_input_waits(adapter, state):
    adapter.ensure_schema()
    state.faults.fail_next(1, status=429)
    result = adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers(5))], 2)
    assert all(isinstance(r, RetryableError) for r in result.values())
    assert len([c for c in state.calls.all() if c.path in CONTACT_CALLS]) == 1 and not state.contacts


def test_a_contact_hubspot_answers_500_for_fails_alone_and_the_rest_land(adapter, state):
    adapter.ensure_schema()
    state.faults.poison("c5@example.com", 500)
    result = adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers(8))], 100)
    assert isinstance(result[5], RetryableError) and "500" in str(result[5])
    assert all(isinstance(result[k], str) for k in range(8) if k != 5) and len(state.contacts) == 7
    calls = [c for c in state.calls.all() if c.path in WRITES]
    assert len(calls) <= 1 + 2 * 3  # halves down to the poison, not one call per contact


def test_an_outage_stops_once_a_whole_level_of_parts_fails_and_everything_waits(adapter, state):
    adapter.ensure_schema()
    state.faults.fail_next(7, status=503)
    result = adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers(16))], 8)
    assert all(isinstance(r, RetryableError) for r in result.values()) and not state.contacts
    # the chunk, its halves, its quarters: every part of a level failed, so it stops there
    assert len([c for c in state.calls.all() if c.path in CONTACT_CALLS]) == 7


def test_two_poison_contacts_in_both_halves_still_fail_alone(adapter, state):
    adapter.ensure_schema()
    for poison in ("c1@example.com", "c6@example.com"):
        state.faults.poison(poison, 500)
    result = adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers(8))], 100)
    assert {k for k, r in result.items() if isinstance(r, RetryableError)} == {1, 6}
    assert len(state.contacts) == 6


def case_writes(adapter, count, *, first_attempt=True, ledgers=None):
    writes = []
    for i in range(count):
        answer = make_answer(answer_id=i, email=f"c{i}@example.com")
        case = make_case(answer, case_id=100 + i)
        contact_id = adapter.upsert_contact(answer, case)
        ledger = (ledgers or {}).get(i) or MemoryLedger()
        writes.append(CaseWrite(i, case, contact_id, ledger, first_attempt, text=f"Case {i} opened"))
    return writes


def test_three_cases_tasks_in_one_call_each_recorded_in_its_own_ledger(adapter, state):
    writes = case_writes(adapter, 3)
    result = adapter.create_case_tasks(writes, 100)
    (sent,) = bodies(state, "/crm/v3/objects/tasks/batch/create")
    assert len(sent["inputs"]) == 24 and len(state.tasks) == 24
    for write in writes:
        assert len(result[write.key]) == 8
        assert {k: v for k, v in write.ledger.entries.items() if k.startswith(HUBSPOT_TASK)} == \
            {HUBSPOT_TASK + stage: task_id for stage, task_id in result[write.key].items()}
    assert [len(b["inputs"]) for b in bodies(state, "/crm/v3/objects/tasks/batch/create")] == [24]


def test_a_retry_after_a_lost_ledger_finds_the_tasks_and_creates_only_the_missing(adapter, state):
    first = case_writes(adapter, 2)
    adapter.create_case_tasks(first, 100)
    victim = next(iter(state.tasks))
    del state.tasks[victim]                          # one task never landed ...
    again = [CaseWrite(w.key, w.case, w.contact_id, MemoryLedger(), False) for w in first]  # ... ledger lost
    result = adapter.create_case_tasks(again, 100)
    assert len(state.tasks) == 16 and all(len(r) == 8 for r in result.values())
    assert [len(b["inputs"]) for b in bodies(state, "/crm/v3/objects/tasks/batch/create")] == [16, 1]


def test_a_rejected_case_in_a_traced_batch_fails_alone(adapter, state):
    writes = case_writes(adapter, 3)
    writes[1] = CaseWrite(1, writes[1].case, "999999", MemoryLedger(), True)  # no such contact
    result = adapter.create_case_tasks(writes, 100)
    assert isinstance(result[1], PermanentError)
    assert len(result[0]) == len(result[2]) == 8 and len(state.tasks) == 16


def test_notes_of_several_cases_in_one_call_and_a_retry_finds_them(adapter, state):
    writes = case_writes(adapter, 3)
    notes = adapter.add_case_notes(writes, 100)
    (sent,) = bodies(state, "/crm/v3/objects/notes/batch/create")
    assert [i["objectWriteTraceId"] for i in sent["inputs"]] == [f"recovery-{100 + i}-opened" for i in range(3)]
    assert len(state.notes) == 3 and all(w.ledger.get(HUBSPOT_NOTE) == notes[w.key] for w in writes)
    retried = [CaseWrite(w.key, w.case, w.contact_id, MemoryLedger(), False, w.text) for w in writes]
    assert adapter.add_case_notes(retried, 100) == notes and len(state.notes) == 3


def test_ticket_links_in_one_update_the_newest_case_wins_per_contact(adapter, state):
    ids = adapter.upsert_contacts([ContactWrite(i, a) for i, a in enumerate(answers(2))], 100)
    result = adapter.set_ticket_urls([("a", ids[0], "https://z/agent/tickets/1", 1),
                                      ("b", ids[0], "https://z/agent/tickets/2", 2),
                                      ("c", ids[1], "https://z/agent/tickets/3", 3)], 100)
    assert result == {"a": None, "b": None, "c": None}
    (sent,) = bodies(state, "/crm/v3/objects/contacts/batch/update")
    assert len(sent["inputs"]) == 2
    urls = {i: state.contacts[i]["properties"]["recovery_zendesk_ticket_url"] for i in (ids[0], ids[1])}
    assert urls == {ids[0]: "https://z/agent/tickets/2", ids[1]: "https://z/agent/tickets/3"}
