"""Intake puts the call stages on the tenant's cached Zendesk schedule when the tenant (or the
deployment) turned ``CALLS_ON_BUSINESS_HOURS`` on; otherwise every stage is on calendar hours."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from connector.cases.business_hours import calls_on_business_hours
from connector.domain.business_hours import Schedule
from connector.installs import store
from connector.installs.crypto import TokenCipher, generate_key
from connector.store.db import transaction
from connector.store.models import Case
from connector.store.schedules import save_schedule
from tests.conftest import ADMIN_TOKEN, plan
from tests.signing import OTHER_SECRET, answer_payload, signed_headers

DAY = 24 * 60
PARIS = Schedule("Paris", tuple((d * DAY + 9 * 60, d * DAY + 17 * 60) for d in range(1, 6)))
FRIDAY_EVENING = "2026-11-27T19:00:00+01:00"
MONDAY_NINE = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
CALENDAR = datetime(2026, 11, 28, 18, 0, tzinfo=timezone.utc)  # Friday 19:00 Paris + 24 h


@pytest.fixture
def client(runtime):
    from connector.web.app import create_app

    runtime.directory.cipher = TokenCipher(generate_key())
    return create_app(runtime.config, runtime=runtime).test_client()


def empathy_due(runtime, case_id):
    with transaction(runtime.sessions) as session:
        return next(s.due_at for s in session.get(Case, case_id).stages if s.key == "empathy")


def send(client, tenant, response_id, email):
    body = json.dumps(answer_payload(response_id=response_id, submitted_at=FRIDAY_EVENING,
                                     customer={"email": email})).encode()
    answered = client.post(f"/t/{tenant}/webhooks/surveys/generic", data=body,
                           headers=signed_headers(body, secret=OTHER_SECRET))
    assert answered.status_code == 202, answered.get_json()
    plan(client.application.extensions["recovery"])
    return answered.get_json()["case_id"]


def test_each_tenant_decides_and_uses_its_own_cached_schedule(runtime, client):
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for tenant in ("t_on", "t_off", "t_unfetched"):
        with transaction(runtime.sessions) as session:
            store.set_tenant_secrets(session, runtime.directory.cipher, tenant, {"WEBHOOK_SECRET": OTHER_SECRET})
    refused = client.put("/api/tenants/t_on/secrets", headers=admin, json={"CALLS_ON_BUSINESS_HOURS": "maybe"})
    assert refused.status_code == 422 and set(refused.get_json()["fields"]) == {"CALLS_ON_BUSINESS_HOURS"}
    for tenant in ("t_on", "t_unfetched"):
        assert client.put(f"/api/tenants/{tenant}/secrets", headers=admin,
                          json={"CALLS_ON_BUSINESS_HOURS": "true"}).status_code == 200
    with transaction(runtime.sessions) as session:
        save_schedule(session, "t_on", PARIS, runtime.clock())
        save_schedule(session, "t_off", PARIS, runtime.clock())   # cached, but the setting is off

    assert [calls_on_business_hours(runtime, t) for t in ("default", "t_on", "t_off")] == [False, True, False]
    assert empathy_due(runtime, send(client, "t_on", "on-1", "a@example.com")) == MONDAY_NINE
    assert empathy_due(runtime, send(client, "t_off", "off-1", "b@example.com")) == CALENDAR
    assert empathy_due(runtime, send(client, "t_unfetched", "un-1", "c@example.com")) == CALENDAR


def test_the_deployment_setting_applies_to_the_default_tenant(runtime, client):
    runtime.config["CALLS_ON_BUSINESS_HOURS"] = True
    with transaction(runtime.sessions) as session:
        save_schedule(session, "default", PARIS, runtime.clock())
    body = json.dumps(answer_payload(response_id="d-1", submitted_at=FRIDAY_EVENING)).encode()
    answered = client.post("/webhooks/surveys/generic", data=body, headers=signed_headers(body))
    assert answered.status_code == 202
    case_id = answered.get_json()["case_id"]
    plan(runtime)
    assert empathy_due(runtime, case_id) == MONDAY_NINE
    with transaction(runtime.sessions) as session:
        due = {s.key: s.due_at for s in session.get(Case, case_id).stages}
    assert due["recognition"] == CALENDAR - timedelta(hours=18)  # calendar hours, always
