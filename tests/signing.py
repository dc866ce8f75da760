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
