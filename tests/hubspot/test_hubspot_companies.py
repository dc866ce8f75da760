"""The contacts' companies and the account roll-up, through the real SDK against the stand-in:
primary company by v4 association, domain matching (free mail skipped, turned off by the
mapping), the stand-in's strictness, and the calls a campaign of 1,000 answers costs."""
from dataclasses import replace
from datetime import datetime, timezone

from hubspot_helpers import make_answer

from connector.domain.account import CompanyRollup
from connector.ports.batches import ContactWrite, created_by_upsert

ROLLUP = CompanyRollup(2, datetime(2026, 11, 20, 15, 37, tzinfo=timezone.utc), -40, "high")
ASSOCIATION_READ = "/crm/v4/associations/contacts/companies/batch/read"


def contact(state, email: str) -> str:
    record = state.new_record({"email": email})
    state.contacts[record["id"]] = record
    return record["id"]


def company_calls(state) -> list:
    return [c for c in state.calls.all() if "compan" in c.path]


def test_the_primary_company_wins_and_the_rollup_lands(adapter, state):
    marie = contact(state, "marie@acme.fr")
    primary = state.add_company({"name": "Acme", "domain": "acme.fr"}, [marie])
    state.add_company({"name": "Acme holding", "domain": "acme-holding.fr"}, [marie])
    assert adapter.companies_of({marie: "marie@acme.fr"}) == {marie: primary}
    assert adapter.update_company_rollups({primary: ROLLUP}, 100) == {primary: None}
    props = state.companies[primary]["properties"]
    assert (props["recovery_open_incidents"], props["nps_account_score"], props["recovery_worst_open_priority"]) \
        == ("2", "-40", "high")
    assert props["recovery_last_detractor_at"].startswith("2026-11-20T15:37:00")
    # an incident closed, no priority left: the value is cleared, not left stale
    adapter.update_company_rollups({primary: CompanyRollup(0, None, None, None)}, 100)
    assert props["recovery_open_incidents"] == "0" and props["recovery_worst_open_priority"] == ""


def test_domain_matching_skips_free_mail_and_can_be_turned_off(adapter, state, mapping, server):
    from connector.providers.hubspot import HubSpotAdapter
    ana, carla = contact(state, "ana@globex.com"), contact(state, "carla@gmail.com")
    assert adapter.companies_of({ana: "ana@globex.com", carla: "carla@gmail.com"})[carla] is None
    [made] = state.contacts[ana]["associations"]["companies"]
    assert state.companies[made]["properties"]["domain"] == "globex.com"
    off = HubSpotAdapter.from_config({"HUBSPOT_ACCESS_TOKEN": "t", "HUBSPOT_BASE_URL": server.url},
                                     replace(mapping, company_from_email_domain=False))
    bob = contact(state, "bob@initech.io")
    assert off.companies_of({bob: "bob@initech.io"}) == {bob: None}
    assert len(state.companies) == 1


def test_the_standin_refuses_unknown_properties_and_big_batches(api, state):
    company = state.add_company({"name": "Acme"})
    unknown = api("POST", "/crm/v3/objects/companies/batch/update",
                  {"inputs": [{"id": company, "properties": {"recovery_open_incidents": "1"}}]})
    assert unknown.status_code == 400 and "does not exist" in unknown.get_data(as_text=True)
    too_many = api("POST", "/crm/v3/objects/companies/batch/create",
                   {"inputs": [{"properties": {"name": f"c{i}"}} for i in range(101)]})
    assert too_many.status_code == 400
    missing = api("POST", "/crm/v4/associations/contacts/companies/batch/associate/default",
                  {"inputs": [{"from": {"id": "999999"}, "to": {"id": company}}]})
    assert missing.status_code == 400


