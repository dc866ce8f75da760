"""Each vendor's conventions: events acknowledged and ignored, scales, pings, fetches."""
import copy
import json

import pytest
import responses
from sqlalchemy import select

from connector.store.db import transaction
from connector.store.models import Answer
from tests.fuzz.harness import counts
from tests.surveys.vendors import FIXTURES, VENDORS

EMPTY = {"answers": 0, "cases": 0, "stages": 0, "jobs": 0}


def _answers(runtime):
    with transaction(runtime.sessions) as session:
        return [(a.source, a.response_id, a.survey_type, a.score, a.category, a.comment)
                for a in session.scalars(select(Answer).order_by(Answer.id))]


def _ignored(response, runtime, reason):
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ignored", "reason": reason}
    assert counts(runtime) == EMPTY


def _deliveries(client, admin_headers):
    return client.get("/api/deliveries", headers=admin_headers).get_json()["deliveries"]


# --- Typeform -----------------------------------------------------------------------------------

def test_typeform_rating_question_is_csat(client, runtime):
    payload = VENDORS["typeform"].payload()
    payload["form_response"]["answers"][0] = {"type": "number", "number": 2,
                                              "field": {"id": "x1", "type": "rating", "ref": "stars"}}
    assert VENDORS["typeform"].post(client, payload).status_code == 202
    assert _answers(runtime)[0][2:5] == ("csat", 2, "detractor")


def test_typeform_partial_responses_are_ignored(client, runtime):
    payload = {**VENDORS["typeform"].payload(), "event_type": "form_response_partial"}
    _ignored(VENDORS["typeform"].post(client, payload), runtime, "event type form_response_partial")


# --- SurveyMonkey -------------------------------------------------------------------------------

def _notification():
    return json.loads((FIXTURES / "surveymonkey_notification.json").read_text())


def test_surveymonkey_ids_only_notification_without_token_is_422_naming_response(client, runtime):
    response = VENDORS["surveymonkey"].post(client, _notification())
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["response"]
    assert counts(runtime) == EMPTY


@pytest.fixture
def sm_client(runtime):
    from connector.web.app import create_app

    config = {**runtime.config, "SURVEYMONKEY_ACCESS_TOKEN": "sm-token",
              "SURVEYMONKEY_BASE_URL": "https://sm.test"}
    return create_app(config, runtime=runtime).test_client()


@responses.activate
def test_surveymonkey_fetches_the_response_details_with_the_token(sm_client, runtime):
    details = VENDORS["surveymonkey"].payload()["response"]
    details["id"] = "5007154326"
    fetch = responses.get("https://sm.test/v3/surveys/105723396/responses/5007154326/details",
                          json=details, match=[responses.matchers.query_param_matcher({"simple": "true"}),
                                               responses.matchers.header_matcher({"Authorization": "Bearer sm-token"})])
    response = VENDORS["surveymonkey"].post(sm_client, _notification())
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["response_id"] == "surveymonkey:5007154326"
    assert fetch.call_count == 1
    assert _answers(runtime)[0][3:5] == (3, "detractor")


@responses.activate
def test_surveymonkey_api_outage_is_503_and_stores_nothing(sm_client, runtime):
    responses.get("https://sm.test/v3/surveys/105723396/responses/5007154326/details", status=502)
    response = VENDORS["surveymonkey"].post(sm_client, _notification())
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert counts(runtime) == EMPTY


def test_surveymonkey_url_check_answers_head(client):
    assert client.head("/webhooks/surveys/surveymonkey").status_code == 200
    assert client.head("/webhooks/surveys/nope").status_code == 404


def test_surveymonkey_other_events_are_ignored(client, runtime):
    payload = {**_notification(), "event_type": "collector_created", "object_type": "collector"}
    _ignored(VENDORS["surveymonkey"].post(client, payload), runtime, "event type collector_created")


def test_surveymonkey_secret_may_pin_the_api_key(runtime):
    from connector.web.app import create_app
    from tests.surveys.vendors import SECRETS, SM_API_KEY

    config = {**runtime.config, "SURVEYMONKEY_SECRET": f"{SM_API_KEY}&{SECRETS['SURVEYMONKEY_SECRET']}"}
    client = create_app(config, runtime=runtime).test_client()
    assert VENDORS["surveymonkey"].post(client).status_code == 202


