"""The re-survey request for any other survey tool: a POST signed per Standard Webhooks.

Headers ``webhook-id`` (``recovery-<case>-resurvey``, the same on every retry so the receiver
can drop a repeat), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256>`` over ``{id}.{timestamp}.{body}``, keyed by the configured
``whsec_`` secret). The signing itself is the project's Standard Webhooks code, handed in by
the runtime (``sign``), so sender and verifier cannot drift apart. Body::

    {"type": "recovery.resurvey_requested", "timestamp": "<ISO 8601>",
     "data": {"recovery_case_id": 42, "send_at": "<ISO 8601>", "survey": {"type": "nps"},
              "customer": {"email", "name", "locale"}, "question": "<open question>",
              "answer_with": {"context": {"recovery_case_id": 42}}}}

The answer is expected back on the generic survey webhook with ``context.recovery_case_id``.
"""
import json
import logging
from collections.abc import Callable

import requests

from connector.ports.keys import RESURVEY_CASE_PROPERTY, resurvey_message_id
from connector.ports.snapshots import ResurveyRequest
from connector.providers.surveys.http import post

log = logging.getLogger(__name__)
EVENT_TYPE = "recovery.resurvey_requested"
# (message id, Unix seconds, raw body) -> the webhook-signature header value
Signer = Callable[[str, int, bytes], str]


class ResurveyWebhook:
    channel = "webhook"

    def __init__(self, url: str, sign: Signer, session: requests.Session | None = None):
        self.url, self.sign = url, sign
        self.session = session or requests.Session()

    @staticmethod
    def payload(request: ResurveyRequest) -> dict:
        return {"type": EVENT_TYPE, "timestamp": request.requested_at.isoformat(), "data": {
            RESURVEY_CASE_PROPERTY: request.case_id,
            "send_at": request.send_at.isoformat(),
            "survey": {"type": request.survey_type},
            "customer": {"email": request.customer_email, "name": request.customer_name, "locale": request.locale},
            "question": request.question,
            "answer_with": {"context": {RESURVEY_CASE_PROPERTY: request.case_id}},
        }}

    def request_resurvey(self, request: ResurveyRequest, first_attempt: bool) -> str:
        """POST the signed request; answer its webhook-id. A retry sends the same webhook-id:
        the receiver drops a repeat (Standard Webhooks' idempotency key), so nothing to look up."""
        msg_id, stamp = resurvey_message_id(request.case_id), int(request.requested_at.timestamp())
        body = json.dumps(self.payload(request), separators=(",", ":")).encode()
        post(self.session, self.url, "re-survey webhook", data=body, headers={
            "Content-Type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(stamp),
            "webhook-signature": self.sign(msg_id, stamp, body)})
        log.info("re-survey webhook sent case_id=%s", request.case_id)
        return msg_id
