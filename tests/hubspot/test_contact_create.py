"""New contacts are created with their company association in the same call (issue 16).

The name read a chunk already makes tells which e-mails HubSpot lacks: those go through one
batch create, associated (Primary) with their e-mail domain's company where the caller knows it;
the others are upserted as before. Real SDK against the stand-in over HTTP: the SDK talks
urllib3, which ``responses`` cannot intercept (see conftest).
"""
from dataclasses import replace

import pytest
from flask import request
from hubspot_helpers import make_answer

from connector.ports.batches import ContactWrite, created_by_upsert, created_with_company
from connector.ports.errors import RetryableError

pytestmark = pytest.mark.e2e
READ, UPSERT = "/crm/v3/objects/contacts/batch/read", "/crm/v3/objects/contacts/batch/upsert"
CREATE, ASSOCIATE = "/crm/v3/objects/contacts/batch/create", "/crm/v4/associations/contacts/companies/batch/associate/default"


def contact_calls(state) -> list[tuple[str, int, int]]:
    """(path, status, inputs) of every contact read and write, in order."""
    return [(c.path.rsplit("/", 1)[1], c.status, len(c.body["inputs"])) for c in state.calls.all()
            if c.path in (READ, UPSERT, CREATE)]


def seed(state, email: str) -> str:
    record = state.new_record({"email": email})
    state.contacts[record["id"]] = record
    return record["id"]


def writes(*emails, name="Marie Dubois"):
    return [ContactWrite(n, make_answer(answer_id=n, email=e, name=name)) for n, e in enumerate(emails)]


def companies_of(state, contact_id):
    return state.contacts[contact_id].get("associations", {}).get("companies", [])


def test_all_new_contacts_are_one_create_with_their_known_domains_company(adapter, state):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    ids = adapter.upsert_contacts(writes("marie@acme.fr", "paul@initech.io", "carla@gmail.com"), 100,
                                  {"acme.fr": acme, "gmail.com": acme})
    assert contact_calls(state) == [("read", 207, 3), ("create", 201, 3)]   # no upsert
    marie, paul, carla = ids[0], ids[1], ids[2]
    assert companies_of(state, marie) == [acme] and created_with_company(marie) == acme
    # no hint for its domain, or free mail: made without company, the roll-up job does as before
    assert not companies_of(state, paul) and created_with_company(paul) is None and created_by_upsert(paul)
    assert not companies_of(state, carla) and created_with_company(carla) is None
    assert state.contacts[marie]["properties"]["firstname"] == "Marie"
    assert state.contacts[marie]["properties"]["nps_last_score"] == "3"
    assert not state.calls.count("POST", ASSOCIATE)


def test_all_existing_contacts_are_one_upsert_as_before(adapter, state):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    known = [seed(state, e) for e in ("marie@acme.fr", "paul@acme.fr")]
    ids = adapter.upsert_contacts(writes("marie@acme.fr", "paul@acme.fr"), 100, {"acme.fr": acme})
    assert contact_calls(state) == [("read", 200, 2), ("upsert", 200, 2)]
    assert [ids[0], ids[1]] == known and not created_by_upsert(ids[0]) and created_with_company(ids[0]) is None
    assert not companies_of(state, known[0])   # an existing contact's company is read by the roll-up, not set


def test_a_mixed_chunk_creates_the_new_and_upserts_the_others(adapter, state):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    marie = seed(state, "marie@acme.fr")
    ids = adapter.upsert_contacts(writes("marie@acme.fr", "paul@acme.fr", "zoe@acme.fr"), 100, {"acme.fr": acme})
    assert contact_calls(state) == [("read", 207, 3), ("create", 201, 2), ("upsert", 200, 1)]
    assert ids[0] == marie and {created_with_company(ids[1]), created_with_company(ids[2])} == {acme}
    assert companies_of(state, ids[1]) == companies_of(state, ids[2]) == [acme]
    assert len(state.contacts) == 3


def test_answers_without_name_or_company_are_not_read_and_still_upserted(adapter, state):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    bare = [ContactWrite(0, replace(make_answer(email="paul@acme.fr", name=None), company=None))]
    ids = adapter.upsert_contacts(bare, 100, {"acme.fr": acme})
    assert contact_calls(state) == [("upsert", 200, 1)] and created_with_company(ids[0]) is None


def test_a_contact_made_between_the_read_and_the_create_is_upserted_after_the_409(adapter, state, standin):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    raced = []

    @standin.before_request
    def someone_creates_paul_first():  # another integration, or a create whose answer was lost
        if request.path == CREATE and not raced:
            raced.append(seed(state, "paul@acme.fr"))

    ids = adapter.upsert_contacts(writes("paul@acme.fr", "zoe@acme.fr"), 100, {"acme.fr": acme})
    assert contact_calls(state) == [("read", 207, 2), ("create", 409, 2), ("upsert", 200, 2)]
    assert ids[0] == raced[0] and created_by_upsert(ids[0]) is False
    # zoe was made by the upsert: no association in it, the roll-up job associates her as before
    assert created_by_upsert(ids[1]) is True and created_with_company(ids[1]) is None
    assert not companies_of(state, ids[1]) and len(state.contacts) == 2


def test_a_company_hubspot_no_longer_has_does_not_hold_the_contact_back(adapter, state):
    """The store learned the company before someone merged or deleted it in HubSpot: the create
    is refused (400), the contacts are upserted as before and the roll-up job finds their company."""
    ids = adapter.upsert_contacts(writes("paul@acme.fr", "zoe@initech.io"), 100, {"acme.fr": "999999"})
    assert contact_calls(state) == [("read", 207, 2), ("create", 400, 2), ("upsert", 200, 2)]
    assert all(created_by_upsert(i) and created_with_company(i) is None for i in ids.values())
    assert len(state.contacts) == 2


def test_a_create_hubspot_answers_500_for_narrows_down_to_its_contact(adapter, state):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    adapter.ensure_schema()
    state.faults.poison('"associationTypeId"', 500)   # only creates with an association fail
    emails = [f"c{n}@example.com" for n in range(7)] + ["paul@acme.fr"]
    result = adapter.upsert_contacts(writes(*emails), 100, {"acme.fr": acme})
    assert isinstance(result[7], RetryableError) and "500" in str(result[7])
    assert all(isinstance(result[n], str) for n in range(7)) and len(state.contacts) == 7
    assert len([c for c in state.calls.all() if c.path == CREATE]) <= 1 + 2 * 3