# --- Delighted ----------------------------------------------------------------------------------

def test_delighted_updated_event_for_the_same_response_is_a_duplicate(client, runtime):
    created = VENDORS["delighted"].payload()
    updated = copy.deepcopy(created)
    updated.update(event_type="survey_response.updated", event_id="another-event")
    assert VENDORS["delighted"].post(client, created).status_code == 202
    before = counts(runtime)
    assert VENDORS["delighted"].post(client, updated).status_code == 200
    assert counts(runtime) == before


@pytest.mark.parametrize("event_type,survey_type,reason", [
    ("unsubscribe.created", "nps", "event type unsubscribe.created"),
    ("survey_response.created", "ces", "survey type ces"),
    ("survey_response.created", "thumbs", "survey type thumbs"),
])
def test_delighted_other_events_and_scales_are_ignored(event_type, survey_type, reason, client, runtime):
    payload = VENDORS["delighted"].payload()
    payload["event_type"] = event_type
    payload["event_data"]["survey_type"] = survey_type
    _ignored(VENDORS["delighted"].post(client, payload), runtime, reason)


def test_delighted_five_star_is_csat(client, runtime):
    payload = VENDORS["delighted"].payload()
    payload["event_data"].update(survey_type="five_star", score=1)
    assert VENDORS["delighted"].post(client, payload).status_code == 202
    assert _answers(runtime)[0][2:5] == ("csat", 1, "detractor")


# --- Formbricks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("signed", [True, False])
def test_formbricks_connection_test_is_acknowledged_signed_or_not(signed, client, runtime):
    body = json.dumps({"event": "testEndpoint"}).encode()
    headers = VENDORS["formbricks"].sign(body) if signed else {"Content-Type": "application/json"}
    _ignored(client.post("/webhooks/surveys/formbricks", data=body, headers=headers), runtime, "connection test")


