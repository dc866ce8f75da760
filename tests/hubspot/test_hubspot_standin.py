"""The HubSpot stand-in is as strict as HubSpot on what the connector uses."""
import pytest

from connector.sandbox.hubspot import create_hubspot_standin

UPSERT = "/crm/v3/objects/contacts/batch/upsert"
TASKS = "/crm/v3/objects/tasks/batch/create"


def upsert(api, properties, email="marie@example.com"):
    return api("POST", UPSERT, {"inputs": [{"idProperty": "email", "id": email, "properties": properties}]})


def create_group(api, name="nps_recovery"):
    return api("POST", "/crm/v3/properties/contacts/groups", {"name": name, "label": "NPS recovery"})


def create_property(api, **body):
    base = {"name": "nps_last_score", "label": "Score", "type": "number", "fieldType": "number",
            "groupName": "nps_recovery"}
    return api("POST", "/crm/v3/properties/contacts", {**base, **body})


def task_input(contact_id, **props):
    properties = {"hs_timestamp": "2026-11-21T15:37:00.000Z", "hs_task_subject": "Call", **props}
    return {"properties": properties, "associations": [{"to": {"id": contact_id}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]}


def error(response):
    body = response.get_json()
    assert body["status"] == "error" and body["correlationId"]
    return body


def test_unknown_property_is_rejected_until_created(api):
    refused = upsert(api, {"nps_last_score": "3"})
    assert refused.status_code == 400
    body = error(refused)
    assert body["category"] == "VALIDATION_ERROR"
    assert 'Property \\"nps_last_score\\" does not exist' in body["message"]

    assert create_group(api).status_code == 201
    assert create_property(api).status_code == 201
    accepted = upsert(api, {"nps_last_score": "3"})
    assert accepted.status_code == 200
    assert accepted.get_json()["results"][0]["properties"]["nps_last_score"] == "3"


def test_values_are_checked_against_type_and_options(api):
    create_group(api)
    create_property(api)
    create_property(api, name="recovery_stage", type="enumeration", fieldType="select",
                    options=[{"value": "empathy", "label": "Empathy"}])
    create_property(api, name="recovery_incident_open", type="bool", fieldType="booleancheckbox")
    create_property(api, name="recovery_next_due_at", type="datetime", fieldType="date")

    for props in ({"recovery_stage": "apology"}, {"nps_last_score": "three"},
                  {"recovery_incident_open": "yes"}, {"recovery_next_due_at": "next tuesday"}):
        response = upsert(api, props)
        assert response.status_code == 400, props
        assert error(response)["category"] == "VALIDATION_ERROR"

    ok = upsert(api, {"recovery_stage": "empathy", "nps_last_score": "3", "recovery_incident_open": "TRUE",
                      "recovery_next_due_at": "1795189020000"})
    assert ok.status_code == 200
    props = ok.get_json()["results"][0]["properties"]
    assert props["recovery_incident_open"] == "true"
    assert props["recovery_next_due_at"] == "2026-11-20T15:37:00.000Z"


def test_upsert_by_email_creates_then_updates(api, state):
    first = upsert(api, {"firstname": "Marie"}).get_json()["results"][0]
    second = upsert(api, {"lastname": "Dubois"}, email="MARIE@example.com").get_json()["results"][0]
    assert first["new"] is True and second["new"] is False
    assert first["id"] == second["id"] and len(state.contacts) == 1
    fetched = api("GET", "/crm/v3/objects/contacts/marie@example.com?idProperty=email&properties=firstname")
    assert fetched.get_json()["properties"]["firstname"] == "Marie"


def test_task_requires_hs_timestamp_and_a_real_contact(api):
    contact_id = upsert(api, {}).get_json()["results"][0]["id"]
    missing = task_input(contact_id)
    del missing["properties"]["hs_timestamp"]
    response = api("POST", TASKS, {"inputs": [missing]})
    assert response.status_code == 400 and "hs_timestamp" in error(response)["message"]

    assert api("POST", TASKS, {"inputs": [task_input("999999")]}).status_code == 400
    assert api("POST", TASKS, {"inputs": [task_input(contact_id, hs_task_priority="ASAP")]}).status_code == 400
    assert api("POST", TASKS, {"inputs": [task_input(contact_id, hubspot_owner_id="1")]}).status_code == 400
    assert api("POST", TASKS, {"inputs": [task_input(contact_id)]}).status_code == 201


def test_a_read_names_the_association_from_the_object_read(api):
    contact_id = upsert(api, {}).get_json()["results"][0]["id"]
    task = api("POST", TASKS, {"inputs": [task_input(contact_id)]}).get_json()["results"][0]["id"]
    note = task_input(contact_id, hs_note_body="Called.")
    del note["properties"]["hs_task_subject"]
    note["associations"][0]["types"][0]["associationTypeId"] = 202
    note = api("POST", "/crm/v3/objects/notes/batch/create", {"inputs": [note]}).get_json()["results"][0]["id"]
    for kind, object_id in (("task", task), ("note", note)):
        read = api("GET", f"/crm/v3/objects/{kind}s/{object_id}?associations=contacts").get_json()
        assert read["associations"]["contacts"]["results"] == [{"id": contact_id, "type": f"{kind}_to_contact"}]


def test_batches_over_100_inputs_are_refused(api, state):
    contact_id = upsert(api, {}).get_json()["results"][0]["id"]
    response = api("POST", TASKS, {"inputs": [task_input(contact_id)] * 101})
    assert response.status_code == 400 and "limit" in error(response)["message"]
    assert not state.tasks
    assert api("POST", TASKS, {"inputs": [task_input(contact_id)] * 100}).status_code == 201


def test_bearer_token_is_required(api, standin):
    assert api("GET", "/crm/v3/properties/contacts", token=None).status_code == 401
    strict = create_hubspot_standin(access_tokens={"good"}).test_client()
    refused = strict.get("/crm/v3/owners", headers={"Authorization": "Bearer bad"})
    assert refused.status_code == 401 and refused.get_json()["category"] == "INVALID_AUTHENTICATION"
    assert strict.get("/crm/v3/owners", headers={"Authorization": "Bearer good"}).status_code == 200


def test_rate_limit_answers_429_with_retry_after():
    client = create_hubspot_standin(rate_limit=2, window_seconds=10).test_client()
    headers = {"Authorization": "Bearer t"}
    assert [client.get("/crm/v3/owners", headers=headers).status_code for _ in range(2)] == [200, 200]
    limited = client.get("/crm/v3/owners", headers=headers)
    assert limited.status_code == 429
    assert limited.get_json()["category"] == "RATE_LIMITS"
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    other_token = client.get("/crm/v3/owners", headers={"Authorization": "Bearer other"})
    assert other_token.status_code == 200


def test_duplicate_property_or_group_is_a_conflict(api):
    assert create_group(api).status_code == 201
    assert create_group(api).status_code == 409
    assert create_property(api).status_code == 201
    duplicate = create_property(api)
    assert duplicate.status_code == 409
    batch = api("POST", "/crm/v3/properties/contacts/batch/create", {"inputs": [
        {"name": "nps_last_score", "label": "x", "type": "number", "fieldType": "number",
         "groupName": "nps_recovery"}]})
    assert batch.status_code == 409


@pytest.mark.parametrize("body", [
    {"type": "number", "fieldType": "text"},                       # fieldType does not fit type
    {"type": "enumeration", "fieldType": "select", "options": []},  # enumeration without options
    {"groupName": "nowhere"},                                       # unknown group
    {"name": "Bad Name"},
])
def test_property_definitions_are_validated(api, body):
    create_group(api)
    assert create_property(api, **body).status_code == 400


def test_task_search_filters_on_property_and_association(api):
    contact_id = upsert(api, {}).get_json()["results"][0]["id"]
    other_id = upsert(api, {}, email="paul@example.com").get_json()["results"][0]["id"]
    api("POST", TASKS, {"inputs": [task_input(contact_id, hs_task_type="CALL"),
                                   task_input(contact_id, hs_task_type="EMAIL"),
                                   task_input(other_id, hs_task_type="CALL")]})
    search = lambda filters: api("POST", "/crm/v3/objects/tasks/search",  # noqa: E731
                                 {"filterGroups": [{"filters": filters}], "limit": 100}).get_json()
    assert search([{"propertyName": "hs_task_type", "operator": "EQ", "value": "CALL"}])["total"] == 2
    both = search([{"propertyName": "hs_task_type", "operator": "EQ", "value": "CALL"},
                   {"propertyName": "associations.contact", "operator": "EQ", "value": contact_id}])
    assert both["total"] == 1
    bad = api("POST", "/crm/v3/objects/tasks/search",
              {"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "x"}]}]})
    assert bad.status_code == 400


def test_owners_are_listed_and_filtered_by_email(api):
    owners = api("GET", "/crm/v3/owners").get_json()["results"]
    assert len(owners) >= 2
    one = api("GET", "/crm/v3/owners?email=cs.lead@example.com").get_json()["results"]
    assert [o["email"] for o in one] == ["cs.lead@example.com"]
    assert api("GET", f"/crm/v3/owners/{one[0]['id']}").status_code == 200
    assert api("GET", "/crm/v3/owners/1").status_code == 404


def test_injected_faults_answer_with_hubspot_error_shape(api, state):
    state.faults.fail_next(1, 503)
    response = api("GET", "/crm/v3/owners")
    assert response.status_code == 503 and error(response)
    assert api("GET", "/crm/v3/owners").status_code == 200


def test_injected_429_storm_carries_retry_after_like_hubspot(api, state):
    state.faults.fail_for(30, 429, retry_after=3)
    limited = api("GET", "/crm/v3/owners")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert error(limited)["errorType"] == "RATE_LIMIT" and error(limited)["category"] == "RATE_LIMITS"
    state.faults.clear()
    assert api("GET", "/crm/v3/owners").status_code == 200


def test_a_poisoned_body_fails_forever_and_others_pass(api, state):
    state.faults.poison("poison@example.com", 500)
    assert [upsert(api, {}, email="poison@example.com").status_code for _ in range(3)] == [500, 500, 500]
    assert upsert(api, {}, email="fine@example.com").status_code == 200
    arrivals = [c.at for c in state.calls.all()]
    assert arrivals == sorted(arrivals) and arrivals[0] > 0  # arrival times, for retry-timing tests


def test_upsert_echoes_trace_ids_and_refuses_the_same_email_twice(api, state):
    inputs = [{"idProperty": "email", "id": f"c{i}@example.com", "properties": {}, "objectWriteTraceId": f"t{i}"}
              for i in range(3)]
    results = api("POST", UPSERT, {"inputs": inputs}).get_json()["results"]
    assert sorted(r["objectWriteTraceId"] for r in results) == ["t0", "t1", "t2"]
    twice = inputs[:2] + [{**inputs[0], "id": "C0@EXAMPLE.COM", "objectWriteTraceId": "t9"}]
    response = api("POST", UPSERT, {"inputs": twice})
    assert response.status_code == 400 and "Duplicate" in error(response)["message"]
    assert len(state.contacts) == 3


def test_batch_update_by_record_id_is_all_or_nothing(api, state):
    ids = [upsert(api, {}, email=f"c{i}@example.com").get_json()["results"][0]["id"] for i in range(2)]
    ok = api("POST", "/crm/v3/objects/contacts/batch/update",
             {"inputs": [{"id": i, "properties": {"firstname": f"N{i}"}} for i in ids]})
    assert ok.status_code == 200 and {r["id"] for r in ok.get_json()["results"]} == set(ids)
    for body in ({"inputs": [{"id": ids[0], "properties": {"firstname": "X"}}, {"id": "999", "properties": {}}]},
                 {"inputs": [{"id": ids[0], "properties": {"firstname": "X"}}] * 2},
                 {"inputs": [{"id": ids[0], "properties": {"firstname": "X"}}] * 101},
                 {"inputs": [{"id": ids[0], "properties": {"no_such_property": "X"}}]}):
        assert api("POST", "/crm/v3/objects/contacts/batch/update", body).status_code == 400
    assert state.contacts[ids[0]]["properties"]["firstname"] == f"N{ids[0]}"


def test_traced_batch_create_is_multi_status_and_names_each_rejected_input(api, state):
    contact_id = upsert(api, {}).get_json()["results"][0]["id"]
    good, bad = task_input(contact_id), task_input(contact_id, hs_task_priority="ASAP")
    response = api("POST", TASKS, {"inputs": [{**good, "objectWriteTraceId": "a"},
                                              {**bad, "objectWriteTraceId": "b"}]})
    assert response.status_code == 207
    body = response.get_json()
    assert [r["objectWriteTraceId"] for r in body["results"]] == ["a"]
    assert [e["context"]["objectWriteTraceId"] for e in body["errors"]] == [["b"]]
    assert len(state.tasks) == 1
    assert api("POST", TASKS, {"inputs": [good, bad]}).status_code == 400  # untraced: all or nothing
    same = api("POST", TASKS, {"inputs": [{**good, "objectWriteTraceId": "c"}] * 2})
    assert same.status_code == 400 and len(state.tasks) == 1
