"""Sign deliveries with the reference ``standardwebhooks`` library.

Using an independent implementation (not our verifier's ``sign``) proves the
connector accepts what real Standard Webhooks senders produce.
"""
import base64
import json
import time
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"test-secret-key-0123456789abcdef").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-secret-key-9876543210xyz").decode()


def signed_headers(body: bytes, *, secret: str = SECRET, msg_id: str = "msg_1",
                   timestamp: float | None = None) -> dict:
    stamp = datetime.fromtimestamp(timestamp if timestamp is not None else time.time(), tz=timezone.utc)
    signature = Webhook(secret).sign(msg_id, stamp, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": signature, "Content-Type": "application/json"}


def just_now(minutes_ago: int = 1) -> str:
    """A submitted_at the customer gave a moment ago (no stage overdue yet)."""
    from datetime import timedelta
    return (datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=minutes_ago)).isoformat()


def answer_payload(**overrides) -> dict:
    payload = {
        "response_id": "srv-123",
        "submitted_at": "2026-11-20T16:37:00+01:00",
        "survey": {"id": "q4-nps", "type": "nps", "name": "Q4 NPS", "kind": "relational"},
        "score": 3,
        "comment": "Service catastrophique, je cherche déjà un autre fournisseur.",
        "locale": "fr",
        "customer": {"email": "marie@example.com", "name": "Marie Dubois", "company": "Acme",
                     "lifetime_value": 47000, "vip": False},
        "context": {"zendesk_ticket_id": 1234, "agent_email": "junior@example.com"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(payload.get(key), dict):
            payload[key] = {**payload[key], **value}
        else:
            payload[key] = value
    return payload


def post_answer(client, payload: dict, **sign_kwargs):
    body = json.dumps(payload).encode()
    return client.post("/webhooks/surveys/generic", data=body, headers=signed_headers(body, **sign_kwargs))


ZENDESK_WEBHOOK_SECRET = "zendesk-webhook-signing-secret"
HUBSPOT_CLIENT_SECRET = "hubspot-app-client-secret"


def post_zendesk_event(client, payload, *, secret: str = ZENDESK_WEBHOOK_SECRET, stamp: str | None = None):
    from connector.inbound.crm_signatures import sign_zendesk

    body = json.dumps(payload).encode()
    stamp = stamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.post("/webhooks/zendesk", data=body, headers={
        "Content-Type": "application/json", "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": sign_zendesk(secret, stamp, body)})


def post_hubspot_events(client, events, *, secret: str = HUBSPOT_CLIENT_SECRET, base: str = "http://localhost",
                        signed_base: str | None = None):
    from connector.inbound.crm_signatures import sign_hubspot_v3

    body = json.dumps(events).encode()
    stamp = str(int(time.time() * 1000))
    return client.post("/webhooks/hubspot", data=body, base_url=base, headers={
        "Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp,
        "X-HubSpot-Signature-v3": sign_hubspot_v3(secret, "POST", f"{signed_base or base}/webhooks/hubspot", body, stamp)})


def zendesk_event(kind: str, ticket_id: int, external_id: str | None, **event) -> dict:
    return {"type": f"zen:event-type:ticket.{kind}", "account_id": 1, "id": f"evt-{kind}-{ticket_id}",
            "time": "2026-11-22T15:00:00Z", "zendesk_event_version": "2022-11-06",
            "subject": f"zen:ticket:{ticket_id}",
            "detail": {"id": str(ticket_id), "external_id": external_id, "status": "OPEN", "tags": []},
            "event": event}


def hubspot_task_completed(task_id: str, event_id: int = 1) -> dict:
    return {"eventId": event_id, "subscriptionId": 7, "portalId": 42, "appId": 9, "occurredAt": 1795359600000,
            "subscriptionType": "object.propertyChange", "objectTypeId": "0-27", "objectId": int(task_id),
            "propertyName": "hs_task_status", "propertyValue": "COMPLETED", "changeSource": "CRM_UI",
            "attemptNumber": 0}
