"""The stand-in's contact batch create is as strict as HubSpot's: new e-mails only (409 for the
whole batch otherwise), at most 100 inputs, known properties, associations to companies that
exist with a contact-to-company type; the contacts it makes carry their company association."""
CREATE = "/crm/v3/objects/contacts/batch/create"
ASSOCIATIONS = "/crm/v4/associations/contacts/companies/batch/read"


def new_contact(email, company_id=None, type_id=1, category="HUBSPOT_DEFINED", trace=None, **props):
    item = {"properties": {"email": email, **props}, "associations": []}
    if company_id is not None:
        item["associations"] = [{"to": {"id": company_id}, "types": [
            {"associationCategory": category, "associationTypeId": type_id}]}]
    if trace:
        item["objectWriteTraceId"] = trace
    return item


def test_created_contacts_carry_their_primary_company_and_echo_trace_ids(api, state):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    made = api("POST", CREATE, {"inputs": [new_contact("Marie@acme.fr", acme, trace="t-1"),
                                           new_contact("paul@elsewhere.io", trace="t-2")]})
    assert made.status_code == 201
    results = {r["objectWriteTraceId"]: r for r in made.get_json()["results"]}
    marie, paul = results["t-1"]["id"], results["t-2"]["id"]
    assert results["t-1"]["properties"]["email"] == "marie@acme.fr"
    assert state.contacts[marie]["associations"]["companies"] == [acme]
    assert marie in state.companies[acme]["associations"]["contacts"]
    assert not state.contacts[paul].get("associations", {}).get("companies")
    read = api("POST", ASSOCIATIONS, {"inputs": [{"id": marie}]}).get_json()
    (linked,) = read["results"][0]["to"]
    assert linked["toObjectId"] == int(acme) and {"typeId": 1, "label": "Primary", "category": "HUBSPOT_DEFINED"} \
        in linked["associationTypes"]
    assert state.calls.count("POST", CREATE) == 1


def test_an_email_hubspot_has_refuses_the_whole_batch_with_409(api, state):
    first = api("POST", CREATE, {"inputs": [new_contact("marie@acme.fr")]}).get_json()["results"][0]["id"]
    refused = api("POST", CREATE, {"inputs": [new_contact("new@acme.fr"), new_contact("MARIE@acme.fr")]})
    assert refused.status_code == 409
    body = refused.get_json()
    assert (body["status"], body["category"]) == ("error", "CONFLICT") and body["correlationId"]
    assert body["message"] == f"Contact already exists. Existing ID: {first}"
    assert state.contact_by_email("new@acme.fr") is None                 # nothing of the batch landed


def test_an_association_to_a_missing_company_or_of_an_unknown_type_is_refused(api, state):
    acme = state.add_company({"name": "Acme", "domain": "acme.fr"})
    for bad in (new_contact("a@acme.fr", "999999"), new_contact("a@acme.fr", acme, type_id=204),
                new_contact("a@acme.fr", acme, category="USER_DEFINED"),
                {"properties": {"email": "a@acme.fr"}, "associations": [{"to": {"id": acme}, "types": []}]}):
        refused = api("POST", CREATE, {"inputs": [new_contact("ok@acme.fr"), bad]})
        assert refused.status_code == 400, bad
    assert state.contacts == {}                                          # all or nothing


def test_unknown_properties_bad_emails_and_more_than_100_inputs_are_refused(api, state):
    assert api("POST", CREATE, {"inputs": [new_contact("a@acme.fr", nps_nope="3")]}).status_code == 400
    assert api("POST", CREATE, {"inputs": [new_contact("not-an-email")]}).status_code == 400
    too_many = api("POST", CREATE, {"inputs": [new_contact(f"c{i}@acme.fr") for i in range(101)]})
    assert too_many.status_code == 400 and "limit" in too_many.get_json()["message"]
    assert api("POST", CREATE, {"inputs": [new_contact("a@acme.fr"), new_contact("A@acme.fr")]}).status_code == 400
    assert state.contacts == {}
