"""The account view on the HubSpot company (issue 12, item 3), through the real SDK and the stand-in:
two detractors of one company roll up onto it, closing a case brings the count down, a contact
without company gets the company of its e-mail's domain, free mail gets none."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import wait_until
from tests.signing import answer_payload, just_now

pytestmark = pytest.mark.e2e
ROLLUP_WINDOW = 0.5  # seconds: the coalesced write (issue 16), short enough for the waits below
ASSOCIATE = "/crm/v4/associations/contacts/companies/batch/associate/default"
CREATE = "/crm/v3/objects/contacts/batch/create"


def seed_contact(hubspot, email: str) -> str:
    contact_id = hubspot.next_id()
    hubspot.contacts[contact_id] = {"id": contact_id, "createdAt": "2026-01-01T00:00:00Z",
                                    "updatedAt": "2026-01-01T00:00:00Z",
                                    "properties": {"hs_object_id": contact_id, "email": email}}
    return contact_id


def looked_up(connector) -> int:
    from sqlalchemy import func, select

    from connector.store.db import reading
    from connector.store.models import ContactCompany
    with reading(connector.runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(ContactCompany).where(
            ContactCompany.found_at.is_not(None)))


def detractor(email: str, response_id: str, submitted_at: str, score: int = 3) -> dict:
    return answer_payload(response_id=response_id, submitted_at=submitted_at, score=score,
                          customer={"email": email, "lifetime_value": 1000})


def test_two_detractors_roll_up_onto_their_company_and_a_closing_brings_it_down(connector_factory, vendors):
    hubspot = vendors.hubspot
    # the company's domain differs from the e-mails': found by association, not by domain
    company_id = hubspot.add_company({"name": "Acme", "domain": "acme-group.com"},
                                     [seed_contact(hubspot, "marie@acme.fr"), seed_contact(hubspot, "paul@acme.fr")])
    connector = connector_factory(COMPANY_ROLLUP_SECONDS=ROLLUP_WINDOW)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    old = (now - timedelta(days=40)).isoformat()
    first = connector.post(detractor("marie@acme.fr", "r-1", old), msg_id="m1").json()["case_id"]
    second = connector.post(detractor("paul@acme.fr", "r-2", just_now(), score=5), msg_id="m2").json()["case_id"]
    connector.wait_synced([first, second])
    company = hubspot.companies[company_id]["properties"]
    wait_until(lambda: company.get("recovery_open_incidents") == "2")
    assert company["nps_account_score"] == "-100"          # two detractors out of two NPS answers
    assert company["recovery_worst_open_priority"] in ("urgent", "high", "normal", "low")
    assert company["recovery_last_detractor_at"].startswith(now.date().isoformat()[:4])
    assert len(hubspot.companies) == 1                      # no company made up by domain

    # Marie answers 9 forty days later: her case closes, the account has one open incident left
    later = answer_payload(response_id="r-3", score=9, comment="Merci, tout est rentré dans l'ordre.",
                           submitted_at=now.isoformat(), customer={"email": "marie@acme.fr", "lifetime_value": 1000})
    assert connector.post(later, msg_id="m3").json()["case_id"] is None
    wait_until(lambda: connector.case(first)["status"] == "closed")
    wait_until(lambda: company.get("recovery_open_incidents") == "1")
    wait_until(lambda: company.get("nps_account_score") == "-33")  # 1 promoter, 2 detractors
    # the company properties were created in the group, as the contact ones are
    assert hubspot.properties["companies"]["recovery_open_incidents"]["groupName"] == "nps_recovery"


def test_a_contact_without_company_gets_its_domains_and_free_mail_none(connector_factory, vendors):
    hubspot = vendors.hubspot
    existing = hubspot.add_company({"name": "Globex", "domain": "globex.com"})
    connector = connector_factory(COMPANY_ROLLUP_SECONDS=ROLLUP_WINDOW)
    ids = [connector.post(detractor(email, f"d-{n}", just_now()), msg_id=f"d{n}").json()["case_id"]
           for n, email in enumerate(["ana@globex.com", "bob@initech.io", "carla@gmail.com"])]
    connector.wait_synced(ids)
    wait_until(lambda: looked_up(connector) == 3)                     # the roll-up jobs ran for all three
    ana, bob, carla = (hubspot.contact_by_email(e) for e in ("ana@globex.com", "bob@initech.io", "carla@gmail.com"))
    assert ana["associations"]["companies"] == [existing]             # matched by domain
    [made] = bob["associations"]["companies"]                         # created for the domain
    assert hubspot.companies[made]["properties"]["domain"] == "initech.io"
    assert not carla.get("associations", {}).get("companies")         # free mail: no company
    assert sorted(c["properties"].get("domain") for c in hubspot.companies.values()) == ["globex.com", "initech.io"]
    wait_until(lambda: hubspot.companies[existing]["properties"].get("recovery_open_incidents") == "1")
    wait_until(lambda: hubspot.companies[made]["properties"].get("recovery_open_incidents") == "1")
    # a colleague later: the company the store already knows for the domain, no search, no duplicate
    searches = hubspot.calls.count("POST", "/crm/v3/objects/companies/search")
    later = connector.post(detractor("dan@initech.io", "d-9", just_now()), msg_id="d9").json()["case_id"]
    connector.wait_synced([later])
    wait_until(lambda: hubspot.companies[made]["properties"].get("recovery_open_incidents") == "2")
    assert hubspot.contact_by_email("dan@initech.io")["associations"]["companies"] == [made]
    assert hubspot.calls.count("POST", "/crm/v3/objects/companies/search") == searches and len(hubspot.companies) == 2


def test_new_contacts_of_a_domain_the_store_knows_are_created_with_its_company(connector_factory, vendors):
    """Issue 16: a contact the connector creates for a domain whose company the store already
    knows is created associated with it: no association call, the roll-up still written."""
    hubspot = vendors.hubspot
    connector = connector_factory(COMPANY_ROLLUP_SECONDS=ROLLUP_WINDOW)
    first = [connector.post(detractor(email, f"w1-{n}", just_now()), msg_id=f"w1-{n}").json()["case_id"]
             for n, email in enumerate(["ana@initech.io", "bob@initech.io"])]
    connector.wait_synced(first)
    wait_until(lambda: looked_up(connector) == 2)   # the first wave's company: found by domain, associated
    [made] = hubspot.contact_by_email("ana@initech.io")["associations"]["companies"]
    wait_until(lambda: hubspot.companies[made]["properties"].get("recovery_open_incidents") == "2")
    associations = hubspot.calls.count("POST", ASSOCIATE)
    looks = hubspot.calls.count("POST", "/crm/v4/associations/contacts/companies/batch/read") + \
        hubspot.calls.count("POST", "/crm/v3/objects/companies/search")

    # a second wave: a detractor (a case) and a promoter (an answer only), both new contacts
    carl = connector.post(detractor("carl@initech.io", "w2-0", just_now()), msg_id="w2-0").json()["case_id"]
    assert connector.post(detractor("dan@initech.io", "w2-1", just_now(), score=9), msg_id="w2-1").json()["case_id"] \
        is None
    connector.wait_synced([carl])
    wait_until(lambda: looked_up(connector) == 4)
    wait_until(lambda: hubspot.companies[made]["properties"].get("recovery_open_incidents") == "3")
    wait_until(lambda: hubspot.companies[made]["properties"].get("nps_account_score") == "-50")  # 1 promoter, 3 detractors
    for email in ("carl@initech.io", "dan@initech.io"):
        assert hubspot.contact_by_email(email)["associations"]["companies"] == [made]
    second_wave = hubspot.calls.count("POST", ASSOCIATE) - associations
    print(f"association calls: first wave {associations}, second wave {second_wave}")
    assert second_wave == 0 and len(hubspot.companies) == 1
    assert hubspot.calls.count("POST", "/crm/v4/associations/contacts/companies/batch/read") + \
        hubspot.calls.count("POST", "/crm/v3/objects/companies/search") == looks   # nothing looked up either
    created = [c.body for c in hubspot.calls.all() if c.path == CREATE and c.status == 201]
    assert sum(1 for body in created for i in body["inputs"] if i["associations"]) == 2
