"""Typeform ``form_response`` webhooks.

Signature: ``Typeform-Signature: sha256=<base64(HMAC-SHA256(secret, raw body))>``,
the secret being the one typed into the webhook's settings (no timestamp in
the scheme: replays are absorbed by idempotency on the response token).
Evidence: https://www.typeform.com/developers/webhooks/secure-your-webhooks/
(as summarised by https://trigger.dev/docs/webhooks/providers/typeform and
hookdeck's typeform-webhooks skill), Typeform's own sample
(gist.github.com/picsoung/b56e19fbd979c7b30ff50a5e546ffa62).

Payload: https://www.typeform.com/developers/webhooks/example-payload/ —
``event_id``, ``event_type: form_response``, ``form_response.{form_id, token,
submitted_at, hidden, definition.{id,title,fields}, answers[]}``; each answer
is ``{type, <type>: value, field: {id, ref, type}}``.
Conventions with no mapping: the score is the first ``nps``, ``opinion_scale``
or ``rating`` question (survey type nps, nps, csat); the comment the first
``long_text`` then ``short_text`` answer; the email a hidden field named
``email`` or else the form's ``email`` question; other customer details from
hidden fields. Fields can be named by ``ref`` or ``id`` in the mapping.
"""
import base64
import hashlib
import hmac

from marshmallow import fields, validate

from connector.domain.rules import SCALES
from connector.inbound.source import Ignored
from connector.inbound.sources import values as v
from connector.inbound.sources.base import SourceMappingSchema, SurveySource, match_scheme_signature

HEADER = "Typeform-Signature"


class TypeformMappingSchema(SourceMappingSchema):
    events = fields.List(fields.String(), load_default=lambda: ["form_response"], validate=validate.Length(min=1))
    score_field_types = fields.List(fields.String(), load_default=lambda: ["nps", "opinion_scale", "rating"])
    comment_field_types = fields.List(fields.String(), load_default=lambda: ["long_text", "short_text"])
    type_by_field_type = fields.Dict(
        keys=fields.String(), values=fields.String(validate=validate.OneOf(sorted(SCALES))),
        load_default=lambda: {"nps": "nps", "opinion_scale": "nps", "rating": "csat"})


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _value(answer):
    kind = v.dig(answer, "type")
    if not isinstance(kind, str):
        return None
    value = answer.get(kind)
    if kind == "choice":
        return v.dig(value, "label")
    return value


def _named(answer, names) -> bool:
    return v.dig(answer, "field", "ref") in names or v.dig(answer, "field", "id") in names


class TypeformSource(SurveySource):
    name = "typeform"
    secret_keys = ("TYPEFORM_SECRET",)
    mapping_schema = TypeformMappingSchema

    def verify(self, config, facts, now):
        match_scheme_signature(HEADER, facts.headers.get(HEADER),
                               (sign(secret, facts.body) for secret in self.secrets(config)),
                               scheme="sha256", form="base64")

    def delivery_id(self, headers, payload):
        event_id = v.dig(payload, "event_id")
        return event_id if isinstance(event_id, str) else None

    def normalize(self, payload, mapping, facts=None):
        event = v.dig(payload, "event_type")
        if event not in mapping["events"]:
            raise Ignored(f"event type {v.label(event)}")
        response = v.dig(payload, "form_response") or {}
        answers = [a for a in (v.dig(response, "answers") or []) if isinstance(a, dict)] \
            if isinstance(v.dig(response, "answers"), list) else []
        hidden = v.dig(response, "hidden") if isinstance(v.dig(response, "hidden"), dict) else {}
        score_answer = self._pick(answers, mapping["score_fields"], mapping["score_field_types"])
        comment_answer = self._pick([a for a in answers if a is not score_answer],
                                    mapping["comment_fields"], mapping["comment_field_types"])
        form_id = v.dig(response, "form_id")
        field_type = v.dig(score_answer, "field", "type")
        survey_type = (mapping["survey_types"].get(form_id) if isinstance(form_id, str) else None) \
            or mapping["type_by_field_type"].get(field_type if isinstance(field_type, str) else "") \
            or mapping["survey_type"]
        names = mapping["customer_fields"]

        def lookup(keys):
            found = v.first(hidden, keys)
            if found is None:
                found = next((_value(a) for a in answers if _named(a, keys)), None)
            return found

        customer = v.customer(lookup, names)
        if "email" not in customer:
            email = next((a.get("email") for a in answers if a.get("type") == "email"), None)
            customer = v.pruned({**customer, "email": v.text(email)})
        return v.pruned({
            "response_id": v.prefixed(self.name, v.dig(response, "token")),
            "submitted_at": v.iso_time(v.dig(response, "submitted_at")),
            "survey": v.pruned({"id": form_id, "type": survey_type,
                                "name": v.dig(response, "definition", "title")}),
            "score": v.as_int(_value(score_answer)) if score_answer else None,
            "comment": v.text(_value(comment_answer)) if comment_answer else None,
            "locale": v.text(lookup(names["locale"])),
            "customer": customer,
            "context": v.context(lookup, names),
        })

    @staticmethod
    def _pick(answers, names, field_types):
        if names:
            return next((a for a in answers if _named(a, names)), None)
        for kind in field_types:
            found = next((a for a in answers if v.dig(a, "field", "type") == kind), None)
            if found is not None:
                return found
        return None
