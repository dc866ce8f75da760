"""Each vendor's documentation-shaped payload opens the same case as the equivalent generic answer."""
import pytest
from sqlalchemy import select

from connector.store.db import transaction
from connector.store.models import Answer
from tests.fuzz.harness import counts
from tests.signing import answer_payload, post_answer
from tests.surveys.vendors import VENDOR_NAMES, VENDORS

COMMENT = "Service catastrophique, je cherche déjà un autre fournisseur."
CUSTOMER = {"email": "marie@example.com", "name": "Marie Dubois", "company": "Acme", "lifetime_value": 47000,
            "vip": False}

# vendor -> (the generic answer it stands for, the vendor's response id)
EQUIVALENT = {
    "typeform": (answer_payload(customer=CUSTOMER), "typeform:a3a12ec67a1365927098a606107fac15"),
    "surveymonkey": (answer_payload(customer=CUSTOMER), "surveymonkey:5007154325"),
    "delighted": (answer_payload(customer=CUSTOMER), "delighted:5435"),
    "formbricks": (answer_payload(customer=CUSTOMER), "formbricks:cm3resp0000xyz"),
    "zendesk": (answer_payload(survey={"type": "csat"}, score=1,
                               customer={**CUSTOMER, "lifetime_value": None}), "zendesk:1234:1"),
    "hubspot": (answer_payload(customer={**CUSTOMER, "company": None, "lifetime_value": None}), "hubspot:9001"),
}
CASE_FIELDS = ("status", "customer_email", "score", "category", "severity", "value_tier", "priority")


def _case(client, admin_headers, case_id):
    return client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_vendor_payload_opens_the_same_case_as_the_generic_answer(name, client, runtime, reference_client,
                                                                  admin_headers):
    vendor = VENDORS[name]
    generic, response_id = EQUIVALENT[name]

    response = vendor.post(client)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["response_id"] == response_id
    case = _case(client, admin_headers, response.get_json()["case_id"])

    reference = post_answer(reference_client, generic)
    assert reference.status_code == 202
    expected = _case(reference_client, admin_headers, reference.get_json()["case_id"])

    assert {k: case[k] for k in CASE_FIELDS} == {k: expected[k] for k in CASE_FIELDS}
    assert case["category"] == "detractor" and case["severity"] == "critical"
    assert counts(runtime) == {"answers": 1, "cases": 1, "stages": 8, "jobs": counts(runtime)["jobs"]}
    with transaction(runtime.sessions) as session:
        answer = session.scalar(select(Answer))
        assert (answer.source, answer.response_id, answer.comment) == (name, response_id, COMMENT)
        assert answer.customer_email == "marie@example.com"
        assert answer.submitted_at.isoformat().startswith("2026-11-20T15:3")


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_vendor_ids_are_prefixed_so_tools_cannot_collide(name, client):
    vendor = VENDORS[name]
    body = vendor.post(client).get_json()
    assert body["response_id"].startswith(f"{name}:")


def test_generic_ids_stay_unprefixed(client):
    assert post_answer(client, answer_payload()).get_json()["response_id"] == "srv-123"


def test_context_is_carried_from_the_vendor_payload(client, runtime):
    VENDORS["zendesk"].post(client)
    VENDORS["typeform"].post(client)
    with transaction(runtime.sessions) as session:
        contexts = {a.source: a.context for a in session.scalars(select(Answer))}
    assert contexts["zendesk"] == {"zendesk_ticket_id": 1234, "agent_email": "junior@example.com"}
    assert contexts["typeform"]["zendesk_ticket_id"] == 1234
