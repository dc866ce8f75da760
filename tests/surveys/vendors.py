"""Test-side signers, one per vendor scheme, written from the vendors' descriptions
(not from the connector's verifiers), the vendors' secrets, and the recorded fixtures.

``VENDORS[name].sign(body, secret=…, now=…)`` returns the headers a genuine
delivery of ``body`` carries, Content-Type included.
"""
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tests.signing import SECRET as GENERIC_SECRET
from tests.signing import answer_payload, signed_headers

FIXTURES = Path(__file__).parent / "fixtures"
URL = "http://localhost/webhooks/surveys/{}"
HUBSPOT_URL = URL.format("hubspot")
JSON = {"Content-Type": "application/json"}

FORMBRICKS_SECRET = "whsec_" + base64.b64encode(b"formbricks-webhook-key-0123456789").decode()
SECRETS = {
    "WEBHOOK_SECRET": GENERIC_SECRET,
    "TYPEFORM_SECRET": "typeform-webhook-secret",
    "SURVEYMONKEY_SECRET": "surveymonkey-api-secret",
    "DELIGHTED_SECRET": "delighted-private-api-key",
    "FORMBRICKS_SECRET": FORMBRICKS_SECRET,
    "ZENDESK_WEBHOOK_SECRET": "zendesk-csat-webhook-secret",
    "HUBSPOT_CLIENT_SECRET": "hubspot-client-secret-for-surveys",
}
OTHER_SECRETS = {
    "WEBHOOK_SECRET": "whsec_" + base64.b64encode(b"another-secret-key-9876543210xyz").decode(),
    "TYPEFORM_SECRET": "typeform-other-secret",
    "SURVEYMONKEY_SECRET": "surveymonkey-other-secret",
    "DELIGHTED_SECRET": "delighted-other-key",
    "FORMBRICKS_SECRET": "whsec_" + base64.b64encode(b"formbricks-other-key-9876543210").decode(),
    "ZENDESK_WEBHOOK_SECRET": "zendesk-other-secret",
    "HUBSPOT_CLIENT_SECRET": "hubspot-other-secret",
}
SM_API_KEY = "sm-client-id-123"


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def sign_standard(body, *, secret, now=None, msg_id):
    """Standard Webhooks over raw bytes (the reference library wants text; fuzzed bodies are not)."""
    if body.decode("utf-8", errors="replace").encode() == body:
        return signed_headers(body, secret=secret, msg_id=msg_id, timestamp=now)  # the reference library
    stamp = int(now if now is not None else time.time())
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {**JSON, "webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": "v1," + _b64(digest)}


def sign_generic(body, *, secret=SECRETS["WEBHOOK_SECRET"], now=None, msg_id="msg_1"):
    return sign_standard(body, secret=secret, now=now, msg_id=msg_id)


def sign_formbricks(body, *, secret=FORMBRICKS_SECRET, now=None, msg_id="fb_msg_1"):
    return sign_standard(body, secret=secret, now=now, msg_id=msg_id)


def sign_typeform(body, *, secret=SECRETS["TYPEFORM_SECRET"], now=None):
    return {**JSON, "Typeform-Signature": "sha256=" + _b64(hmac.new(secret.encode(), body, hashlib.sha256).digest())}


def sign_surveymonkey(body, *, secret=SECRETS["SURVEYMONKEY_SECRET"], now=None):
    key = f"{SM_API_KEY}&{secret}".encode()
    return {**JSON, "Sm-Apikey": SM_API_KEY, "Sm-Signature": _b64(hmac.new(key, body, hashlib.sha1).digest())}


def sign_delighted(body, *, secret=SECRETS["DELIGHTED_SECRET"], now=None):
    return {**JSON, "X-Delighted-Webhook-Signature": "sha256=" + hmac.new(secret.encode(), body,
                                                                          hashlib.sha256).hexdigest()}


def sign_zendesk(body, *, secret=SECRETS["ZENDESK_WEBHOOK_SECRET"], now=None):
    stamp = datetime.fromtimestamp(now if now is not None else time.time(), tz=timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**JSON, "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Invocation-Id": "zd-invocation-1",
            "X-Zendesk-Webhook-Signature": _b64(hmac.new(secret.encode(), stamp.encode() + body,
                                                         hashlib.sha256).digest())}


def sign_hubspot(body, *, secret=SECRETS["HUBSPOT_CLIENT_SECRET"], now=None, url=HUBSPOT_URL):
    stamp = str(int((now if now is not None else time.time()) * 1000))
    message = b"POST" + url.encode() + body + stamp.encode()
    return {**JSON, "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature-v3": _b64(hmac.new(secret.encode(), message, hashlib.sha256).digest())}


@dataclass(frozen=True)
class Vendor:
    name: str
    secret_key: str
    sign: object
    fixture: str
    signature_header: str
    timestamped: bool = False
    id_paths: tuple = ()  # where the vendor's response id sits (the fuzz tests vary it)

    @property
    def path(self) -> str:
        return f"/webhooks/surveys/{self.name}"

    def payload(self):
        if self.name == "generic":
            return answer_payload()
        return json.loads((FIXTURES / self.fixture).read_text(encoding="utf-8"))

    def post(self, client, payload=None, *, body: bytes | None = None, **sign_kwargs):
        body = body if body is not None else json.dumps(self.payload() if payload is None else payload).encode()
        return client.post(self.path, data=body, headers=self.sign(body, **sign_kwargs))


VENDORS = {v.name: v for v in (
    Vendor("generic", "WEBHOOK_SECRET", sign_generic, "", "webhook-signature", timestamped=True,
           id_paths=(("response_id",),)),
    Vendor("typeform", "TYPEFORM_SECRET", sign_typeform, "typeform_form_response.json", "Typeform-Signature",
           id_paths=(("form_response", "token"),)),
    Vendor("surveymonkey", "SURVEYMONKEY_SECRET", sign_surveymonkey, "surveymonkey_response_completed.json",
           "Sm-Signature", id_paths=(("response", "id"), ("object_id",))),
    Vendor("delighted", "DELIGHTED_SECRET", sign_delighted, "delighted_survey_response.json",
           "X-Delighted-Webhook-Signature", id_paths=(("event_data", "id"),)),
    Vendor("formbricks", "FORMBRICKS_SECRET", sign_formbricks, "formbricks_response_finished.json",
           "webhook-signature", timestamped=True, id_paths=(("data", "id"),)),
    Vendor("zendesk", "ZENDESK_WEBHOOK_SECRET", sign_zendesk, "zendesk_csat_bad.json",
           "X-Zendesk-Webhook-Signature", timestamped=True, id_paths=(("ticket", "id"),)),
    Vendor("hubspot", "HUBSPOT_CLIENT_SECRET", sign_hubspot, "hubspot_feedback_submission.json",
           "X-HubSpot-Signature-v3", timestamped=True, id_paths=(("id",),)),
)}
VENDOR_NAMES = [name for name in VENDORS if name != "generic"]
