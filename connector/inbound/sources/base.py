"""The survey-source interface (Sentry-style providers): one module per vendor.

A source turns one vendor's signed webhook into the generic answer of
``inbound.schemas`` and nothing more; the route runs the same rejection
checklist for all of them (413 -> 401 -> 415 -> 400 -> 422 -> 202/200):

* ``secret_keys`` — configuration keys holding the signing secret(s); several
  space-separated values are accepted while a secret is rotated.
* ``verify(config, facts, raw_body, now)`` — raise ``SignatureError`` with one
  message per failure, before the body is even parsed.
* ``normalize(payload, mapping, facts)`` — the vendor payload in the generic
  answer shape, *before* marshmallow validation, so ``validate_answer`` names
  each bad or missing field (``customer.email`` missing -> 422). Raise
  ``Ignored`` for pings, tests and event types that carry no answer.
* ``delivery_id(headers, payload)`` — the vendor's id of this delivery, for the
  delivery log (``payload`` is ``None`` until the body is parsed).
"""
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from marshmallow import RAISE, Schema, fields, validate

from connector.domain.rules import SCALES
from connector.inbound.standard_webhooks import SignatureError


def match_scheme_signature(header: str, offered: str | None, expected, *, scheme: str, form: str,
                           case_insensitive: bool = False) -> None:
    """Check a ``<scheme>=<digest>`` header (Typeform, Delighted) against the signature each
    configured secret gives (``expected``); one message per failure, constant-time compare."""
    offered = (offered or "").strip()
    if not offered:
        raise SignatureError(f"missing {header} header")
    got, _, digest = offered.partition("=")
    if got != scheme or not digest:
        raise SignatureError(f"{header} is not {scheme}=<{form}>")
    value = offered.lower() if case_insensitive else offered
    if not any(hmac.compare_digest(candidate.encode(), value.encode()) for candidate in expected):
        raise SignatureError("no signature matches")


@dataclass(frozen=True)
class RequestFacts:
    """What a signature may cover: method, the public URL and the headers."""

    method: str
    url: str
    headers: Mapping[str, str]


class Ignored(Exception):
    """A genuine delivery that carries no answer (ping, test, other event type)."""


class UpstreamError(Exception):
    """The vendor's API, needed to complete a delivery, did not answer (retry later)."""


class SurveySource:
    name: str = ""
    secret_keys: tuple[str, ...] = ()
    mapping_schema: type[Schema] | None = None

    def secrets(self, config: Mapping) -> list[str]:
        for key in self.secret_keys:
            value = config.get(key)
            if value:
                return str(value).split()
        return []

    def missing_secret_message(self) -> str:
        return f"RECOVERY_{self.secret_keys[0]} is not configured"

    def verify(self, config: Mapping, facts: RequestFacts, raw_body: bytes, now: Callable[[], float]) -> None:
        raise NotImplementedError

    def is_unsigned_ping(self, raw_body: bytes) -> bool:
        """A vendor's connection test that may arrive unsigned (answered 200, nothing stored)."""
        return False

    def enrich(self, payload, config: Mapping):
        """Complete a payload that only carries ids (may raise UpstreamError)."""
        return payload

    def normalize(self, payload, mapping, facts: RequestFacts | None = None):
        raise NotImplementedError

    def delivery_id(self, headers: Mapping[str, str], payload) -> str | None:
        return None

    def default_mapping(self):
        return self.mapping_schema().load({}) if self.mapping_schema else None


def tolerance(config: Mapping) -> int:
    return int(config.get("WEBHOOK_TOLERANCE_SECONDS") or 300)


# --- mappings: what every vendor mapping file may say ----------------------------------------

def _names(*default):
    return fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                       load_default=lambda: list(default))


class CustomerFieldsSchema(Schema):
    """Where the customer's details live: names of hidden fields, custom variables or properties."""

    class Meta:
        unknown = RAISE

    email = _names("email", "Email", "e-mail")
    name = _names("name", "Name", "full_name")
    company = _names("company", "Company", "company_name")
    lifetime_value = _names("lifetime_value", "ltv", "LTV")
    vip = _names("vip", "VIP")
    zendesk_ticket_id = _names("zendesk_ticket_id", "ticket_id")
    agent_email = _names("agent_email")
    locale = _names("locale", "language", "lang")


def customer_fields(**defaults):
    """The ``customer_fields`` mapping key, with a vendor's own default names for some fields."""
    return fields.Nested(CustomerFieldsSchema, load_default=lambda: CustomerFieldsSchema().load(defaults))


class SourceMappingSchema(Schema):
    """Common keys; each vendor adds its own. Unknown keys fail start-up, naming the key."""

    class Meta:
        unknown = RAISE

    description = fields.String(load_default=None, validate=validate.Length(max=2000))  # admins' notes
    events = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    survey_type = fields.String(load_default="nps", validate=validate.OneOf(sorted(SCALES)))
    survey_types = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(sorted(SCALES))),
                               load_default=dict)
    score_fields = _names()
    comment_fields = _names()
    customer_fields = customer_fields()