def test_a_campaign_of_1000_answers_from_100_companies_costs_few_company_calls(adapter, state):
    """Groups of 100 answers, as the worker claims them; 10 contacts per company, answers spread."""
    companies = [state.add_company({"name": f"Co {n}", "domain": f"co{n}.com"}) for n in range(100)]
    contacts = {}
    for i in range(1000):
        email = f"user{i}@co{i % 100}.com"
        contacts[contact(state, email)] = email
        state.associate_company(list(contacts)[-1], companies[i % 100])
    adapter.update_company_rollups({companies[0]: ROLLUP}, 100)  # schema set-up, out of the count
    before = len(company_calls(state))
    items = list(contacts.items())
    for start in range(0, 1000, 100):
        group = dict(items[start:start + 100])
        found = adapter.companies_of(group)
        touched = {c for c in found.values() if c}
        assert len(touched) == 100
        assert set(adapter.update_company_rollups({c: ROLLUP for c in touched}, 100).values()) == {None}
    calls = len(company_calls(state)) - before
    print(f"company calls for 1000 answers: {calls} ({calls / 1000:.3f} per answer)")
    assert calls == 20  # per group of 100: one association read, one roll-up update of 100 companies
    updates = [c for c in state.calls.all() if c.path == "/crm/v3/objects/companies/batch/update"]
    assert {len(c.body["inputs"]) for c in updates[1:]} == {100}


def test_a_domain_the_store_knows_is_not_searched_again(adapter, state):
    """HubSpot's search index lags behind a create: the store's answer avoids a duplicate company."""
    company = state.add_company({"name": "Initech"})  # no domain yet: a search would miss it
    bob = contact(state, "bob@initech.io")
    assert adapter.companies_of({bob: "bob@initech.io"}, {"initech.io": company}) == {bob: company}
    assert state.contacts[bob]["associations"]["companies"] == [company] and len(state.companies) == 1
    assert not [c for c in state.calls.all() if c.path.endswith("/companies/search")]


def test_a_new_domain_another_worker_is_creating_is_left_to_it(adapter, state):
    """Two workers meeting one new domain: the one that may not create it leaves that contact out
    (its job asks again shortly); what it may create lands; nothing is made twice."""
    ana, carla = contact(state, "ana@globex.com"), contact(state, "carla@initrode.com")
    asked = []
    found = adapter.companies_of({ana: "ana@globex.com", carla: "carla@initrode.com"}, None,
                                 lambda domains: asked.append(sorted(domains)) or {"initrode.com"})
    assert asked == [["globex.com", "initrode.com"]]
    assert list(found) == [carla] and state.contacts[carla]["associations"]["companies"] == [found[carla]]
    assert [c["properties"]["domain"] for c in state.companies.values()] == ["initrode.com"]
    again = adapter.companies_of({ana: "ana@globex.com", carla: "carla@initrode.com"}, None, lambda domains: set())
    assert again[carla] == found[carla] and ana not in again and len(state.companies) == 1


def test_a_contact_the_upsert_just_made_skips_the_association_read(adapter, state):
    """Issue 16: the upsert answers ``new`` for a contact it made; such a contact has no company
    association yet, so its domain's company is taken without a read. One that existed is read:
    its company need not be its domain's."""
    ana = contact(state, "ana@globex.com")
    holding = state.add_company({"name": "Globex holding", "domain": "globex-holding.com"}, [ana])
    globex = state.add_company({"name": "Globex", "domain": "globex.com"})
    ids = adapter.upsert_contacts([ContactWrite(1, make_answer(answer_id=1, email="ana@globex.com")),
                                   ContactWrite(2, make_answer(answer_id=2, email="bob@globex.com"))], 100)
    assert ids[1] == ana and (created_by_upsert(ids[1]), created_by_upsert(ids[2])) == (False, True)
    bob = ids[2]

    def reads():
        return [c.body for c in state.calls.all() if c.path == ASSOCIATION_READ]
    assert adapter.companies_of({bob: "bob@globex.com"}, created={bob}) == {bob: globex}
    assert not reads() and state.contacts[bob]["associations"]["companies"] == [globex]
    assert adapter.companies_of({ana: "ana@globex.com", bob: "bob@globex.com"}, created={bob}) \
        == {ana: holding, bob: globex}
    assert [[i["id"] for i in body["inputs"]] for body in reads()] == [[ana]]
