"""Zendesk and HubSpot events: stage completion, follow-up tickets, privacy erasure."""
import json

import pytest
from sqlalchemy import select

from connector.cases import feeding
from connector.ports.keys import (
    followup_external_id,
    hubspot_task_key,
    ledger_scope,
    task_natural_key,
    ticket_external_id,
)
from connector.store.db import transaction
from connector.store.models import Answer, Case, Job, SideEffect
from connector.store.snapshots import DbLedger
from tests.conftest import drain
from tests.signing import (
    answer_payload,
    hubspot_task_completed,
    post_answer,
    post_hubspot_events,
    post_zendesk_event,
    zendesk_event,
)


@pytest.fixture
def app(frozen_runtime):
    from connector.web.app import create_app
    return create_app(frozen_runtime.config, runtime=frozen_runtime)


@pytest.fixture
def synced_case(client, frozen_runtime):
    case_id = post_answer(client, answer_payload()).get_json()["case_id"]
    drain(frozen_runtime)
    return case_id


def stage_status(client, admin_headers, case_id):
    case = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    return {s["key"]: s["status"] for s in case["stages"]}


def test_zendesk_done_tag_completes_the_stage_and_updates_hubspot(client, admin_headers, synced_case,
                                                                   frozen_runtime, fake_zendesk, fake_hubspot):
    event = zendesk_event("tags_changed", 1, ticket_external_id(synced_case), tags_added=["recovery_done_recognition"])
    response = post_zendesk_event(client, event)
    assert response.status_code == 200 and response.get_json()["status"] == "accepted"
    assert stage_status(client, admin_headers, synced_case)["recognition"] == "done"
    drain(frozen_runtime)
    assert fake_hubspot.tasks[f"recovery-{synced_case}-recognition"]["status"] == "COMPLETED"
    assert "status" not in fake_hubspot.tasks[f"recovery-{synced_case}-empathy"]
    [(ticket_id, update)] = fake_zendesk.updates
    assert ticket_id == 1 and update["tags_add"] == ["recovery_done_recognition"]
    assert update["due_at"] == frozen_runtime_case_due(frozen_runtime, synced_case, "empathy")


def frozen_runtime_case_due(rt, case_id, key):
    with transaction(rt.sessions) as session:
        return next(s.due_at for s in session.get(Case, case_id).stages if s.key == key)


def test_replayed_zendesk_event_changes_nothing_more(client, synced_case, frozen_runtime, fake_zendesk):
    event = zendesk_event("tags_changed", 1, ticket_external_id(synced_case), tags_added=["recovery_done_recognition"])
    post_zendesk_event(client, event)
    again = post_zendesk_event(client, event)
    assert again.status_code == 200 and "none new" in again.get_json()["detail"]
    drain(frozen_runtime)
    assert len(fake_zendesk.updates) == 1


def test_hubspot_task_completion_completes_the_stage_and_updates_zendesk(client, admin_headers, synced_case,
                                                                          frozen_runtime, fake_zendesk, fake_hubspot):
    task_id = DbLedger(frozen_runtime.sessions, ledger_scope(synced_case)).get(hubspot_task_key("empathy"))
    response = post_hubspot_events(client, [hubspot_task_completed("1") | {"objectId": 999},
                                            {"subscriptionType": "contact.creation", "objectId": 5}])
    assert response.get_json()["status"] == "ignored"
    # the fake's task ids are natural keys; HubSpot's are numbers: give the empathy task one
    with transaction(frozen_runtime.sessions) as session:
        effect = session.scalar(select(SideEffect).where(SideEffect.key == hubspot_task_key("empathy")))
        effect.external_id = "555"
    fake_hubspot.tasks["555"] = fake_hubspot.tasks.pop(task_id)
    response = post_hubspot_events(client, [hubspot_task_completed("555")])
    assert response.get_json() == {"status": "accepted", "detail": "1 handled, 0 ignored of 1 event(s)"}
    assert stage_status(client, admin_headers, synced_case)["empathy"] == "done"
    drain(frozen_runtime)
    assert fake_zendesk.updates[-1][1]["tags_add"] == ["recovery_done_empathy"]
    assert fake_hubspot.tasks["555"]["status"] == "COMPLETED"


