"""The delivery log: every inbound delivery, its outcome and reason, no personal data."""
import json

from tests.signing import answer_payload, post_answer, signed_headers


def deliveries(client, admin_headers, query=""):
    return client.get(f"/api/deliveries{query}", headers=admin_headers).get_json()["deliveries"]


def test_every_delivery_is_logged_with_its_outcome(client, admin_headers):
    post_answer(client, answer_payload(), msg_id="m-accepted")
    post_answer(client, answer_payload(), msg_id="m-dup")
    post_answer(client, answer_payload(score=42, response_id="x"), msg_id="m-invalid")
    body = json.dumps(answer_payload()).encode()
    client.post("/webhooks/surveys/generic", data=body + b"!", headers=signed_headers(body, msg_id="m-forged"))
    rows = deliveries(client, admin_headers)
    # The forgery proved nothing of its sender: counted (GET /api/metrics/requests), not stored.
    assert [(r["delivery_id"], r["status_code"], r["outcome"]) for r in rows] == [
        ("m-invalid", 422, "rejected"), ("m-dup", 200, "duplicate"), ("m-accepted", 202, "accepted")]
    assert rows[0]["reason"] == "validation_failed: score"  # the field to fix, never its value
    assert {r["source"] for r in rows} == {"generic"}
    assert all(r["received_at"] for r in rows)


def test_filters_and_limit(client, admin_headers):
    post_answer(client, answer_payload(), msg_id="a")
    post_answer(client, answer_payload(score=42, response_id="x"), msg_id="b")
    assert [r["outcome"] for r in deliveries(client, admin_headers, "?outcome=rejected")] == ["rejected"]
    assert len(deliveries(client, admin_headers, "?limit=1")) == 1
    assert deliveries(client, admin_headers, "?source=typeform") == []
    assert client.get("/api/deliveries?limit=x", headers=admin_headers).status_code == 422


def test_log_holds_no_personal_data(client, admin_headers):
    post_answer(client, answer_payload(customer={"email": "not-an-email"}))
    post_answer(client, answer_payload())
    text = json.dumps(deliveries(client, admin_headers))
    assert "marie" not in text.lower() and "catastrophique" not in text and "not-an-email" not in text


def test_delivery_log_needs_admin_token(client):
    assert client.get("/api/deliveries").status_code == 401


def _rows(runtime):
    """The answers and the log, in the order received, once the worker has fed the answers."""
    from sqlalchemy import select

    from connector.cases import feeding
    from connector.store.db import transaction
    from connector.store.models import Answer, Delivery

    feeding.feed_answers(runtime)
    with transaction(runtime.sessions) as session:
        answers = session.scalars(select(Answer.response_id).order_by(Answer.id)).all()
        logged = session.execute(select(Delivery.delivery_id, Delivery.status_code, Delivery.outcome)
                                 .order_by(Delivery.received_at, Delivery.id)).all()
    return answers, [tuple(r) for r in logged]


def test_one_row_per_request_for_accepted_duplicate_and_rejected(client, runtime):
    # The duplicate's row commits with intake, the accepted ones when their answers are fed; the
    # after-request hook must not add a second.
    assert post_answer(client, answer_payload(), msg_id="m1").status_code == 202
    assert post_answer(client, answer_payload(score=10), msg_id="m2").status_code == 200
    assert post_answer(client, answer_payload(score=42, response_id="bad"), msg_id="m3").status_code == 422
    assert post_answer(client, answer_payload(response_id="p", score=10), msg_id="m4").status_code == 202
    assert _rows(runtime) == (["srv-123", "p"], [("m1", 202, "accepted"), ("m2", 200, "duplicate"),
                                                 ("m3", 422, "rejected"), ("m4", 202, "accepted")])


def test_a_duplicate_that_lost_the_race_logs_one_duplicate_row(client, runtime, monkeypatch):
    from connector.cases import intake

    post_answer(client, answer_payload(), msg_id="first")
    real, calls = intake._seen_body, []

    def missed_once(session, tenant_id, response_id):
        # The first look-up misses, as when a concurrent delivery commits just after it.
        calls.append(response_id)
        return None if len(calls) == 1 else real(session, tenant_id, response_id)

    monkeypatch.setattr(intake, "_seen_body", missed_once)
    again = post_answer(client, answer_payload(), msg_id="second")
    assert again.status_code == 200 and len(calls) == 2  # the unique constraint caught it
    assert _rows(runtime)[1] == [("first", 202, "accepted"), ("second", 200, "duplicate")]


def test_failed_commit_stores_neither_the_answer_nor_an_accepted_row(client, runtime):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    failures = []

    def fail_first_commit(connection):
        if not failures:
            failures.append(1)
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(runtime.engine, "commit", fail_first_commit)
    try:
        response = post_answer(client, answer_payload(), msg_id="m-broken")
    finally:
        event.remove(runtime.engine, "commit", fail_first_commit)
    assert response.status_code == 500 and failures
    # Only the after-request hook's own row, for the 500: nothing says "accepted".
    assert _rows(runtime) == ([], [("m-broken", 500, "rejected")])
    retried = post_answer(client, answer_payload(), msg_id="m-broken")
    assert retried.status_code == 202  # nothing half-stored stands in the sender's retry
    assert _rows(runtime)[1][-1] == ("m-broken", 202, "accepted")
