"""What a sender of signed webhooks is to the inbound pipeline, and what its checks may read.

The survey sources (``inbound/sources``) and the CRM event sources (``inbound/crm_events``)
implement ``InboundSource``; ``inbound/pipeline`` runs the same checklist over each of them.
This module sits below both, so a source never imports the pipeline that calls it.
"""
from collections.abc import Callable, Mapping
from typing import Any, Protocol


class RequestFacts:
    """What the checklist reads of a request; a signature may cover method, public URL and headers.

    ``url`` may be given as a function: only the sources that sign the URL (HubSpot) read it,
    and building it from a WSGI request cost a survey answer more than checking its signature."""

    __slots__ = ("method", "_url", "headers", "body", "mimetype")

    def __init__(self, method: str, url: str | Callable[[], str], headers: Mapping[str, str], body: bytes = b"",
                 mimetype: str = ""):
        self.method, self._url, self.headers, self.body, self.mimetype = method, url, headers, body, mimetype

    @property
    def url(self) -> str:
        if callable(self._url):
            self._url = self._url()
        return self._url


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
