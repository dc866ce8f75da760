"""Standard Webhooks signature verification over the raw request bytes.

Signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the key is the
base64 part of a ``whsec_`` secret. Several secrets may be configured (key
rotation) and the header may carry several space-separated signatures. The
clock is injectable so tests can check the tolerance without sleeping.
"""
import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping

SECRET_PREFIX = "whsec_"


class SignatureError(Exception):
    """Why a delivery was not authenticated; one message per failure."""


def decode_secret(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not whsec_<base64>") from None


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, *,
           tolerance: int = 300, now: Callable[[], float] = time.time) -> None:
    """Return quietly if one signature matches one secret; else raise SignatureError."""
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    header = headers.get("webhook-signature")
    if not msg_id:
        raise SignatureError("missing webhook-id header")
    if not stamp:
        raise SignatureError("missing webhook-timestamp header")
    if not header:
        raise SignatureError("missing webhook-signature header")
    try:
        timestamp = int(stamp)
        float(timestamp)  # hundreds of digits: no time the clock can be compared with
    except (ValueError, OverflowError):
        raise SignatureError("webhook-timestamp is not Unix seconds") from None
    drift = now() - timestamp
    if drift > tolerance:
        raise SignatureError("webhook-timestamp is too old")
    if drift < -tolerance:
        raise SignatureError("webhook-timestamp is in the future")
    offered = [part.partition(",") for part in header.split()]
    candidates = [value for version, _, value in offered if version == "v1" and value]
    if not candidates:
        raise SignatureError("no v1 signature in webhook-signature")
    for secret in secrets:
        expected = sign(decode_secret(secret), msg_id, timestamp, body).partition(",")[2]
        for candidate in candidates:
            if hmac.compare_digest(expected.encode(), candidate.encode()):
                return
    raise SignatureError("no signature matches")
