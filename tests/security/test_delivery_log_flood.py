"""Issue 14, finding 4: unauthenticated requests filled the delivery log.

Every 401/404 stored a row whose source, id and tenant the sender chose: 6,000 requests added
6,000 rows and pushed the real deliveries off the dashboard. Requests refused before
authentication are now counted (per route, per reason; ``GET /api/metrics/requests``), never
stored; and a periodic job trims the log to ``RECOVERY_DELIVERY_LOG_RETENTION_DAYS`` (30)."""
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from connector.infra import counters
from connector.store.db import transaction
from connector.store.models import Delivery
from tests.signing import answer_payload, post_answer, signed_headers

FLOOD = 60  # requests of each kind


def _count(runtime) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(func.count(Delivery.id)))


def test_a_flood_of_unauthenticated_requests_stores_no_row(client, runtime, admin_headers):
    counters.reset()
    assert post_answer(client, answer_payload(), msg_id="real-1").status_code == 202
    before = _count(runtime)
    body = json.dumps(answer_payload()).encode()
    for i in range(FLOOD):
        forged = {**signed_headers(body, msg_id=f"attacker-chosen-{i}"), "webhook-signature": "v1,Zm9yZ2Vk"}
        assert client.post("/webhooks/surveys/generic", data=body, headers=forged).status_code == 401
        assert client.post(f"/webhooks/surveys/vendor-{i}", data=body).status_code == 404
        assert client.post(f"/t/t_tenant-{i}/webhooks/surveys/generic", data=body,
                           headers=signed_headers(body)).status_code == 404
        assert client.post("/webhooks/zendesk", json={"id": f"evt-{i}"}).status_code == 401
        assert client.post("/webhooks/hubspot", json=[{"eventId": i}]).status_code == 401
        assert client.open("/webhooks/surveys/surveymonkey", method="HEAD").status_code == 200
        assert client.post("/webhooks/surveys/formbricks", json={"event": "testEndpoint"}).status_code == 200
    big = b"x" * (int(runtime.config["MAX_BODY_BYTES"]) + 1)
    assert client.post("/webhooks/surveys/generic", data=big, headers=signed_headers(body)).status_code == 413
    assert _count(runtime) == before  # not one row for all of that

    counted = client.get("/api/metrics/requests", headers=admin_headers)
    assert counted.status_code == 200
    rejected = counted.get_json()["rejected"]
    assert rejected["/webhooks/surveys/<vendor>"]["invalid_signature"] == FLOOD
    assert rejected["/webhooks/surveys/<vendor>"]["unknown_vendor"] == FLOOD
    assert rejected["/t/<tenant>/webhooks/surveys/<vendor>"]["unknown_tenant"] == FLOOD
    assert rejected["/webhooks/zendesk"]["invalid_signature"] == FLOOD
    assert rejected["/webhooks/hubspot"]["invalid_signature"] == FLOOD
    assert rejected["/webhooks/surveys/<vendor>"]["request_entity_too_large"] == 1
    assert "attacker-chosen" not in counted.get_data(as_text=True) and "vendor-1" not in counted.get_data(as_text=True)
    assert client.get("/api/metrics/requests").status_code == 401

    # The real deliveries are still the log's newest rows.
    assert post_answer(client, answer_payload(response_id="srv-2"), msg_id="real-2").status_code == 202
    rows = client.get("/api/deliveries?limit=2", headers=admin_headers).get_json()["deliveries"]
    assert [r["delivery_id"] for r in rows] == ["real-2", "real-1"]


def _delivery(session, days_ago: int, now: datetime) -> None:
    session.add(Delivery(source="generic", status_code=202, outcome="accepted", delivery_id=f"d-{days_ago}",
                         received_at=now - timedelta(days=days_ago)))


def _retention(runtime):
    return next(task for task in runtime.registry.periodic if task.name == "delivery-log-retention")


def test_a_periodic_job_trims_the_log_to_its_retention(runtime):
    now = datetime.now(timezone.utc)
    with transaction(runtime.sessions) as session:
        for days_ago in (45, 31, 29, 1):
            _delivery(session, days_ago, now)
    task = _retention(runtime)
    assert task.every_seconds() <= 24 * 3600
    task.run(runtime)  # default: 30 days
    with transaction(runtime.sessions) as session:
        assert sorted(session.scalars(select(Delivery.delivery_id)).all()) == ["d-1", "d-29"]
    runtime.config["DELIVERY_LOG_RETENTION_DAYS"] = 7
    task.run(runtime)
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(Delivery.delivery_id)).all() == ["d-1"]


def test_the_same_job_forgets_connect_links_long_expired(runtime):
    from connector.installs import links
    from connector.store.tenancy import ConnectLink

    now = datetime.now(timezone.utc)
    with transaction(runtime.sessions) as session:
        old = links.create(session, "t_acme", "zendesk", now - timedelta(days=3)).id
        fresh = links.create(session, "t_acme", "zendesk", now).id
    _retention(runtime).run(runtime)
    with transaction(runtime.sessions) as session:
        assert session.scalars(select(ConnectLink.id)).all() == [fresh] and old != fresh
