"""Recovery is measured, not assumed (SPEC "Outcome"): only an answer of the case's own survey
type from its closing window on (NPS day 30, CSAT day 7), or the answer to its re-survey, closes
a case. Earlier answers and answers of the other type are interim: kept on the case, written to
the contact's last-answer properties and noted on the ticket, the case left open.

The opening answer is dated 40 days ago, so "day N" is an answer dated N days after it."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import wait_until
from tests.signing import answer_payload

pytestmark = pytest.mark.e2e
EMAIL = "marie@example.com"


@pytest.fixture
def day():
    opened = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=40)
    return lambda n: (opened + timedelta(days=n)).isoformat()


def nps(response_id, score, submitted_at, **extra):
    return answer_payload(response_id=response_id, score=score, submitted_at=submitted_at, **extra)


def csat(response_id, score, submitted_at, **extra):
    return answer_payload(response_id=response_id, score=score, submitted_at=submitted_at,
                          survey={"id": "support-csat", "type": "csat", "name": "Support CSAT"}, **extra)


def open_case(connector, payload):
    case_id = connector.post(payload, msg_id=payload["response_id"]).json()["case_id"]
    assert case_id is not None
    [case] = connector.wait_synced([case_id], timeout=15)
    return case


def send(connector, payload):
    response = connector.post(payload, msg_id=payload["response_id"])
    assert response.status_code == 202, response.text
    return response.json()


def test_interim_answers_then_a_promoter_at_day_35(connector_factory, vendors, day):
    connector = connector_factory()
    case = open_case(connector, nps("srv-open", 3, day(0)))
    contact = vendors.hubspot.contact_by_email(EMAIL)

    # A routine CSAT rating a week later: the other survey type, interim.
    assert send(connector, csat("srv-csat", 5, day(8), comment="Support rapide."))["case_id"] is None
    wait_until(lambda: contact["properties"].get("csat_last_score") in ("5", "5.0"), timeout=15)
    assert contact["properties"]["nps_last_score"] in ("3", "3.0")  # the CSAT does not pose as an NPS
    # An NPS 9 at day 12: the right type, but before the closing window opens.
    send(connector, nps("srv-early", 9, day(12), comment="Mieux."))
    wait_until(lambda: contact["properties"]["nps_last_score"] in ("9", "9.0"), timeout=15)
    assert contact["properties"]["csat_last_score"] in ("5", "5.0")
    still = connector.case(case["id"])
    assert still["status"] == "open" and still["outcome"] is None
    assert [(a["response_id"], a["survey_type"], a["score"]) for a in still["interim_answers"]] == [
        ("srv-csat", "csat", 5), ("srv-early", "nps", 9)]
    assert contact["properties"]["recovery_incident_open"] == "true"
    ticket_id = case["zendesk_ticket_id"]
    notes = wait_until(lambda: len(found := [c["body"] for c in vendors.zendesk.comments[ticket_id]
                                             if c["body"].startswith("Interim answer:")]) == 2 and found, timeout=15)
    assert "CSAT 5 (promoter)" in notes[0] and "NPS 9 (promoter)" in notes[1]

    # The NPS 9 at day 35 closes it.
    assert send(connector, nps("srv-day35", 9, day(35), comment="Tout va bien."))["case_id"] is None
    closed = wait_until(lambda: (c := connector.case(case["id"]))["status"] == "closed" and c, timeout=15)
    assert closed["outcome"] == "promoter"
    wait_until(lambda: contact["properties"].get("recovery_outcome") == "promoter", timeout=15)
    wait_until(lambda: contact["properties"]["recovery_incident_open"] == "false", timeout=15)
    ticket = vendors.zendesk.tickets[ticket_id]
    wait_until(lambda: "recovery_outcome_promoter" in ticket["tags"], timeout=15)


def test_a_later_stage_update_keeps_the_interim_answer_as_the_contacts_last(connector_factory, vendors, day):
    connector = connector_factory()
    case = open_case(connector, nps("srv-open", 3, day(0)))
    contact = vendors.hubspot.contact_by_email(EMAIL)
    send(connector, nps("srv-early", 8, day(10)))
    wait_until(lambda: contact["properties"]["nps_last_score"] in ("8", "8.0"), timeout=15)
    response = connector.admin_post(f"/api/cases/{case['id']}/stages/recognition/complete")
    assert response.status_code == 200
    wait_until(lambda: contact["properties"].get("recovery_stage") not in (None, "recognition"), timeout=15)
    assert contact["properties"]["nps_last_score"] in ("8", "8.0")  # not the opening answer's 3 again


def test_a_csat_case_closes_on_a_csat_answer_at_day_8(connector_factory, vendors, day):
    connector = connector_factory()
    case = open_case(connector, csat("srv-open", 1, day(0)))
    send(connector, csat("srv-day8", 5, day(8)))
    closed = wait_until(lambda: (c := connector.case(case["id"]))["status"] == "closed" and c, timeout=15)
    assert closed["outcome"] == "promoter"


def test_a_detractor_at_day_40_fails_the_case_and_opens_a_linked_one(connector_factory, vendors, day):
    connector = connector_factory()
    case = open_case(connector, nps("srv-open", 3, day(0)))
    new_id = send(connector, nps("srv-day40", 2, day(40), comment="Toujours aussi mauvais."))["case_id"]
    assert new_id is not None and new_id != case["id"]
    closed = wait_until(lambda: (c := connector.case(case["id"]))["status"] == "closed" and c, timeout=15)
    assert closed["outcome"] == "failed"
    linked = connector.case(new_id)
    assert linked["status"] == "open" and linked["previous_case_id"] == case["id"]


def test_a_detractor_answer_while_the_case_is_open_adds_to_it(connector_factory, vendors, day):
    connector = connector_factory()
    case = open_case(connector, nps("srv-open", 3, day(0)))
    body = send(connector, nps("srv-again", 4, day(10), comment="Encore un problème."))
    assert body["case_id"] == case["id"]  # the same case, not a second one
    again = connector.post(nps("srv-again", 4, day(10), comment="Encore un problème."), msg_id="srv-again")
    assert again.status_code == 200 and again.json() == body
    after = connector.case(case["id"])
    assert after["status"] == "open" and [a["response_id"] for a in after["interim_answers"]] == ["srv-again"]
    assert len(connector.cases(EMAIL)) == 1


def test_the_answer_to_the_re_survey_closes_the_case_before_the_window(connector_factory, vendors, day):
    connector = connector_factory()
    case = open_case(connector, nps("srv-open", 3, day(0)))
    send(connector, nps("srv-resurvey", 8, day(20), context={"recovery_case_id": case["id"]}))
    closed = wait_until(lambda: (c := connector.case(case["id"]))["status"] == "closed" and c, timeout=15)
    assert closed["outcome"] == "passive"
