"""POST /webhooks/surveys/generic: the contract's answers, and nothing stored on rejection."""
import json
import threading

import pytest
from sqlalchemy import func, select

from connector.cases import feeding
from connector.store.db import transaction
from connector.store.models import Answer, Case, Job, Stage
from tests.conftest import plan
from tests.signing import answer_payload, post_answer, signed_headers


def counts(runtime):
    with transaction(runtime.sessions) as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Answer, Case, Stage, Job)}


EMPTY = {"answers": 0, "cases": 0, "stages": 0, "jobs": 0}


def test_detractor_is_accepted_with_case(client, runtime):
    response = post_answer(client, answer_payload())
    assert response.status_code == 202
    body = response.get_json()
    assert body["response_id"] == "srv-123" and isinstance(body["case_id"], int)
    assert counts(runtime) == {"answers": 1, "cases": 1, "stages": 0, "jobs": 0}  # the answer and its case
    assert plan(runtime) == 1  # fed (its plan queued), then planned
    assert counts(runtime) == {"answers": 1, "cases": 1, "stages": 8, "jobs": 4}  # + zendesk, hubspot, chat alert (critical)


def test_promoter_is_accepted_without_case(client, runtime):
    response = post_answer(client, answer_payload(score=10))
    assert response.status_code == 202
    assert response.get_json() == {"response_id": "srv-123", "case_id": None}
    assert counts(runtime) == {"answers": 1, "cases": 0, "stages": 0, "jobs": 0}
    feeding.feed_answers(runtime)
    assert counts(runtime) == {"answers": 1, "cases": 0, "stages": 0, "jobs": 1}  # the contact's sync


def test_the_answer_is_written_as_jsonify_writes_it(app, client):
    # Written by the view's own encoder (one built once): the bytes must not change for senders.
    for payload in (answer_payload(), answer_payload(response_id="srv-\u00e9t\u00e9", score=10)):
        response = post_answer(client, payload)
        with app.app_context():
            expected = app.json.response(response.get_json())
        assert response.status_code == 202
        assert response.data == expected.data and response.content_type == expected.content_type


def test_duplicate_answers_200_with_same_body_and_changes_nothing(client, runtime):
    first = post_answer(client, answer_payload())
    before = counts(runtime)
    again = post_answer(client, answer_payload(score=9), msg_id="msg_2")
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert counts(runtime) == before


def test_concurrent_duplicates_store_one(app, runtime):
    barrier = threading.Barrier(4)
    statuses = []

    def deliver():
        client = app.test_client()
        barrier.wait()
        statuses.append(post_answer(client, answer_payload()).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 202]
    feeding.feed_answers(runtime)
    assert counts(runtime) == {"answers": 1, "cases": 1, "stages": 0, "jobs": 1}  # one case, one plan


def test_bad_signature_is_401_and_stores_nothing(client, runtime):
    body = json.dumps(answer_payload()).encode()
    headers = signed_headers(body)
    response = client.post("/webhooks/surveys/generic", data=body + b" ", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_signature"
    assert counts(runtime) == EMPTY


def test_missing_signature_is_401(client, runtime):
    response = client.post("/webhooks/surveys/generic", json=answer_payload())
    assert response.status_code == 401
    assert "missing webhook-id" in response.get_json()["message"]
    assert counts(runtime) == EMPTY


def test_not_json_is_415(client, runtime):
    body = b"score=3"
    headers = {**signed_headers(body), "Content-Type": "application/x-www-form-urlencoded"}
    assert client.post("/webhooks/surveys/generic", data=body, headers=headers).status_code == 415
    assert counts(runtime) == EMPTY


def test_unparsable_json_is_400(client, runtime):
    body = b'{"response_id": '
    response = client.post("/webhooks/surveys/generic", data=body, headers=signed_headers(body))
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"
    assert counts(runtime) == EMPTY


def test_too_large_is_413(client, runtime):
    payload = answer_payload(comment="x" * (300 * 1024))
    response = post_answer(client, payload)
    assert response.status_code == 413
    assert response.is_json
    assert counts(runtime) == EMPTY


@pytest.mark.parametrize("payload,fields", [
    (answer_payload(score=11), {"score": ["must be between 0 and 10 for nps"]}),
    (answer_payload(survey={"type": "ces"}), {"survey": {"type": ["Must be one of: csat, nps."]}}),
    (answer_payload(score="3"), {"score": ["Not a valid integer."]}),
    (answer_payload(submitted_at="2026-11-20T16:37:00"), {"submitted_at": ["Not a valid aware datetime."]}),
    (answer_payload(customer={"email": "not-an-email"}), {"customer": {"email": ["Not a valid email address."]}}),
    ({"survey": {"type": "nps"}}, {"response_id": ["Missing data for required field."],
                                   "submitted_at": ["Missing data for required field."],
                                   "score": ["Missing data for required field."],
                                   "customer": ["Missing data for required field."]}),
    ([1, 2], {"_schema": ["body must be a JSON object"]}),
    # Every bad field at once: the score's range and the e-mail together, not one per try.
    (answer_payload(score=11, customer={"email": "not-an-email"}),
     {"score": ["must be between 0 and 10 for nps"], "customer": {"email": ["Not a valid email address."]}}),
])
def test_invalid_body_is_422_naming_each_field(client, runtime, payload, fields):
    response = post_answer(client, payload)
    assert response.status_code == 422
    assert response.get_json()["fields"] == fields
    assert counts(runtime) == EMPTY


def test_csat_score_range(client):
    assert post_answer(client, answer_payload(survey={"type": "csat"}, score=0)).status_code == 422
    response = post_answer(client, answer_payload(survey={"type": "csat"}, score=1))
    assert response.status_code == 202 and response.get_json()["case_id"]


def test_stages_are_due_from_submitted_at(client, admin_headers):
    case_id = post_answer(client, answer_payload()).get_json()["case_id"]
    case = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    due = {s["key"]: s["due_at"] for s in case["stages"]}
    assert due["recognition"] == "2026-11-20T21:37:00Z"  # 16:37+01:00 is 15:37Z, +6 h
    assert due["resurvey_d60"] == "2027-01-19T15:37:00Z"


def test_the_survey_kind_is_kept_with_the_answer(client, runtime):
    post_answer(client, answer_payload())
    post_answer(client, answer_payload(response_id="srv-tx", survey={"id": "t", "type": "csat", "kind": "transactional"},
                                       score=5))
    with transaction(runtime.sessions) as session:
        kinds = dict(session.execute(select(Answer.response_id, Answer.survey_kind)).all())
    assert kinds == {"srv-123": "relational", "srv-tx": "transactional"}
