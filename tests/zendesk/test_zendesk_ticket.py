"""The ticket body, built from a case snapshot without any I/O."""
import dataclasses
from datetime import datetime

import pytest

from connector.providers.zendesk.ticket import build_ticket, iso_z, ticket_url


def test_ticket_carries_the_spec_fields(case, mapping):
    ticket = build_ticket(case, mapping)

    assert set(ticket) == {"subject", "comment", "requester", "priority", "type", "tags",
                           "external_id", "due_at"}
    assert ticket["requester"] == {"name": "Marie Dubois", "email": "marie.dubois@example.com"}
    assert ticket["priority"] == "urgent"
    assert ticket["type"] == "task"
    assert ticket["due_at"] == "2026-11-20T22:37:00Z"  # recognition, +6 h
    assert ticket["tags"] == ["nps_detractor", "recovery_chronic", "value_critical",
                              "severity_critical"]
    assert ticket["external_id"] == "recovery-42"
    assert ticket["subject"] == "Recovery #42: Marie Dubois"


def test_note_is_private_with_score_words_history_signals_and_plan(case, mapping):
    comment = build_ticket(case, mapping)["comment"]
    body = comment["body"]

    assert comment["public"] is False
    assert "NPS 3/10" in body
    assert f"> {case.answer.comment}" in body
    assert "2026-05-02 NPS 8 (passive)" in body
    assert "Profile: chronic" in body and "- word: encore" in body
    for stage in case.stages:
        assert f"{stage.label} due {stage.due_at:%Y-%m-%d %H:%M} UTC" in body
    assert body.count(" due ") == 8
    # The three tracking stages read as the HubSpot tasks name them, told apart by their day.
    assert all(f". Tracking (day {day}) due " in body for day in (7, 14, 30)), body
    assert "[tracking_d7]" not in body


def test_french_acknowledgement_names_the_owner_and_promises_a_call(case, mapping):
    body = build_ticket(case, mapping)["comment"]["body"]

    assert "Bonjour Marie Dubois," in body
    assert "Je suis Jane Doe" in body
    assert "dans les 24 heures" in body


def test_english_acknowledgement_and_missing_owner(make_case, mapping):
    body = build_ticket(make_case(locale="en-GB", owner=None), mapping)["comment"]["body"]

    assert "Acknowledgement draft (en)" in body
    assert "within 24 hours" in body
    assert "I am [your name]" in body
    assert "Bonjour" not in body


def test_due_at_is_the_next_open_stage(make_case, mapping):
    ticket = build_ticket(make_case(done=("recognition",)), mapping)
    assert ticket["due_at"] == "2026-11-21T16:37:00Z"  # empathy, +24 h


def test_no_due_at_when_every_stage_is_done(make_case, mapping):
    all_keys = [s.key for s in make_case().stages]
    assert "due_at" not in build_ticket(make_case(done=all_keys), mapping)


def test_unknown_profile_leaves_its_tag_out(make_case, mapping):
    tags = build_ticket(make_case(profile=None, profile_signals=()), mapping)["tags"]
    assert tags == ["nps_detractor", "value_critical", "severity_critical"]


def test_a_churn_risk_case_carries_the_churn_risk_tag(make_case, mapping):
    assert "churn_risk" not in build_ticket(make_case(), mapping)["tags"]
    assert build_ticket(make_case(churn_risk=True), mapping)["tags"] == [
        "nps_detractor", "recovery_chronic", "value_critical", "severity_critical", "churn_risk"]
    renamed = dataclasses.replace(mapping, churn_risk_tag="Risque_Depart")
    assert build_ticket(make_case(churn_risk=True), renamed)["tags"][-1] == "risque_depart"


def test_admin_renamed_tags_and_priorities_apply(make_case, mapping):
    renamed = dataclasses.replace(
        mapping, tags=("detracteur", "reco-{profile}", "{company}"),
        priorities={"urgent": "high", "high": "high", "normal": "normal", "low": "low"})
    ticket = build_ticket(make_case(company="Big Corp"), renamed)

    assert ticket["tags"] == ["detracteur", "reco-chronic", "big_corp"]
    assert ticket["priority"] == "high"


def test_customer_without_name_gets_a_requester_name(make_case, mapping):
    ticket = build_ticket(make_case(customer_name=None), mapping)
    assert ticket["requester"] == {"name": "marie.dubois", "email": "marie.dubois@example.com"}
    assert "Bonjour," in ticket["comment"]["body"]


def test_ticket_url_and_iso_z():
    assert ticket_url("https://acme.zendesk.com/", 17) == \
        "https://acme.zendesk.com/agent/tickets/17"
    with pytest.raises(ValueError):
        iso_z(datetime(2026, 1, 1))


def test_a_case_already_in_a_systemic_issue_is_tagged_and_noted_at_creation(make_case, mapping):
    """Issue 16: its ticket needs no bulk update later (one update_many and job poll per 100 fewer)."""
    from connector.ports.snapshots import SystemicMark
    mark = SystemicMark("systemic_billing", "This customer's cause is a systemic issue (#3): see problem ticket #900.",
                        900)
    plain, marked = build_ticket(make_case(), mapping), build_ticket(make_case(systemic=mark), mapping)

    assert marked["tags"] == plain["tags"] + ["systemic_billing"]
    assert marked["comment"] == {"body": f"{plain['comment']['body']}\n\n{mark.note}", "public": False}
    assert "systemic" not in " ".join(plain["tags"]) and mark.note not in plain["comment"]["body"]
