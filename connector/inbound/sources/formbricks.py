"""Formbricks response webhooks.

Signature: Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64>``), secret ``whsec_…`` generated per webhook.
Evidence: formbricks/formbricks docs/xm-and-surveys/core-features/integrations/webhooks.mdx
("Webhook Security with Standard Webhooks"). The connection test Formbricks
sends while a webhook is being created, ``{"event":"testEndpoint"}``, may be
unsigned (the secret does not exist yet): that exact body is answered 200 and
nothing is stored (formbricks apps/web/.../webhook/service.ts ``testEndpoint``).

Payload: ``{webhookId, event, data: <response>}`` (apps/web/app/api/(internal)/pipeline/route.ts;
the docs show it wrapped in a one-element array, also accepted). The response
carries ``id, surveyId, createdAt, updatedAt, finished, language, data
{<question id>: answer}, contact, contactAttributes, survey.title, meta``.
Only ``responseFinished`` is stored by default (``responseCreated`` fires on
the first answer, before the survey is complete; add it to ``events`` to take
it too). Conventions with no mapping: the score is the first numeric answer,
the comment the first free-text answer (a string with a space), the email and
other details from contact attributes, then hidden fields (answers keyed by
the hidden field id, e.g. ``email``). Name the question ids in the mapping
when a survey has several numeric or text questions.
"""
import json

from marshmallow import fields, validate

from connector.inbound import standard_webhooks
from connector.inbound.source import Ignored, tolerance
from connector.inbound.sources import values as v
from connector.inbound.sources.base import SourceMappingSchema, SurveySource


class FormbricksMappingSchema(SourceMappingSchema):
    events = fields.List(fields.String(), load_default=lambda: ["responseFinished"],
                         validate=validate.Length(min=1))


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class FormbricksSource(SurveySource):
    name = "formbricks"
    secret_keys = ("FORMBRICKS_SECRET",)
    mapping_schema = FormbricksMappingSchema

    def verify(self, config, facts, now):
        standard_webhooks.verify(self.secrets(config), facts.headers, facts.body, tolerance=tolerance(config), now=now)

    def is_unsigned_ping(self, raw_body):
        try:
            return json.loads(raw_body) == {"event": "testEndpoint"}
        except (ValueError, RecursionError):
            return False

    def delivery_id(self, headers, payload):
        return headers.get("webhook-id")

    def normalize(self, payload, mapping, facts=None):
        if isinstance(payload, list) and len(payload) == 1:
            payload = payload[0]
        event = v.dig(payload, "event")
        if event not in mapping["events"]:
            raise Ignored(f"event type {v.label(event)}")
        response = v.dig(payload, "data") if isinstance(v.dig(payload, "data"), dict) else {}
        answers = response.get("data") if isinstance(response.get("data"), dict) else {}
        attributes = response.get("contactAttributes") if isinstance(response.get("contactAttributes"), dict) else {}
        names = mapping["customer_fields"]
        personal = {key for keys in names.values() for key in keys}

        def lookup(keys):
            found = v.first(attributes, keys)
            return v.first(answers, keys) if found is None else found

        questions = [(key, value) for key, value in answers.items() if key not in personal]
        score = self._pick(questions, mapping["score_fields"], _numeric)
        comment = self._pick([q for q in questions if score is None or q[0] != score[0]], mapping["comment_fields"],
                             lambda value: isinstance(value, str) and " " in value.strip())
        survey_id = response.get("surveyId")
        language = response.get("language")
        return v.pruned({
            "response_id": v.prefixed(self.name, response.get("id")),
            "submitted_at": v.iso_time(response.get("updatedAt") or response.get("createdAt")),
            "survey": v.pruned({
                "id": survey_id if isinstance(survey_id, str) else None,
                "type": (mapping["survey_types"].get(survey_id) if isinstance(survey_id, str) else None)
                or mapping["survey_type"],
                "name": v.dig(response, "survey", "title")}),
            "score": v.as_int(score[1]) if score else None,
            "comment": v.text(comment[1]) if comment else None,
            "locale": v.text(lookup(names["locale"])) or (language if language != "default" else None),
            "customer": v.customer(lookup, names),
            "context": v.context(lookup, names),
        })

    @staticmethod
    def _pick(questions, named, accept):
        for key, value in questions:
            if (key in named) if named else accept(value):
                return key, value
        return None
