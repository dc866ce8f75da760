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
    assert [(r["delivery_id"], r["status_code"], r["outcome"]) for r in rows] == [
        ("m-forged", 401, "rejected"), ("m-invalid", 422, "rejected"),
        ("m-dup", 200, "duplicate"), ("m-accepted", 202, "accepted")]
    assert rows[0]["reason"] == "invalid_signature: no signature matches"
    assert rows[1]["reason"] == "validation_failed"
    assert {r["source"] for r in rows} == {"generic"}
    assert all(r["received_at"] for r in rows)


def test_filters_and_limit(client, admin_headers):
    post_answer(client, answer_payload(), msg_id="a")
    client.post("/webhooks/surveys/generic", json={})
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