def test_formbricks_unsigned_anything_else_is_401(client, runtime):
    body = json.dumps({"event": "testEndpoint", "data": {}}).encode()
    response = client.post("/webhooks/surveys/formbricks", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and counts(runtime) == EMPTY


def test_formbricks_response_created_is_ignored_by_default(client, runtime):
    payload = {**VENDORS["formbricks"].payload(), "event": "responseCreated"}
    _ignored(VENDORS["formbricks"].post(client, payload), runtime, "event type responseCreated")


def test_formbricks_docs_array_form_is_accepted(client, runtime):
    assert VENDORS["formbricks"].post(client, [VENDORS["formbricks"].payload()]).status_code == 202


# --- Zendesk CSAT -------------------------------------------------------------------------------

@pytest.mark.parametrize("rating,score,category", [
    ("Good, I'm satisfied", 5, "promoter"), ("bad", 1, "detractor"), ("2", 2, "detractor"), ("3", 3, "passive"),
])
def test_zendesk_ratings_map_to_csat(rating, score, category, client, runtime):
    payload = VENDORS["zendesk"].payload()
    payload["satisfaction"]["rating"] = rating
    assert VENDORS["zendesk"].post(client, payload).status_code == 202
    assert _answers(runtime)[0][1:5] == (f"zendesk:1234:{score}", "csat", score, category)


@pytest.mark.parametrize("rating", ["Offered", "unoffered", ""])
def test_zendesk_unrated_tickets_are_ignored(rating, client, runtime):
    payload = VENDORS["zendesk"].payload()
    payload["satisfaction"]["rating"] = rating
    _ignored(VENDORS["zendesk"].post(client, payload), runtime, "no satisfaction rating yet")


def test_zendesk_changed_rating_is_a_new_answer(client, runtime):
    good = VENDORS["zendesk"].payload()
    good["satisfaction"]["rating"] = "Good, I'm satisfied"
    assert VENDORS["zendesk"].post(client, good).status_code == 202
    assert VENDORS["zendesk"].post(client).status_code == 202  # then rated bad
    assert [a[1] for a in _answers(runtime)] == ["zendesk:1234:5", "zendesk:1234:1"]


def test_zendesk_recommended_body_renders_to_an_accepted_answer(client, runtime):
    """The shipped trigger body, with the placeholders Zendesk fills in."""
    from connector.mappings import DEFAULT_MAPPINGS_DIR

    template = (DEFAULT_MAPPINGS_DIR / "surveys" / "zendesk-webhook-body.json").read_text()
    values = {"ticket.id": "77", "ticket.updated_at_with_timestamp": "2026-11-20T15:37Z",
              "ticket.requester.email": "marie@example.com", "ticket.requester.name": "Marie Dubois",
              "ticket.requester.language": "fr", "ticket.organization.name": "Acme",
              "ticket.assignee.email": "junior@example.com", "satisfaction.current_rating": "Bad, I'm unsatisfied",
              "satisfaction.current_comment": "Toujours le même problème."}
    for name, value in values.items():
        template = template.replace("{{%s}}" % name, value)
    assert "{{" not in template
    response = VENDORS["zendesk"].post(client, body=template.encode())
    assert response.status_code == 202, response.get_json()
    assert _answers(runtime)[0][:5] == ("zendesk", "zendesk:77:1", "csat", 1, "detractor")


def test_zendesk_without_a_rating_time_uses_the_signed_timestamp(client, runtime):
    payload = VENDORS["zendesk"].payload()
    payload["ticket"]["updated_at"] = ""
    assert VENDORS["zendesk"].post(client, payload).status_code == 202


# --- HubSpot ------------------------------------------------------------------------------------

def test_hubspot_subscription_events_carry_ids_only_and_are_ignored(client, runtime):
    events = [{"eventId": 1, "subscriptionId": 7, "portalId": 42, "occurredAt": 1795189020000,
               "subscriptionType": "object.creation", "objectTypeId": "0-19", "objectId": 9001}]
    _ignored(VENDORS["hubspot"].post(client, events), runtime, "event type object.creation (ids only)")


@pytest.mark.parametrize("survey_type", ["CES", "CUSTOM"])
def test_hubspot_other_survey_types_are_ignored(survey_type, client, runtime):
    payload = VENDORS["hubspot"].payload()
    payload["properties"]["hs_survey_type"] = survey_type
    _ignored(VENDORS["hubspot"].post(client, payload), runtime, f"survey type {survey_type}")


def test_hubspot_workflow_value_objects_are_read(client, runtime):
    payload = VENDORS["hubspot"].payload()
    payload["properties"] = {k: {"value": v} for k, v in payload["properties"].items()}
    assert VENDORS["hubspot"].post(client, payload).status_code == 202


def test_hubspot_several_submissions_in_one_request_are_422(client, runtime):
    payload = VENDORS["hubspot"].payload()
    response = VENDORS["hubspot"].post(client, [payload, payload])
    assert response.status_code == 422 and counts(runtime) == EMPTY


def test_hubspot_signature_covers_the_public_url_behind_a_proxy(runtime):
    from connector.web.app import create_app

    config = {**runtime.config, "PUBLIC_BASE_URL": "https://recovery.example.com/"}
    client = create_app(config, runtime=runtime).test_client()
    public = "https://recovery.example.com/webhooks/surveys/hubspot"
    assert VENDORS["hubspot"].post(client).status_code == 401  # signed for the internal URL
    assert VENDORS["hubspot"].post(client, url=public).status_code == 202


# --- the delivery log ---------------------------------------------------------------------------

def test_vendor_deliveries_are_logged_with_source_and_vendor_ids(client, admin_headers):
    VENDORS["typeform"].post(client)
    VENDORS["delighted"].post(client, {"event_type": "unsubscribe.created", "event_id": "evt-u1"})
    VENDORS["zendesk"].post(client)
    rows = _deliveries(client, admin_headers)
    assert [(r["source"], r["delivery_id"], r["status_code"], r["outcome"]) for r in rows] == [
        ("zendesk", "zd-invocation-1", 202, "accepted"),
        ("delighted", "evt-u1", 200, "ignored"),
        ("typeform", "01HQZ8Q9X7T3K5M2N4P6R8S0V1", 202, "accepted")]
    text = json.dumps(rows)
    assert "marie" not in text and "catastrophique" not in text