def test_solved_ticket_with_stages_ahead_moves_to_a_follow_up(client, admin_headers, synced_case,
                                                              frozen_runtime, fake_zendesk, fake_hubspot):
    event = zendesk_event("status_changed", 1, ticket_external_id(synced_case), current="SOLVED", previous="OPEN")
    assert post_zendesk_event(client, event).get_json()["detail"] == "follow-up ticket requested"
    assert post_zendesk_event(client, event).get_json()["detail"] == "no change"  # replay
    drain(frozen_runtime)
    case = client.get(f"/api/cases/{synced_case}", headers=admin_headers).get_json()
    assert case["zendesk_ticket_id"] == 2
    assert fake_zendesk.tickets[2] == {"external_id": f"recovery-{synced_case}-followup-1",
                                       "priority": "urgent", "follows": 1}
    assert fake_hubspot.contacts["marie@example.com"]["recovery_zendesk_ticket_url"].endswith("/tickets/2")
    # the follow-up solved in turn gets follow-up 2; the old ticket's events no longer count
    old = zendesk_event("status_changed", 1, ticket_external_id(synced_case), current="CLOSED")
    assert post_zendesk_event(client, old).get_json()["detail"] == "no change"
    newer = zendesk_event("status_changed", 2, followup_external_id(synced_case, 1), current="SOLVED")
    assert post_zendesk_event(client, newer).get_json()["detail"] == "follow-up ticket requested"
    drain(frozen_runtime)
    assert fake_zendesk.tickets[3]["external_id"] == f"recovery-{synced_case}-followup-2"


def test_other_tickets_and_event_types_are_ignored(client, admin_headers, synced_case):
    other = zendesk_event("tags_changed", 77, "something-else", tags_added=["recovery_done_empathy"])
    assert post_zendesk_event(client, other).get_json() == {"status": "ignored", "detail": "not a recovery ticket"}
    unknown = {"type": "zen:event-type:user.active_changed", "detail": {}, "event": {}}
    assert post_zendesk_event(client, unknown).get_json()["status"] == "ignored"
    rows = client.get("/api/deliveries?source=zendesk", headers=admin_headers).get_json()["deliveries"]
    assert [r["outcome"] for r in rows] == ["ignored", "ignored"]
    assert set(stage_status(client, admin_headers, synced_case).values()) == {"pending"}


def test_privacy_deletion_erases_the_person_and_cancels_work(client, admin_headers, synced_case, frozen_runtime):
    post_answer(client, answer_payload(response_id="later", score=9), msg_id="later")
    feeding.feed_answers(frozen_runtime)  # the worker queued the promoter's contact update
    with transaction(frozen_runtime.sessions) as session:
        contact_id = session.get(Case, synced_case).hubspot_contact_id
        pending_before = session.scalars(select(Job).where(Job.status == "queued")).all()
    assert pending_before  # the promoter's contact update is still queued
    event = {"eventId": 9, "subscriptionType": "contact.privacyDeletion", "objectId": int(contact_id),
             "occurredAt": 1795359600000}
    assert post_hubspot_events(client, [event]).get_json()["status"] == "accepted"
    with transaction(frozen_runtime.sessions) as session:
        answers = session.scalars(select(Answer)).all()
        assert {a.customer_email for a in answers} == {"erased@erased.invalid"}
        assert all(a.comment is None and a.customer_name is None for a in answers)
        assert session.get(Case, synced_case).status == "closed"
        assert not session.scalars(select(Job).where(Job.status == "queued")).all()
    text = json.dumps(client.get(f"/api/cases/{synced_case}", headers=admin_headers).get_json())
    assert "marie" not in text.lower()
    assert client.get("/api/cases?email=marie@example.com", headers=admin_headers).get_json()["cases"] == []


