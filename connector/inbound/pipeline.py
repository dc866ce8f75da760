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
from typing import Any, Protocol

from marshmallow import ValidationError

from connector.inbound.json_body import BodyError, parse_json
from connector.inbound.timestamped_hmac import SignatureError


@dataclass(frozen=True)
class RequestFacts:
    """What the checklist reads of a request; a signature may cover method, public URL and headers."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    mimetype: str = ""


class Ignored(Exception):
    """A genuine delivery that carries nothing to act on (ping, test, other event type)."""


class UpstreamError(Exception):
    """The vendor's API, needed to complete a delivery, did not answer (retry later)."""


class InboundSource(Protocol):
    """A sender of signed webhooks: each survey tool, and Zendesk's and HubSpot's CRM events."""

    name: str
    invalid_message: str  # the 422 answer's message

    def secrets(self, config: Mapping) -> list[str]:
        """The signing secrets configured (several while one is rotated); none is a 401."""

    def missing_secret_message(self) -> str: ...

    def is_unsigned_ping(self, raw_body: bytes) -> bool:
        """A connection test that may arrive unsigned: answered 200, nothing stored."""

    def verify(self, config: Mapping, facts: RequestFacts, now: Callable[[], float]) -> None:
        """Raise SignatureError, one message per failure, before the body is even parsed."""

    def delivery_id(self, headers: Mapping[str, str], payload) -> str | None:
        """The sender's id of this delivery for the log; ``payload`` is None until the body is parsed."""

    def validate(self, payload, config: Mapping, mapping, facts: RequestFacts) -> Any:
        """The parsed body as the value its use case takes. Raise ValidationError (422, fields
        named), Ignored (200, nothing to act on) or UpstreamError (503, retry later)."""


class KeyedSecrets:
    """Secrets read from configuration keys, the first one set winning; space-separated values
    are several secrets, accepted side by side while one is rotated."""

    secret_keys: tuple[str, ...] = ()

    def secrets(self, config: Mapping) -> list[str]:
        for key in self.secret_keys:
            value = config.get(key)
            if value:
                return str(value).split()
        return []

    def missing_secret_message(self) -> str:
        return f"RECOVERY_{self.secret_keys[0]} is not configured"


def tolerance(config: Mapping) -> int:
    """How old a signed timestamp may be, in seconds, either way."""
    return int(config.get("WEBHOOK_TOLERANCE_SECONDS") or 300)


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
        return Acknowledged("connection test", delivery)
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
