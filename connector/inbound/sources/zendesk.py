"""Zendesk CSAT: a Zendesk webhook fired by a trigger on satisfaction ratings.

Signature: Zendesk's webhook signing (``X-Zendesk-Webhook-Signature`` =
base64(HMAC-SHA256(secret, timestamp + body)), timestamp in
``X-Zendesk-Webhook-Signature-Timestamp``), checked by
``crm_signatures.verify_zendesk`` with ``RECOVERY_ZENDESK_WEBHOOK_SECRET``.
Evidence: developer.zendesk.com "Verifying webhook authenticity".

Payload: the admin writes the JSON body of the trigger's "Notify webhook"
action; ``mappings/surveys/zendesk-webhook-body.json`` is the recommended body,
built on Zendesk's placeholders (support.zendesk.com/hc/en-us/articles/4408886858138):
``{{satisfaction.current_rating}}`` / ``{{satisfaction.current_comment}}``,
``{{ticket.id}}``, ``{{ticket.updated_at_with_timestamp}}`` (ISO 8601, minute
precision), ``{{ticket.requester.email}}``, ``{{ticket.requester.name}}``,
``{{ticket.assignee.email}}``. ``mappings/surveys/zendesk.json`` says where
each value sits (dotted paths) and how ratings map to CSAT: the rating text
("Good, I'm satisfied" / "Bad, I'm unsatisfied", or the API's good/bad)
matches by its first word, and the newer 1-5 CSAT arrives as a digit.
"offered"/"unoffered" (no rating yet) are acknowledged and ignored. The
response id is ``zendesk:<ticket id>:<score>``: a retried delivery is a
duplicate, a changed rating a new answer.
"""
from marshmallow import fields, validate

from connector.inbound.crm_signatures import verify_zendesk
from connector.inbound.source import Ignored, tolerance
from connector.inbound.sources import values as v
from connector.inbound.sources.base import SourceMappingSchema, SurveySource

PATHS = {"ticket_id": "ticket.id", "rating": "satisfaction.rating", "comment": "satisfaction.comment",
         "submitted_at": "ticket.updated_at", "email": "ticket.requester.email", "name": "ticket.requester.name",
         "company": "ticket.organization", "locale": "ticket.requester.language",
         "agent_email": "ticket.assignee.email", "lifetime_value": "", "vip": "", "event": "event"}


class ZendeskMappingSchema(SourceMappingSchema):
    events = fields.List(fields.String(), load_default=lambda: ["satisfaction_rating"],
                         validate=validate.Length(min=1))
    survey_type = fields.String(load_default="csat", validate=validate.OneOf(["csat"]))
    paths = fields.Dict(keys=fields.String(validate=validate.OneOf(sorted(PATHS))),
                        values=fields.String(validate=validate.Length(max=200)), load_default=lambda: dict(PATHS))
    ratings = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=50)),
                          values=fields.Integer(strict=True, validate=validate.Range(min=1, max=5)),
                          load_default=lambda: {"good": 5, "bad": 1})
    ignored_ratings = fields.List(fields.String(), load_default=lambda: ["offered", "unoffered", ""])


def _at(payload, dotted: str):
    return v.dig(payload, *dotted.split(".")) if dotted else None


def rating_score(value, mapping):
    """"Good, I'm satisfied" -> 5, "bad" -> 1, "4" -> 4; unknown values unchanged (422)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return value
    word = value.strip().lower().split(",")[0].split(" ")[0] if value.strip() else ""
    if word.isdigit() and len(word) < 4:
        return int(word)
    return mapping["ratings"].get(word, value)


class ZendeskSource(SurveySource):
    name = "zendesk"
    secret_keys = ("ZENDESK_WEBHOOK_SECRET",)
    mapping_schema = ZendeskMappingSchema

    def verify(self, config, facts, now):
        verify_zendesk(self.secrets(config), facts.headers, facts.body, tolerance=tolerance(config), now=now)

    def delivery_id(self, headers, payload):
        return headers.get("X-Zendesk-Webhook-Invocation-Id")

    def normalize(self, payload, mapping, facts=None):
        paths = {**PATHS, **mapping["paths"]}

        def at(key):
            return _at(payload, paths[key])

        event = at("event")
        if event is not None and event not in mapping["events"]:
            raise Ignored(f"event type {v.label(event)}")
        rating = at("rating")
        if isinstance(rating, str) and rating.strip().lower() in mapping["ignored_ratings"]:
            raise Ignored("no satisfaction rating yet")
        score = rating_score(rating, mapping)
        ticket_id = v.as_int(at("ticket_id"))
        has_ticket = isinstance(ticket_id, int) and not isinstance(ticket_id, bool)
        submitted = v.iso_time(v.text(at("submitted_at")))
        if submitted is None and facts is not None:  # the signed timestamp, already checked for age
            submitted = v.iso_time(facts.headers.get("X-Zendesk-Webhook-Signature-Timestamp"))
        customer = v.pruned({
            "email": v.text(at("email")), "name": v.text(at("name")), "company": v.text(at("company")),
            "lifetime_value": v.as_number(at("lifetime_value")), "vip": v.as_bool(at("vip"))})
        return v.pruned({
            "response_id": f"{self.name}:{ticket_id}:{score}" if has_ticket and isinstance(score, int) else None,
            "submitted_at": submitted,
            "survey": {"type": mapping["survey_type"], "id": "zendesk-csat", "name": "Zendesk CSAT"},
            "score": score,
            "comment": v.text(at("comment")),
            "locale": v.text(at("locale")),
            "customer": customer,
            "context": v.pruned({"zendesk_ticket_id": ticket_id if has_ticket else at("ticket_id"),
                                 "agent_email": v.text(at("agent_email"))}),
        })