def test_privacy_deletion_before_a_new_cases_plan_leaves_it_unplanned_for_readers_too(client, admin_headers,
                                                                                        synced_case, frozen_runtime):
    from sqlalchemy import func

    from connector.store.models import Stage
    # The re-survey's answer, still a detractor: the case closes failed and a linked one opens, unplanned yet.
    newer = post_answer(client, answer_payload(response_id="newer", score=2, submitted_at="2027-01-19T10:00:00+00:00",
                                               context={"recovery_case_id": synced_case}),
                        msg_id="newer").get_json()["case_id"]
    assert newer != synced_case
    with transaction(frozen_runtime.sessions) as session:
        contact_id = session.get(Case, synced_case).hubspot_contact_id
    event = {"eventId": 10, "subscriptionType": "contact.privacyDeletion", "objectId": int(contact_id),
             "occurredAt": 1795359600000}
    assert post_hubspot_events(client, [event]).get_json()["status"] == "accepted"
    shown = client.get(f"/api/cases/{newer}", headers=admin_headers).get_json()  # a reader plans what waits
    assert shown["stages"] == [] and shown["profile"] is None
    drain(frozen_runtime)
    with transaction(frozen_runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Stage).where(Stage.case_id == newer)) == 0
        assert session.scalars(select(Job.kind).where(Job.ref_id == newer, Job.status != "cancelled")).all() == []


@pytest.mark.parametrize("path", ["/webhooks/zendesk", "/webhooks/hubspot"])
def test_unsigned_events_are_401_and_change_nothing(client, admin_headers, synced_case, path):
    response = client.post(path, json={"type": "zen:event-type:ticket.tags_changed"})
    assert response.status_code == 401
    assert set(stage_status(client, admin_headers, synced_case).values()) == {"pending"}


def test_event_rejections_in_order(client, synced_case):
    bad_secret = post_zendesk_event(client, zendesk_event("tags_changed", 1, "x"), secret="wrong")
    assert bad_secret.status_code == 401
    old = post_zendesk_event(client, zendesk_event("tags_changed", 1, "x"), stamp="2020-01-01T00:00:00Z")
    assert old.status_code == 401 and "too old" in old.get_json()["message"]
    invalid = post_zendesk_event(client, {"type": "zen:event-type:ticket.tags_changed", "detail": {"id": "abc"}})
    assert invalid.status_code == 422 and invalid.get_json()["fields"] == {"detail": {"id": ["Not a valid integer."]}}
    assert post_hubspot_events(client, [{"objectId": 1}]).status_code == 422
    assert post_hubspot_events(client, []).status_code == 422
    assert post_hubspot_events(client, [hubspot_task_completed("1")] * 101).status_code == 422
    wrong_uri = post_hubspot_events(client, [hubspot_task_completed("1")], signed_base="https://elsewhere.example")
    assert wrong_uri.status_code == 401


def test_public_base_url_is_the_uri_hubspot_signed(client, app, synced_case):
    app.config["PUBLIC_BASE_URL"] = "https://connector.example.com"
    behind_proxy = post_hubspot_events(client, [hubspot_task_completed("1")],
                                       signed_base="https://connector.example.com")
    assert behind_proxy.status_code == 200


def test_replayed_hubspot_delivery_changes_nothing_more(client, synced_case, frozen_runtime, fake_hubspot):
    with transaction(frozen_runtime.sessions) as session:
        effect = session.scalar(select(SideEffect).where(SideEffect.key == hubspot_task_key("action")))
        effect.external_id = "777"
    fake_hubspot.tasks["777"] = fake_hubspot.tasks.pop(task_natural_key(synced_case, "action"))
    delivery = [hubspot_task_completed("777", event_id=41)]
    assert post_hubspot_events(client, delivery).get_json()["detail"] == "1 handled, 0 ignored of 1 event(s)"
    with transaction(frozen_runtime.sessions) as session:
        jobs_after_first = len(session.scalars(select(Job)).all())
    replay = post_hubspot_events(client, delivery)  # HubSpot retries a delivery it thinks failed
    assert replay.status_code == 200 and replay.get_json()["status"] == "ignored"
    with transaction(frozen_runtime.sessions) as session:
        assert len(session.scalars(select(Job)).all()) == jobs_after_first
