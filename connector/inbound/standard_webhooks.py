"""Standard Webhooks signature verification over the raw request bytes.

Signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the key is the
base64 part of a ``whsec_`` secret. Several secrets may be configured (key
rotation) and the header may carry several space-separated signatures. The
clock is injectable so tests can check the tolerance without sleeping.
"""
import time
from collections.abc import Callable, Iterable, Mapping

from connector.inbound import timestamped_hmac
from connector.inbound.timestamped_hmac import SignatureError, b64_hmac_sha256

__all__ = ["SCHEME", "SECRET_PREFIX", "SignatureError", "decode_secret", "sign", "verify"]
SECRET_PREFIX = timestamped_hmac.WHSEC_PREFIX
decode_secret = timestamped_hmac.whsec_key  # the key of a whsec_<base64> secret (ValueError if not one)


def _content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    return "v1," + b64_hmac_sha256(key, _content(msg_id, timestamp, body))


SCHEME = timestamped_hmac.Scheme(
    required_headers=("webhook-id", "webhook-timestamp", "webhook-signature"),
    timestamp_header="webhook-timestamp", signature_header="webhook-signature",
    timestamp_format="unix_seconds", unreadable_timestamp="webhook-timestamp is not Unix seconds",
    age_subject="webhook-timestamp", signature_version="v1", key_format="whsec")


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes, *,
           tolerance: int = 300, now: Callable[[], float] = time.time) -> None:
    """Return quietly if one signature matches one secret; else raise SignatureError."""
    checked = timestamped_hmac.check(SCHEME, headers, tolerance=tolerance, now=now)
    content = _content(headers.get("webhook-id") or "", int(checked.stamp), body)
    timestamped_hmac.match(SCHEME, secrets, content, checked)
