"""The re-survey requests as the survey tools receive them (``responses``): Delighted's
``POST /v1/people.json`` and the signed outbound webhook, and what each vendor answer means
for the job (401 dead with the reason, 429 later after Retry-After, 5xx later)."""
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
import responses

from connector.cases.catalog import classify
from connector.inbound import standard_webhooks
from connector.jobs.registry import Verdict
from connector.ports.errors import PermanentError, RetryableError
from connector.ports.snapshots import ResurveyRequest
from connector.providers.surveys import DelightedResurvey, ResurveyWebhook, senders
from connector.runtime import _webhook_signer

API_KEY = "delighted-api-key-123"
HOOK_URL = "https://surveys.example.com/hooks/resurvey"
HOOK_SECRET = "whsec_" + base64.b64encode(b"resurvey-hook-secret-0123456789").decode()
NOW = datetime(2027, 1, 18, 15, 0, tzinfo=timezone.utc)
REQUEST = ResurveyRequest(case_id=42, customer_email="marie@example.com", customer_name="Marie Dubois",
                          locale="fr", survey_type="nps", question="Comment cela s'est-il passé ?",
                          requested_at=NOW, send_at=NOW + timedelta(hours=24))


@responses.activate
def test_delighted_schedules_the_survey_at_day_60_carrying_the_case_id():
    responses.post("https://api.delighted.com/v1/people.json",
                   json={"id": "5975", "email": "marie@example.com", "survey_scheduled_at": 1800000000})
    assert DelightedResurvey(API_KEY).request_resurvey(REQUEST, True) == "5975"
    [call] = responses.calls
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert call.request.headers["Content-Type"] == "application/json"
    assert json.loads(call.request.body) == {
        "email": "marie@example.com", "name": "Marie Dubois", "delay": 86400,
        "properties": {"recovery_case_id": "42", "locale": "fr"}}


@responses.activate
def test_a_retry_finds_the_survey_an_earlier_attempt_scheduled_and_asks_no_second_one():
    from responses import matchers

    lookup = responses.get("https://api.delighted.com/v1/people.json",
                           match=[matchers.query_param_matcher({"email": "marie@example.com"})],
                           json=[{"id": "5975", "email": "marie@example.com",
                                  "next_survey_scheduled_at": int(REQUEST.send_at.timestamp())}])
    schedule = responses.post("https://api.delighted.com/v1/people.json", json={"id": "5975"})
    assert DelightedResurvey(API_KEY).request_resurvey(REQUEST, False) == "5975"
    assert (lookup.call_count, schedule.call_count) == (1, 0)
    assert lookup.calls[0].request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("people", [[], [{"id": "5975", "next_survey_scheduled_at": None}],
                                    [{"id": "5975", "next_survey_scheduled_at": 1_600_000_000}]],
                         ids=["unknown person", "nothing scheduled", "an older survey"])
@responses.activate
def test_a_retry_with_nothing_scheduled_schedules(people):
    responses.get("https://api.delighted.com/v1/people.json", json=people)
    schedule = responses.post("https://api.delighted.com/v1/people.json", json={"id": "5975"})
    assert DelightedResurvey(API_KEY).request_resurvey(REQUEST, False) == "5975"
    assert schedule.call_count == 1


@responses.activate
def test_the_webhook_is_signed_so_the_projects_own_verifier_accepts_it():
    responses.post(HOOK_URL, status=204)
    reference = ResurveyWebhook(HOOK_URL, _webhook_signer(HOOK_SECRET)).request_resurvey(REQUEST, True)
    [call] = responses.calls
    headers, body = call.request.headers, call.request.body
    assert reference == headers["webhook-id"] == "recovery-42-resurvey"
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    standard_webhooks.verify([HOOK_SECRET], headers, body, now=lambda: NOW.timestamp())  # raises if not
    with pytest.raises(standard_webhooks.SignatureError):
        standard_webhooks.verify([HOOK_SECRET], headers, body.replace(b"42", b"43"), now=lambda: NOW.timestamp())
    payload = json.loads(body)
    assert payload["type"] == "recovery.resurvey_requested"
    assert payload["data"] == {
        "recovery_case_id": 42, "send_at": (NOW + timedelta(hours=24)).isoformat(), "survey": {"type": "nps"},
        "customer": {"email": "marie@example.com", "name": "Marie Dubois", "locale": "fr"},
        "question": "Comment cela s'est-il passé ?", "answer_with": {"context": {"recovery_case_id": 42}}}


def adapters():
    return [(DelightedResurvey(API_KEY), "https://api.delighted.com/v1/people.json"),
            (ResurveyWebhook(HOOK_URL, _webhook_signer(HOOK_SECRET)), HOOK_URL)]


@pytest.mark.parametrize("adapter,url", adapters(), ids=["delighted", "webhook"])
@responses.activate
def test_a_refused_key_is_dead_with_a_message_naming_the_credentials(adapter, url):
    responses.post(url, status=401, json={"error": "unauthorized"})
    with pytest.raises(PermanentError) as refused:
        adapter.request_resurvey(REQUEST, True)
    verdict = classify(refused.value)
    assert verdict.verdict is Verdict.DEAD and "credentials (401)" in verdict.message
    assert API_KEY not in verdict.message and HOOK_URL not in verdict.message


@pytest.mark.parametrize("adapter,url", adapters(), ids=["delighted", "webhook"])
@responses.activate
def test_429_retries_after_what_the_vendor_asked(adapter, url):
    responses.post(url, status=429, headers={"Retry-After": "37"})
    with pytest.raises(RetryableError) as limited:
        adapter.request_resurvey(REQUEST, True)
    verdict = classify(limited.value)
    assert (verdict.verdict, verdict.retry_after) == (Verdict.RETRY, 37.0)


@pytest.mark.parametrize("adapter,url", adapters(), ids=["delighted", "webhook"])
@pytest.mark.parametrize("status", [500, 502, 503])
@responses.activate
def test_5xx_retries(adapter, url, status):
    responses.post(url, status=status)
    with pytest.raises(RetryableError) as outage:
        adapter.request_resurvey(REQUEST, True)
    assert classify(outage.value).verdict is Verdict.RETRY and not classify(outage.value).unexpected


@responses.activate
def test_a_refused_request_is_dead_and_an_unreachable_tool_retried():
    responses.post("https://api.delighted.com/v1/people.json", status=422, json={"email": ["is invalid"]})
    with pytest.raises(PermanentError, match="refused the request"):
        DelightedResurvey(API_KEY).request_resurvey(REQUEST, True)
    with pytest.raises(RetryableError, match="unreachable"):  # responses refuses any unregistered URL
        ResurveyWebhook("https://elsewhere.example.com/hook", _webhook_signer(HOOK_SECRET)).request_resurvey(REQUEST, True)


def test_the_configured_tools_by_channel():
    assert senders({}, None) == {}
    both = senders({"DELIGHTED_API_KEY": API_KEY, "DELIGHTED_BASE_URL": "http://127.0.0.1:9/",
                    "RESURVEY_WEBHOOK_URL": HOOK_URL}, _webhook_signer(HOOK_SECRET))
    assert sorted(both) == ["delighted", "webhook"]
    assert both["delighted"].url == "http://127.0.0.1:9/v1/people.json"
    assert "webhook" not in senders({"RESURVEY_WEBHOOK_URL": HOOK_URL}, None)  # never unsigned
