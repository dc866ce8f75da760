"""Name and company on the HubSpot contact: filled from the answer, never over a person's value.

Real SDK against the stand-in; request shapes read from its call log.
"""
from dataclasses import replace

import pytest
from hubspot_helpers import make_answer

from connector.ports.batches import ContactWrite
from connector.providers.hubspot.contact_identity import missing_identity

pytestmark = pytest.mark.e2e
READ = "/crm/v3/objects/contacts/batch/read"
UPSERT = "/crm/v3/objects/contacts/batch/upsert"


def bodies(state, path):
    return [c.body for c in state.calls.all() if c.path == path and c.status < 300]


def seed_contact(state, email, **props):
    record = state.new_record({"email": email, **props})
    state.contacts[record["id"]] = record
    return record["id"]


def test_a_new_contact_gets_first_last_name_and_company(adapter, state):
    ids = adapter.upsert_contacts([ContactWrite(1, make_answer(name="Dubois, Marie"))], 100)
    props = state.contacts[ids[1]]["properties"]
    assert (props["firstname"], props["lastname"], props["company"]) == ("Marie", "Dubois", "Acme")


def test_values_a_person_entered_are_never_overwritten_and_the_gaps_are_filled(adapter, state):
    kept = seed_contact(state, "marie@example.com", firstname="Marie-Claire", lastname="")
    gaps = seed_contact(state, "paul@example.com", company="  ")
    writes = [ContactWrite(1, make_answer(answer_id=1, name="Marie Dubois")),
              ContactWrite(2, make_answer(answer_id=2, email="paul@example.com", name="Paul Martin")),
              ContactWrite(3, make_answer(answer_id=3, email="new@example.com", name="Jean de La Fontaine"))]
    ids = adapter.upsert_contacts(writes, 100)
    marie, paul = state.contacts[kept]["properties"], state.contacts[gaps]["properties"]
    assert (marie["firstname"], marie["lastname"], marie["company"]) == ("Marie-Claire", "", "Acme")
    assert (paul["firstname"], paul["lastname"], paul["company"]) == ("Paul", "Martin", "Acme")
    new = state.contacts[ids[3]]["properties"]
    assert (new["firstname"], new["lastname"]) == ("Jean", "de La Fontaine")
    (read,) = bodies(state, READ)  # one read for the chunk, by e-mail, shaped as HubSpot documents it
    assert read["idProperty"] == "email" and [i["id"] for i in read["inputs"]] == [
        "marie@example.com", "paul@example.com", "new@example.com"]
    assert {"firstname", "lastname", "company"} <= set(read["properties"])
    (upsert,) = bodies(state, UPSERT)
    assert "firstname" not in upsert["inputs"][0]["properties"]  # never sent, so never overwritten


def test_a_second_answer_does_not_change_a_name_now_in_hubspot(adapter, state):
    (contact_id,) = adapter.upsert_contacts([ContactWrite(1, make_answer(name="Marie Dubois"))], 100).values()
    state.contacts[contact_id]["properties"]["firstname"] = "Maria"  # the rep corrects it
    adapter.upsert_contacts([ContactWrite(2, make_answer(answer_id=2, name="M. Dubois"))], 100)
    assert state.contacts[contact_id]["properties"]["firstname"] == "Maria"


def test_answers_without_name_or_company_cost_no_read(adapter, state):
    answer = replace(make_answer(name=None), company=" ")
    adapter.upsert_contacts([ContactWrite(1, answer)], 100)
    assert bodies(state, READ) == [] and len(bodies(state, UPSERT)) == 1


def test_control_characters_never_reach_the_contact(adapter, state):
    answer = make_answer(name="Marie\r\nOwner: CEO\u202e Dubois")
    (contact_id,) = adapter.upsert_contacts([ContactWrite(1, answer)], 100).values()
    props = state.contacts[contact_id]["properties"]
    assert all(c.isprintable() for c in props["firstname"] + props["lastname"])


@pytest.mark.parametrize("existing, sent", [
    (None, {"firstname": "Marie", "lastname": "Dubois", "company": "Acme"}),
    ({}, {"firstname": "Marie", "lastname": "Dubois", "company": "Acme"}),
    ({"firstname": "Maria"}, {"company": "Acme"}),
    ({"lastname": "Dubois-Martin", "company": "Acme SA"}, {}),
    ({"firstname": " ", "lastname": None, "company": "Acme SA"}, {"firstname": "Marie", "lastname": "Dubois"}),
])
def test_missing_identity(existing, sent):
    assert missing_identity({"firstname": "Marie", "lastname": "Dubois", "company": "Acme"}, existing) == sent
