"""One check for every timestamped HMAC-SHA256 signature (Standard Webhooks, Zendesk, HubSpot v3).

Each such scheme reads its headers, parses the timestamp, refuses one outside the
tolerance (so a captured request cannot be replayed later) and compares the
signature offered, in constant time, with the one each configured secret gives
(several secrets while one is rotated). Only the header names, the timestamp's
format, the key's form, what is signed and the wording of the errors differ: a
``Scheme`` says those as data. A verifier calls ``check`` (headers, timestamp, age, the
signatures offered), builds what its sender signed from the timestamp as sent, then
calls ``match``: nothing here calls back into a scheme's module.
"""
import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

WHSEC_PREFIX = "whsec_"


class SignatureError(Exception):
    """Why a delivery was not authenticated; one message per failure."""


def b64_hmac_sha256(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def whsec_key(secret: str) -> bytes:
    """The key of a Standard Webhooks secret: the base64 after ``whsec_``."""
    raw = secret[len(WHSEC_PREFIX):] if secret.startswith(WHSEC_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not whsec_<base64>") from None


def _unix_seconds(stamp: str) -> float:
    return int(stamp)


def _unix_milliseconds(stamp: str) -> float:
    if not stamp.isdigit():  # int() would also take "+1", " 1" or "1_000"
        raise ValueError
    return int(stamp) / 1000


def _iso8601(stamp: str) -> float:
    sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if sent.tzinfo is None:  # a time without its zone could be any of 26 hours
        raise ValueError
    return sent.timestamp()


TIMESTAMP_FORMATS: dict[str, Callable[[str], float]] = {
    "unix_seconds": _unix_seconds, "unix_milliseconds": _unix_milliseconds, "iso8601": _iso8601}
KEY_FORMATS: dict[str, Callable[[str], bytes]] = {"utf8": str.encode, "whsec": whsec_key}


@dataclass(frozen=True)
class Scheme:
    required_headers: tuple[str, ...]  # checked in this order, each refused as "missing <name> header"
    timestamp_header: str
    signature_header: str
    timestamp_format: str  # a key of TIMESTAMP_FORMATS
    unreadable_timestamp: str  # the message when the timestamp cannot be read
    age_subject: str  # "<age_subject> is too old" / "<age_subject> is in the future"
    signature_version: str | None = None  # "v1": space-separated "v1,<base64>" entries; None: one digest
    key_format: str = "utf8"  # a key of KEY_FORMATS


@dataclass(frozen=True)
class Checked:
    """A request whose headers, timestamp and age passed: the timestamp as sent, the digests offered."""

    stamp: str
    offered: tuple[str, ...]


def check(scheme: Scheme, headers: Mapping[str, str], *, tolerance: int, now: Callable[[], float]) -> Checked:
    """Everything but the digest, in the scheme's order; raise SignatureError at the first failure."""
    for name in scheme.required_headers:
        if not headers.get(name):
            raise SignatureError(f"missing {name} header")
    stamp = headers.get(scheme.timestamp_header) or ""
    try:
        sent = float(TIMESTAMP_FORMATS[scheme.timestamp_format](stamp))
    except (ValueError, OverflowError):
        raise SignatureError(scheme.unreadable_timestamp) from None
    drift = now() - sent
    if drift > tolerance:
        raise SignatureError(f"{scheme.age_subject} is too old")
    if drift < -tolerance:
        raise SignatureError(f"{scheme.age_subject} is in the future")
    return Checked(stamp, _offered(scheme, headers.get(scheme.signature_header) or ""))


def _offered(scheme: Scheme, header: str) -> tuple[str, ...]:
    if scheme.signature_version is None:
        return (header.strip(),)
    entries = [part.partition(",") for part in header.split()]  # other versions are not ours to check
    candidates = tuple(value for version, _, value in entries if version == scheme.signature_version and value)
    if not candidates:
        raise SignatureError(f"no {scheme.signature_version} signature in {scheme.signature_header}")
    return candidates


def match(scheme: Scheme, secrets: Iterable[str], signed_content: bytes, checked: Checked) -> None:
    """Return quietly if one offered digest is one secret's; else raise SignatureError."""
    candidates = [candidate.encode() for candidate in checked.offered]
    key_of = KEY_FORMATS[scheme.key_format]
    for secret in secrets:
        expected = b64_hmac_sha256(key_of(secret), signed_content).encode()
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return
    raise SignatureError("no signature matches")
