"""The survey sources (Sentry-style providers): one module per vendor, all ``InboundSource``s.

A source turns one vendor's signed webhook into the generic answer of
``inbound.schemas`` and nothing more; ``inbound.pipeline`` runs the same
checklist for all of them. ``SurveySource`` adds what survey tools share:
``secret_keys`` (see ``KeyedSecrets``), a vendor ``mapping_schema``, and
``validate`` as ``enrich`` (complete an ids-only payload from the vendor's
API) then ``normalize`` (the vendor payload in the generic answer shape,
*before* marshmallow validation, so ``validate_answer`` names each bad or
missing field: ``customer.email`` missing -> 422; raise ``Ignored`` for pings,
tests and event types that carry no answer).
"""
import hmac
from collections.abc import Callable, Mapping

from marshmallow import RAISE, Schema, fields, validate

from connector.domain.rules import SCALES
from connector.inbound.schemas import validate_answer
from connector.inbound.source import KeyedSecrets, RequestFacts
from connector.inbound.timestamped_hmac import SignatureError


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


class SurveySource(KeyedSecrets):
    name: str = ""
    invalid_message = "some fields are invalid"
    mapping_schema: type[Schema] | None = None

    def verify(self, config: Mapping, facts: RequestFacts, now: Callable[[], float]) -> None:
        raise NotImplementedError

    def is_unsigned_ping(self, raw_body: bytes) -> bool:
        return False

    def delivery_id(self, headers: Mapping[str, str], payload) -> str | None:
        return None

    def validate(self, payload, config: Mapping, mapping, facts: RequestFacts):
        payload = self.enrich(payload, config)
        return validate_answer(self.normalize(payload, mapping or self.default_mapping(), facts))

    def enrich(self, payload, config: Mapping):
        """Complete a payload that only carries ids (may raise UpstreamError)."""
        return payload

    def normalize(self, payload, mapping, facts: RequestFacts | None = None):
        raise NotImplementedError

    def default_mapping(self):
        return self.mapping_schema().load({}) if self.mapping_schema else None


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
