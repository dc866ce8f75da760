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
import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from connector.inbound.standard_webhooks import SignatureError

# HubSpot signs the URI with these escapes decoded (and only these).
_HUBSPOT_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
                    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def _digest(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _check_age(seconds_off: float, tolerance: int) -> None:
    if seconds_off > tolerance:
        raise SignatureError("timestamp is too old")
    if seconds_off < -tolerance:
        raise SignatureError("timestamp is in the future")


def _match(secrets: Iterable[str], message: bytes, offered: str) -> None:
    for secret in secrets:
        if hmac.compare_digest(_digest(secret, message).encode(), offered.strip().encode()):
            return
    raise SignatureError("no signature matches")


def _zendesk_message(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode() + body


def sign_zendesk(secret: str, timestamp: str, body: bytes) -> str:
    return _digest(secret, _zendesk_message(timestamp, body))


def verify_zendesk(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, *,
                   tolerance: int = 300, now: Callable[[], float]) -> None:
    signature = headers.get("X-Zendesk-Webhook-Signature")
    stamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp")
    if not signature:
        raise SignatureError("missing X-Zendesk-Webhook-Signature header")
    if not stamp:
        raise SignatureError("missing X-Zendesk-Webhook-Signature-Timestamp header")
    try:
        sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if sent.tzinfo is None:
            raise ValueError
    except ValueError:
        raise SignatureError("X-Zendesk-Webhook-Signature-Timestamp is not an ISO 8601 time") from None
    _check_age(now() - sent.timestamp(), tolerance)
    _match(secrets, _zendesk_message(stamp, body), signature)


def hubspot_uri(uri: str) -> str:
    for escaped, plain in _HUBSPOT_DECODED.items():
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    return uri


def _hubspot_message(method: str, uri: str, body: bytes, timestamp_ms: str) -> bytes:
    return method.upper().encode() + hubspot_uri(uri).encode() + body + timestamp_ms.encode()


def sign_hubspot_v3(secret: str, method: str, uri: str, body: bytes, timestamp_ms: str) -> str:
    return _digest(secret, _hubspot_message(method, uri, body, timestamp_ms))


def verify_hubspot_v3(secrets: Iterable[str], method: str, uri: str, headers: Mapping[str, str], body: bytes, *,
                      tolerance: int = 300, now: Callable[[], float]) -> None:
    signature = headers.get("X-HubSpot-Signature-v3")
    stamp = headers.get("X-HubSpot-Request-Timestamp")
    if not signature:
        raise SignatureError("missing X-HubSpot-Signature-v3 header")
    if not stamp:
        raise SignatureError("missing X-HubSpot-Request-Timestamp header")
    try:  # isdigit() alone lets "²" through to int(), and hundreds of digits overflow a float
        if not stamp.isdigit():
            raise ValueError
        sent = int(stamp) / 1000
    except (ValueError, OverflowError):
        raise SignatureError("X-HubSpot-Request-Timestamp is not Unix milliseconds") from None
    _check_age(now() - sent, tolerance)
    _match(secrets, _hubspot_message(method, uri, body, stamp), signature)
