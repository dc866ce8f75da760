"""One checklist for every signed webhook: survey tools' answers and the CRMs' events alike.

verify -> media type -> parse -> validate, in that order for every source, one
status per reason: 401 signature (or no secret configured) -> 415 not JSON ->
400 unparsable -> 422 invalid (fields named). Each step stops the delivery
or passes it on; what passes is handed back for the caller to dispatch, and
nothing is written before that. Framework-free: the web layer builds the
``RequestFacts`` and turns what comes back into a response and a log note.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from marshmallow import ValidationError

from connector.inbound.json_body import BodyError, parse_json

# Re-exported: the web layer and the tests speak of these as the pipeline's own.
from connector.inbound.source import (  # noqa: F401
    Ignored,
    InboundSource,
    KeyedSecrets,
    RequestFacts,
    UpstreamError,
    tolerance,
)
from connector.inbound.timestamped_hmac import SignatureError

# --- what the checklist hands back ---------------------------------------------------------------

@dataclass(frozen=True)
class Rejection:
    """Refused (4xx), nothing stored: the sender has something to fix."""

    status: int
    error: str
    message: str
    extra: Mapping = field(default_factory=dict)  # more of the JSON answer, e.g. the invalid fields
    delivery_id: str | None = None


@dataclass(frozen=True)
class Acknowledged:
    """A genuine delivery with nothing to store, answered 200 so the sender does not retry it."""

    reason: str
    delivery_id: str | None = None
    authenticated: bool = True  # False: an unsigned connection test, which proves nothing of its sender


@dataclass(frozen=True)
class Deferred:
    """Not completed for want of the vendor's API: answered 503 so the sender retries later."""

    reason: str
    delivery_id: str | None = None


@dataclass(frozen=True)
class Received:
    """Passed every check: ``value`` is what the source validated, ``payload`` the signed body."""

    payload: Any
    value: Any
    delivery_id: str | None = None


Stopped = Rejection | Acknowledged | Deferred


# --- the checklist -------------------------------------------------------------------------------

def _authentic(source: InboundSource, facts: RequestFacts, config: Mapping,
               now: Callable[[], float]) -> Rejection | None:
    if not source.secrets(config):
        return Rejection(401, "invalid_signature", source.missing_secret_message())
    try:
        source.verify(config, facts, now)
    except SignatureError as exc:
        return Rejection(401, "invalid_signature", str(exc))
    return None


def _json_media_type(facts: RequestFacts) -> Rejection | None:
    if facts.mimetype == "application/json" or facts.mimetype.endswith("+json"):
        return None
    return Rejection(415, "unsupported_media_type", "send Content-Type: application/json")


def receive(source: InboundSource, facts: RequestFacts, *, config: Mapping, now: Callable[[], float],
            mapping=None) -> Stopped | Received:
    """Run the checklist on one delivery; ``config`` holds the secrets it may be signed with."""
    delivery = source.delivery_id(facts.headers, None)
    if source.is_unsigned_ping(facts.body):
        return Acknowledged("connection test", delivery, authenticated=False)
    refused = _authentic(source, facts, config, now) or _json_media_type(facts)
    if refused is not None:
        return replace(refused, delivery_id=delivery)
    try:
        payload = parse_json(facts.body)
    except BodyError as exc:
        return Rejection(400, "invalid_json", f"body is not JSON: {exc}", delivery_id=delivery)
    delivery = source.delivery_id(facts.headers, payload) or delivery
    try:
        value = source.validate(payload, config, mapping, facts)
    except UpstreamError as exc:
        return Deferred(str(exc), delivery)
    except Ignored as exc:
        return Acknowledged(str(exc), delivery)
    except ValidationError as exc:
        return Rejection(422, "validation_failed", source.invalid_message, {"fields": exc.messages}, delivery)
    return Received(payload, value, delivery)
