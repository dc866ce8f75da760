"""Signatures of the webhooks Zendesk and HubSpot send to the connector.

Zendesk: ``X-Zendesk-Webhook-Signature`` = base64(HMAC-SHA256(secret,
timestamp + body)), timestamp in ``X-Zendesk-Webhook-Signature-Timestamp``
(ISO 8601). HubSpot v3: ``X-HubSpot-Signature-v3`` = base64(HMAC-SHA256(
client secret, method + URI + body + timestamp)), timestamp in
``X-HubSpot-Request-Timestamp`` (Unix milliseconds), URI with a few
percent-escapes decoded as HubSpot's documentation lists. Both reject
timestamps outside the tolerance, so a captured request cannot be replayed
later; several secrets may be configured while one is rotated.
"""
from collections.abc import Callable, Iterable, Mapping

from connector.inbound import timestamped_hmac
from connector.inbound.timestamped_hmac import SignatureError, b64_hmac_sha256

__all__ = ["SignatureError", "hubspot_uri", "sign_hubspot_v3", "sign_zendesk", "verify_hubspot_v3", "verify_zendesk"]

# HubSpot signs the URI with these escapes decoded (and only these).
_HUBSPOT_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
                    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


ZENDESK = timestamped_hmac.Scheme(
    required_headers=("X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"),
    timestamp_header="X-Zendesk-Webhook-Signature-Timestamp", signature_header="X-Zendesk-Webhook-Signature",
    timestamp_format="iso8601", unreadable_timestamp="X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 time",
    age_subject="timestamp")
HUBSPOT_V3 = timestamped_hmac.Scheme(
    required_headers=("X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"),
    timestamp_header="X-HubSpot-Request-Timestamp", signature_header="X-HubSpot-Signature-v3",
    timestamp_format="unix_milliseconds", unreadable_timestamp="X-HubSpot-Request-Timestamp is not Unix milliseconds",
    age_subject="timestamp")


def _zendesk_content(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode() + body


def sign_zendesk(secret: str, timestamp: str, body: bytes) -> str:
    return b64_hmac_sha256(secret.encode(), _zendesk_content(timestamp, body))


def verify_zendesk(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, *,
                   tolerance: int = 300, now: Callable[[], float]) -> None:
    checked = timestamped_hmac.check(ZENDESK, headers, tolerance=tolerance, now=now)
    timestamped_hmac.match(ZENDESK, secrets, _zendesk_content(checked.stamp, body), checked)


def hubspot_uri(uri: str) -> str:
    for escaped, plain in _HUBSPOT_DECODED.items():
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    return uri


def _hubspot_content(method: str, uri: str, body: bytes, timestamp_ms: str) -> bytes:
    return method.upper().encode() + hubspot_uri(uri).encode() + body + timestamp_ms.encode()


def sign_hubspot_v3(secret: str, method: str, uri: str, body: bytes, timestamp_ms: str) -> str:
    return b64_hmac_sha256(secret.encode(), _hubspot_content(method, uri, body, timestamp_ms))


def verify_hubspot_v3(secrets: Iterable[str], method: str, uri: str, headers: Mapping[str, str], body: bytes, *,
                      tolerance: int = 300, now: Callable[[], float]) -> None:
    checked = timestamped_hmac.check(HUBSPOT_V3, headers, tolerance=tolerance, now=now)
    timestamped_hmac.match(HUBSPOT_V3, secrets, _hubspot_content(method, uri, body, checked.stamp), checked)
