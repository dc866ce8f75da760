"""One check for every timestamped HMAC-SHA256 signature (Standard Webhooks, Zendesk, HubSpot v3).

Each such scheme reads its headers, parses the timestamp, refuses one outside the
tolerance (so a captured request cannot be replayed later) and compares the
signature offered, in constant time, with the one each configured secret gives
(several secrets while one is rotated). Only the header names, the timestamp's
format, the key, what is signed and the wording of the errors differ: a
``Scheme`` says those, ``verify`` does the rest in the same order for all.
"""
import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


class SignatureError(Exception):
    """Why a delivery was not authenticated; one message per failure."""


def b64_hmac_sha256(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def _one_signature(header: str) -> list[str]:
    return [header.strip()]


def _utf8(secret: str) -> bytes:
    return secret.encode()


@dataclass(frozen=True)
class Scheme:
    required_headers: tuple[str, ...]  # checked in this order, each refused as "missing <name> header"
    timestamp_header: str
    signature_header: str
    seconds: Callable[[str], float]  # the timestamp as Unix seconds; ValueError/OverflowError if unreadable
    unreadable_timestamp: str  # the message then
    age_subject: str  # "<age_subject> is too old" / "<age_subject> is in the future"
    offered: Callable[[str], list[str]] = _one_signature  # the signature header -> candidate digests
    key: Callable[[str], bytes] = _utf8  # a configured secret -> the HMAC key


def verify(scheme: Scheme, secrets: Iterable[str], headers: Mapping[str, str],
           signed_content: Callable[[str], bytes], *, tolerance: int, now: Callable[[], float]) -> None:
    """Return quietly if one offered signature matches one secret's; else raise SignatureError.

    ``signed_content(timestamp)`` is what the sender signed, given the timestamp header as sent.
    """
    for name in scheme.required_headers:
        if not headers.get(name):
            raise SignatureError(f"missing {name} header")
    stamp = headers.get(scheme.timestamp_header)
    try:
        sent = float(scheme.seconds(stamp))
    except (ValueError, OverflowError):
        raise SignatureError(scheme.unreadable_timestamp) from None
    drift = now() - sent
    if drift > tolerance:
        raise SignatureError(f"{scheme.age_subject} is too old")
    if drift < -tolerance:
        raise SignatureError(f"{scheme.age_subject} is in the future")
    candidates = [candidate.encode() for candidate in scheme.offered(headers.get(scheme.signature_header))]
    content = signed_content(stamp)
    for secret in secrets:
        expected = b64_hmac_sha256(scheme.key(secret), content).encode()
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return
    raise SignatureError("no signature matches")
