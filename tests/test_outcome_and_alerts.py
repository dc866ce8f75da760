"""Outcomes of a later answer, and the alerts sent when a case opens."""
import pytest
import requests
import responses

from connector.domain.outcome import escalate, outcome
from connector.ports.errors import PermanentError, RetryableError
from connector.providers.chat import ChatAlerts
from connector.store.db import transaction
from connector.store.models import Case
from tests.conftest import drain
from tests.fakes import FakeChat
from tests.test_worker import accept

FIRST = "2026-10-01T09:00:00+00:00"
LATER = "2026-11-10T09:00:00+00:00"  # forty days on


@pytest.mark.parametrize("before,after,expected", [
    (("nps", 3), ("nps", 9, "promoter"), "promoter"), (("nps", 3), ("nps", 7, "passive"), "passive"),
    (("nps", 3), ("nps", 5, "detractor"), "partial"), (("nps", 3), ("nps", 3, "detractor"), "failed"),
    (("nps", 5), ("nps", 2, "detractor"), "failed"), (("csat", 1), ("csat", 2, "detractor"), "partial"),
    (("csat", 2), ("nps", 6, "detractor"), "failed"), (("nps", 3), ("csat", 5, "promoter"), "promoter"),
])
def test_outcome_values(before, after, expected):
    assert outcome(*before, *after) == expected


def test_escalate_one_level_capped():
    assert [escalate(p) for p in ("low", "normal", "high", "urgent")] == ["normal", "high", "urgent", "urgent"]


def case_row(rt, case_id) -> Case:
    with transaction(rt.sessions) as session:
        return session.get(Case, case_id)


def test_later_promoter_answer_closes_the_case(frozen_runtime, fake_zendesk, fake_hubspot):
    case_id = accept(frozen_runtime, submitted_at=FIRST)["case_id"]
    drain(frozen_runtime)
    assert accept(frozen_runtime, response_id="again", score=9, submitted_at=LATER)["case_id"] is None
    drain(frozen_runtime)
    case = case_row(frozen_runtime, case_id)
    assert (case.status, case.outcome) == ("closed", "promoter")
    contact = fake_hubspot.contacts["marie@example.com"]
    assert (contact["recovery_outcome"], contact["recovery_incident_open"], contact["nps_last_score"]) == \
        ("promoter", False, 9)
    assert fake_zendesk.updates[-1][1]["tags_add"] == ["recovery_outcome_promoter"]


def test_detractor_again_fails_the_case_and_opens_a_linked_one(frozen_runtime, fake_hubspot):
    first = accept(frozen_runtime, submitted_at=FIRST)["case_id"]
    drain(frozen_runtime)
    second = accept(frozen_runtime, response_id="again", score=2, submitted_at=LATER)["case_id"]
    drain(frozen_runtime)
    assert (case_row(frozen_runtime, first).outcome, case_row(frozen_runtime, first).status) == ("failed", "closed")
    new = case_row(frozen_runtime, second)
    assert (new.status, new.previous_case_id, new.profile) == ("open", first, "chronic")
    assert fake_hubspot.contacts["marie@example.com"]["recovery_incident_open"] is True  # the new case's state


def test_an_older_answer_arriving_late_closes_nothing(frozen_runtime):
    case_id = accept(frozen_runtime, submitted_at=LATER)["case_id"]
    accept(frozen_runtime, response_id="older", score=10, submitted_at=FIRST)
    assert case_row(frozen_runtime, case_id).status == "open"


def test_critical_cases_alert_the_chat_and_the_rep(frozen_runtime, fake_hubspot):
    frozen_runtime.chat = chat = FakeChat()
    accept(frozen_runtime)  # critical severity and value
    accept(frozen_runtime, response_id="mild", score=6, customer={"email": "m@example.com", "lifetime_value": 900})
    drain(frozen_runtime)
    [alert] = chat.posted
    assert alert.startswith(":rotating_light: New recovery case #1: Marie Dubois (Acme)")
    assert "catastrophique" in alert and "Owner: claire.martin@example.com" in alert
    assert "Ticket:" not in alert  # sent at once: it never waits for Zendesk
    assert [n["contact"] for n in fake_hubspot.notes] == ["1", "2"]  # every case's rep gets the note
    assert "Ticket: https://fake.zendesk.test/agent/tickets/1" in fake_hubspot.notes[0]["text"]


URL = "https://hooks.slack.example/services/T0/B0/secret-path"


@responses.activate
def test_chat_posts_text_json():
    responses.post(URL, status=200, body="ok")
    ChatAlerts(URL).post("hello")
    assert responses.calls[0].request.body == b'{"text": "hello"}'


@responses.activate
@pytest.mark.parametrize("status,error,retry_after", [
    (429, RetryableError, 7.0), (503, RetryableError, None), (404, PermanentError, None),
])
def test_chat_errors_are_typed_and_hide_the_url(status, error, retry_after):
    headers = {"Retry-After": "7"} if status == 429 else {}
    responses.post(URL, status=status, headers=headers)
    with pytest.raises(error) as raised:
        ChatAlerts(URL).post("hello")
    assert raised.value.retry_after == retry_after
    assert "secret-path" not in str(raised.value)


@responses.activate
def test_chat_unreachable_is_retryable():
    responses.post(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(RetryableError):
        ChatAlerts(URL).post("hello")
