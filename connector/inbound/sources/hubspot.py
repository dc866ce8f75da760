"""HubSpot feedback survey submissions (NPS, CSAT) delivered by a HubSpot webhook.

Signature: HubSpot v3 (``X-HubSpot-Signature-v3`` = base64(HMAC-SHA256(client
secret, method + URI + body + timestamp)), ``X-HubSpot-Request-Timestamp`` in
ms, 5 minutes), checked by ``crm_signatures.verify_hubspot_v3`` with
``RECOVERY_HUBSPOT_CLIENT_SECRET``; the URI is ``RECOVERY_PUBLIC_BASE_URL`` +
path when set (behind a proxy), else the request URL.
Evidence: developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests.

Payload: a feedback submission record (object ``feedback_submissions``, type
0-19; developers.hubspot.com/docs/api/crm/feedback-submissions) as a workflow
"Send a webhook" action or a relay posts it: ``{id|objectId, properties:
{hs_survey_type: NPS|CSAT|CES|CUSTOM, hs_value / hs_response_value, hs_content,
hs_submission_timestamp, hs_survey_id, hs_survey_name, hs_contact_email_rollup…}}``
(values are strings, or ``{"value": …}`` in workflow payloads); a
one-element array is unwrapped. Plain webhook-subscription events
(``subscriptionType`` …) carry ids only and are acknowledged and ignored, as
are survey types other than NPS/CSAT (mapping ``survey_types``). The email is
``hs_contact_email_rollup`` unless the mapping names another property;
without it the answer is rejected 422 naming ``customer.email`` (the store
keys customers by email). HubSpot's CSAT may use a 3-point 0-2 scale on some
portals: translate it with ``score_values`` (e.g. ``{"0": 1, "1": 3, "2": 5}``).
"""
from marshmallow import ValidationError, fields, validate

from connector.domain.rules import SCALES
from connector.inbound.crm_signatures import verify_hubspot_v3
from connector.inbound.source import Ignored, tolerance
from connector.inbound.sources import values as v
from connector.inbound.sources.base import SourceMappingSchema, SurveySource, customer_fields


def _props(*default):
    return fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=lambda: list(default))


class HubSpotMappingSchema(SourceMappingSchema):
    survey_types = fields.Dict(keys=fields.String(), values=fields.String(validate=validate.OneOf(sorted(SCALES))),
                               load_default=lambda: {"NPS": "nps", "CSAT": "csat"})
    score_fields = _props("hs_value", "hs_response_value")
    comment_fields = _props("hs_content")
    email_properties = _props("hs_contact_email_rollup", "email")
    name_properties = _props("hs_contact_fullname")
    score_values = fields.Dict(keys=fields.String(), values=fields.Integer(strict=True), load_default=dict)
    customer_fields = customer_fields(  # further submission properties (email/name: the keys above)
        email=[], name=[], company=["company", "hs_contact_company"],
        lifetime_value=["lifetime_value", "total_revenue"], vip=["vip"], zendesk_ticket_id=["zendesk_ticket_id"],
        agent_email=["agent_email"], locale=["hs_language", "locale"])


def _value(raw):
    return raw.get("value") if isinstance(raw, dict) else raw


class HubSpotSource(SurveySource):
    name = "hubspot"
    secret_keys = ("HUBSPOT_CLIENT_SECRET",)
    mapping_schema = HubSpotMappingSchema

    def verify(self, config, facts, now):
        verify_hubspot_v3(self.secrets(config), facts.method, facts.url, facts.headers, facts.body,
                          tolerance=tolerance(config), now=now)

    def delivery_id(self, headers, payload):
        found = v.dig(payload, "id") or v.dig(payload, "objectId") or v.dig(payload, 0, "eventId")
        return str(found) if isinstance(found, (str, int)) and not isinstance(found, bool) else None

    def normalize(self, payload, mapping, facts=None):
        if isinstance(payload, list):
            if payload and all(isinstance(e, dict) and "subscriptionType" in e for e in payload):
                raise Ignored(f"event type {v.label(payload[0]['subscriptionType'])} (ids only)")
            if len(payload) != 1:
                raise ValidationError({"_schema": ["send one feedback submission per request"]})
            payload = payload[0]
        if not isinstance(payload, dict):
            raise ValidationError({"_schema": ["body must be a JSON object"]})
        if "subscriptionType" in payload:
            raise Ignored(f"event type {v.label(payload['subscriptionType'])} (ids only)")
        props = payload.get("properties") if isinstance(payload.get("properties"), dict) else {}

        def prop(names):
            return v.first({key: _value(props.get(key)) for key in names}, names)

        kind = prop(["hs_survey_type"])
        survey_type = mapping["survey_types"].get(kind) if isinstance(kind, str) else None
        if kind is not None and survey_type is None:
            raise Ignored(f"survey type {v.label(kind)}")
        raw_score = prop(mapping["score_fields"])
        score = mapping["score_values"].get(raw_score.strip(), raw_score) if isinstance(raw_score, str) else raw_score
        record_id = payload.get("id") or payload.get("objectId") or prop(["hs_object_id"])
        names = mapping["customer_fields"]
        first_last = " ".join(p for p in (prop(["hs_contact_firstname"]), prop(["hs_contact_lastname"]))
                              if isinstance(p, str) and p.strip()) or None
        customer = {**v.customer(prop, names),
                    **v.pruned({"email": v.text(prop(mapping["email_properties"])),
                                "name": v.text(prop(mapping["name_properties"])) or first_last})}
        survey_id = prop(["hs_survey_id"])
        return v.pruned({
            "response_id": v.prefixed(self.name, record_id),
            "submitted_at": v.iso_time(prop(["hs_submission_timestamp", "hs_createdate"])
                                       or payload.get("createdAt")),
            "survey": v.pruned({"type": survey_type, "id": str(survey_id) if isinstance(survey_id, (str, int))
                                else None, "name": prop(["hs_survey_name"])}),
            "score": v.as_int(score),
            "comment": v.text(prop(mapping["comment_fields"])),
            "locale": v.text(prop(names["locale"])),
            "customer": customer,
            "context": v.context(prop, names),
        })
