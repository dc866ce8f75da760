"""1,000 generated requests per CRM event endpoint: never a 5xx, and a rejected
delivery completes no stage, erases nobody and enqueues nothing."""
import os
from datetime import datetime, timezone

import pytest
from hypothesis import strategies as st
from sqlalchemy import func, select

from connector.inbound.crm_signatures import sign_hubspot_v3, sign_zendesk
from connector.store.db import transaction
from connector.store.models import Answer, Case, Job, Stage
from tests.conftest import drain, make_config, make_runtime
from tests.fuzz.harness import Endpoint, run, shaped_like
from tests.signing import HUBSPOT_CLIENT_SECRET, ZENDESK_WEBHOOK_SECRET, hubspot_task_completed, zendesk_event
from tests.test_worker import accept

EXAMPLES = int(os.environ.get("RECOVERY_FUZZ_EXAMPLES", "1000"))


@pytest.fixture
def fuzz_app(sqlite_url, fake_zendesk, fake_hubspot):
    from connector.infra.clock import FrozenClock
    from connector.web.app import create_app

    rt = make_runtime(make_config(sqlite_url), zendesk=fake_zendesk, hubspot=fake_hubspot,
                      clock=FrozenClock(datetime.now(timezone.utc)))
    accept(rt)
    drain(rt)  # one synced case whose ticket and tasks the events can name
    yield create_app(rt.config, runtime=rt).test_client(), rt
    rt.engine.dispose()


def state(rt) -> tuple:
    """What an accepted event may change and a rejected one must not."""
    with transaction(rt.sessions) as session:
        return (session.scalar(select(func.count()).select_from(Job)),
                tuple(session.scalars(select(Stage.status).order_by(Stage.id))),
                tuple(session.scalars(select(Case.status).order_by(Case.id))),
                tuple(session.scalars(select(Answer.customer_email).order_by(Answer.id))))


def sign_for_zendesk(body: bytes) -> dict:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"Content-Type": "application/json", "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Signature": sign_zendesk(ZENDESK_WEBHOOK_SECRET, stamp, body)}


def sign_for_hubspot(body: bytes) -> dict:
    stamp = str(int(datetime.now(timezone.utc).timestamp() * 1000))
    return {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature-v3": sign_hubspot_v3(HUBSPOT_CLIENT_SECRET, "POST",
                                                      "http://localhost/webhooks/hubspot", body, stamp)}


ZENDESK_EVENTS = st.one_of(
    shaped_like(zendesk_event("tags_changed", 1, "recovery-1", tags_added=["recovery_done_recognition"])),
    shaped_like(zendesk_event("status_changed", 1, "recovery-1", current="SOLVED", previous="OPEN")))
HUBSPOT_EVENTS = shaped_like([hubspot_task_completed("1"), {"eventId": 2, "subscriptionType": "contact.privacyDeletion",
                                                            "objectId": 1, "occurredAt": 1795359600000}])


@pytest.mark.parametrize("path,sign,shaped", [
    ("/webhooks/zendesk", sign_for_zendesk, ZENDESK_EVENTS),
    ("/webhooks/hubspot", sign_for_hubspot, HUBSPOT_EVENTS),
], ids=["zendesk", "hubspot"])
def test_crm_event_endpoint_survives_generated_requests(fuzz_app, path, sign, shaped):
    client, runtime = fuzz_app
    statuses = run(client, runtime, Endpoint(path, sign=sign, shaped=shaped, fingerprint=state),
                   max_examples=EXAMPLES)
    assert sum(statuses.values()) == EXAMPLES
    assert {401, 415, 400, 422, 200} <= set(statuses), statuses
