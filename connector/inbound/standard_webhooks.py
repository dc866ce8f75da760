"""Standard Webhooks signature verification over the raw request bytes.

Signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the key is the
base64 part of a ``whsec_`` secret. Several secrets may be configured (key
rotation) and the header may carry several space-separated signatures. The
clock is injectable so tests can check the tolerance without sleeping.
"""
import base64
import binascii
import time
from collections.abc import Callable, Iterable, Mapping

from connector.inbound import timestamped_hmac
from connector.inbound.timestamped_hmac import SignatureError, b64_hmac_sha256

SECRET_PREFIX = "whsec_"


def decode_secret(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not whsec_<base64>") from None


def _content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    return "v1," + b64_hmac_sha256(key, _content(msg_id, timestamp, body))


def _v1_signatures(header: str) -> list[str]:
    """``v1,<base64>`` entries, space-separated; other versions are not ours to check."""
    offered = [part.partition(",") for part in header.split()]
    candidates = [value for version, _, value in offered if version == "v1" and value]
    if not candidates:
        raise SignatureError("no v1 signature in webhook-signature")
    return candidates


SCHEME = timestamped_hmac.Scheme(
    required_headers=("webhook-id", "webhook-timestamp", "webhook-signature"),
    timestamp_header="webhook-timestamp", signature_header="webhook-signature",
    seconds=int, unreadable_timestamp="webhook-timestamp is not Unix seconds", age_subject="webhook-timestamp",
    offered=_v1_signatures, key=decode_secret)


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, *,
           tolerance: int = 300, now: Callable[[], float] = time.time) -> None:
    """Return quietly if one signature matches one secret; else raise SignatureError."""
    msg_id = headers.get("webhook-id")
    timestamped_hmac.verify(SCHEME, secrets, headers, lambda stamp: _content(msg_id, int(stamp), body),
                            tolerance=tolerance, now=now)
