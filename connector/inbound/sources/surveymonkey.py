"""SurveyMonkey webhooks (API v3).

Signature: ``Sm-Signature`` = base64(HMAC-SHA1(key, raw body)) with the key
``<api key>&<api secret>``; SurveyMonkey sends the API key (the app's client
id) in ``Sm-Apikey``. ``RECOVERY_SURVEYMONKEY_SECRET`` is the app's secret as
SurveyMonkey hands it out (or ``<api key>&<api secret>`` to pin the key).
No timestamp in the scheme: replays are absorbed by idempotency on the
response id. Evidence: SurveyMonkey v3 AsyncAPI description
(asyncapi.apis.io/asyncapis/surveymonkey), binary-cats/laravel-surveymonkey-webhooks
(src/WebhookSignature.php), developer.surveymonkey.com/api/v3/#webhooks.

Payload: the notification carries ids only — ``{name, event_type
(response_completed…), object_type: response, object_id, event_id,
event_datetime, resources: {survey_id, collector_id, respondent_id…}}``
(prismatic.io example payload). Choice: the answer itself is taken from a
``response`` key holding ``GET /v3/surveys/{id}/responses/{id}/details?simple=true``
(what a relay such as Zapier/Make/Pipedream embeds), or, when
``RECOVERY_SURVEYMONKEY_ACCESS_TOKEN`` is set, fetched from that endpoint
before answering; neither -> 422 naming ``response``. Conventions: the score
is the first choice answer whose text is a number 0-10 (the NPS/rating
question), the comment the first open-ended (``text``) answer, the email a
custom variable ``email``, the contact's email or the respondent's
``email_address``.
"""
import base64
import hashlib
import hmac

import requests
from marshmallow import ValidationError, fields, validate

from connector.inbound.source import Ignored, UpstreamError
from connector.inbound.sources import values as v
from connector.inbound.sources.base import SourceMappingSchema, SurveySource
from connector.inbound.timestamped_hmac import SignatureError

HEADER = "Sm-Signature"
API = "https://api.surveymonkey.com"


class SurveyMonkeyMappingSchema(SourceMappingSchema):
    events = fields.List(fields.String(), load_default=lambda: ["response_completed"],
                         validate=validate.Length(min=1))


def sign(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha1).digest()).decode()


def _answers(response):
    """(question id, answer) for every answer of every page."""
    pages = v.dig(response, "pages")
    for page in pages if isinstance(pages, list) else []:
        questions = v.dig(page, "questions")
        for question in questions if isinstance(questions, list) else []:
            answers = v.dig(question, "answers")
            for answer in answers if isinstance(answers, list) else []:
                if isinstance(answer, dict):
                    yield v.dig(question, "id"), answer


def _score_text(answer):
    value = v.as_int(answer.get("simple_text"))
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10 else None


class SurveyMonkeySource(SurveySource):
    name = "surveymonkey"
    secret_keys = ("SURVEYMONKEY_SECRET",)
    mapping_schema = SurveyMonkeyMappingSchema

    def verify(self, config, facts, now):
        offered = facts.headers.get(HEADER)
        if not offered:
            raise SignatureError(f"missing {HEADER} header")
        api_key = facts.headers.get("Sm-Apikey", "")
        for secret in self.secrets(config):
            key = secret if "&" in secret else f"{api_key}&{secret}"
            if hmac.compare_digest(sign(key, facts.body).encode(), offered.strip().encode()):
                return
        raise SignatureError("no signature matches")

    def delivery_id(self, headers, payload):
        event_id = v.dig(payload, "event_id")
        return event_id if isinstance(event_id, str) else None

    def enrich(self, payload, config):
        token = config.get("SURVEYMONKEY_ACCESS_TOKEN")
        if not token or not isinstance(payload, dict) or "response" in payload \
                or payload.get("event_type") not in ("response_completed", "response_updated"):
            return payload
        survey_id, response_id = v.dig(payload, "resources", "survey_id"), payload.get("object_id")
        if not all(isinstance(x, str) and x.isdigit() for x in (survey_id, response_id)):
            return payload
        base = (config.get("SURVEYMONKEY_BASE_URL") or API).rstrip("/")
        try:
            answer = requests.get(f"{base}/v3/surveys/{survey_id}/responses/{response_id}/details",
                                  params={"simple": "true"}, headers={"Authorization": f"Bearer {token}"},
                                  timeout=5)
        except requests.RequestException as exc:
            raise UpstreamError(f"SurveyMonkey API: {type(exc).__name__}") from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise UpstreamError(f"SurveyMonkey API answered {answer.status_code}")
        if answer.status_code != 200:
            return payload  # 401/404: the 422 below names the missing response
        try:
            return {**payload, "response": answer.json()}
        except ValueError:
            raise UpstreamError("SurveyMonkey API answered non-JSON") from None

    def normalize(self, payload, mapping, facts=None):
        event = v.dig(payload, "event_type")
        if event not in mapping["events"]:
            raise Ignored(f"event type {v.label(event)}")
        response = payload.get("response")
        if not isinstance(response, dict):
            raise ValidationError({"response": [
                "SurveyMonkey notifications carry ids only: embed the response details or set "
                "RECOVERY_SURVEYMONKEY_ACCESS_TOKEN"]})
        answers = list(_answers(response))
        score = self._pick(answers, mapping["score_fields"], _score_text)
        rest = [(qid, a) for qid, a in answers if score is None or a is not score[1]]
        comment = self._pick(rest, mapping["comment_fields"], lambda a: v.text(a.get("text")))
        survey_id = response.get("survey_id") or v.dig(payload, "resources", "survey_id")
        variables = response.get("custom_variables") if isinstance(response.get("custom_variables"), dict) else {}
        names = mapping["customer_fields"]
        contact = {key: v.dig(response, "metadata", "contact", key, "value") for key in ("email", "first_name",
                                                                                     "last_name")}
        full_name = " ".join(p for p in (response.get("first_name"), response.get("last_name"))
                             if isinstance(p, str) and p.strip()) or None

        def lookup(keys):
            return v.first(variables, keys)

        customer = v.customer(lookup, names)
        fallback = {"email": v.text(contact["email"]) or v.text(response.get("email_address")), "name": full_name}
        customer = v.pruned({**fallback, **customer})
        return v.pruned({
            "response_id": v.prefixed(self.name, response.get("id") or payload.get("object_id")),
            "submitted_at": v.iso_time(response.get("date_modified") or response.get("date_created")),
            "survey": v.pruned({"id": survey_id if isinstance(survey_id, str) else None,
                                "type": (mapping["survey_types"].get(survey_id) if isinstance(survey_id, str)
                                         else None) or mapping["survey_type"]}),
            "score": score[2] if score else None,
            "comment": comment[2] if comment else None,
            "locale": v.text(lookup(names["locale"])),
            "customer": customer,
            "context": v.context(lookup, names),
        })

    @staticmethod
    def _pick(answers, question_ids, read):
        """(question id, answer, value) of the first answer ``read`` accepts."""
        for qid, answer in answers:
            if question_ids and qid not in question_ids:
                continue
            value = read(answer)
            if value is None and question_ids:  # a named question: take what it holds
                value = v.as_int(answer.get("simple_text")) if "choice_id" in answer else v.text(answer.get("text"))
            if value is not None:
                return qid, answer, value
        return None
