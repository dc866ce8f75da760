"""Delighted webhooks (``survey_response.created`` / ``survey_response.updated``).

Signature: ``X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256(key, raw body)>``,
the key being the account's private API key (``RECOVERY_DELIGHTED_SECRET``).
No timestamp in the scheme: replays are absorbed by idempotency on the
response id. Evidence: Delighted's webhook verification as implemented in
kiteco/kiteco (kite-go account/delighted.go: header ``X-Delighted-Webhook-Signature``,
``sha256=`` + hex digest keyed by the API secret) and the API summary
"HMAC SHA-256 digest generated using your private API key over the request body".

Payload: https://app.delighted.com/docs/api/webhooks — ``{event_type,
event_id, event_data: {id, person: {id, email, name}, survey_type, score,
comment, created_at (Unix s), person_properties, …}}``. ``created`` fires
with the score (the comment usually comes later in ``updated``); the first
of the two to arrive is the one stored (same response id). Survey types
nps -> nps; csat, five_star, smileys -> csat; others (ces, thumbs, enps,
pmf) are acknowledged and ignored. Customer details come from
``person_properties`` (``Company``, ``lifetime_value``, ``vip``, ``locale``…). The person
property ``recovery_case_id``, set when the connector scheduled the re-survey
(``providers/surveys/delighted.py``), comes back as ``context.recovery_case_id``: the answer
is that case's re-survey answer.
"""
import hashlib
import hmac

from marshmallow import fields, validate

from connector.domain.rules import SCALES
from connector.inbound.source import Ignored
from connector.inbound.sources import values as v
from connector.inbound.sources.base import SourceMappingSchema, SurveySource, customer_fields, match_scheme_signature
from connector.ports.keys import RESURVEY_CASE_PROPERTY

HEADER = "X-Delighted-Webhook-Signature"


class DelightedMappingSchema(SourceMappingSchema):
    events = fields.List(fields.String(), validate=validate.Length(min=1),
                         load_default=lambda: ["survey_response.created", "survey_response.updated"])
    type_by_survey_type = fields.Dict(
        keys=fields.String(), values=fields.String(validate=validate.OneOf(sorted(SCALES))),
        load_default=lambda: {"nps": "nps", "csat": "csat", "five_star": "csat", "smileys": "csat"})
    customer_fields = customer_fields(  # person properties, as Delighted's examples name them
        company=["company", "Company", "company_name"], lifetime_value=["lifetime_value", "LTV", "ltv"],
        zendesk_ticket_id=["zendesk_ticket_id", "Zendesk Ticket ID"], agent_email=["agent_email", "Agent Email"],
        locale=["locale", "Locale"])


def sign(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def _case_id(value):
    """Delighted keeps properties as strings; a value that is not a case id is dropped (the
    answer is still stored, as an ordinary one), never a reason to refuse the delivery."""
    number = v.as_int(value)
    return number if isinstance(number, int) and not isinstance(number, bool) else None


class DelightedSource(SurveySource):
    name = "delighted"
    secret_keys = ("DELIGHTED_SECRET",)
    mapping_schema = DelightedMappingSchema

    def verify(self, config, facts, now):
        match_scheme_signature(HEADER, facts.headers.get(HEADER),
                               (sign(secret, facts.body) for secret in self.secrets(config)),
                               scheme="sha256", form="hex", case_insensitive=True)

    def delivery_id(self, headers, payload):
        event_id = v.dig(payload, "event_id")
        return event_id if isinstance(event_id, str) else None

    def normalize(self, payload, mapping, facts=None):
        event = v.dig(payload, "event_type")
        if event not in mapping["events"]:
            raise Ignored(f"event type {v.label(event)}")
        data = v.dig(payload, "event_data") if isinstance(v.dig(payload, "event_data"), dict) else {}
        kind = data.get("survey_type")
        survey_type = mapping["type_by_survey_type"].get(kind) if isinstance(kind, str) else None
        if kind is not None and survey_type is None:
            raise Ignored(f"survey type {v.label(kind)}")
        person = data.get("person") if isinstance(data.get("person"), dict) else {}
        properties = data.get("person_properties") if isinstance(data.get("person_properties"), dict) else {}
        names = mapping["customer_fields"]

        def lookup(keys):
            return v.first(properties, keys)

        # The respondent's own address and name win over person properties.
        customer = {**v.customer(lookup, names),
                    **v.pruned({"email": v.text(person.get("email")), "name": v.text(person.get("name"))})}
        return v.pruned({
            "response_id": v.prefixed(self.name, data.get("id")),
            "submitted_at": v.iso_time(data.get("created_at")),
            "survey": v.pruned({"type": survey_type or mapping["survey_type"], "id": None}),
            "score": v.as_int(data.get("score")),
            "comment": v.text(data.get("comment")),
            "locale": v.text(lookup(names["locale"])),
            "customer": customer,
            "context": {**v.context(lookup, names),
                        **v.pruned({RESURVEY_CASE_PROPERTY: _case_id(properties.get(RESURVEY_CASE_PROPERTY))})},
        })
