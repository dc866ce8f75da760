"""Promises over the admin API and the sidebar (fake vendors, frozen clock): field messages,
the stage left as it was when the plan is refused, the small REST surface, and escalation
only for a pending promise of an open case."""
import re
from datetime import timedelta

import pytest

from connector.cases.promise_deadlines import mark_overdue_promises
from connector.store.db import transaction
from connector.store.models import Case, Promise
from tests.conftest import drain
from tests.fakes import FakeChat
from tests.test_ui import _session, ui, ui_app, zaf  # noqa: F401 - the sidebar's fixtures
from tests.test_worker import accept
from tests.ui_support import open_case

SUBMITTED = "2026-11-20T15:37:00+00:00"


@pytest.fixture
def app(frozen_runtime):
    from connector.web.app import create_app
    return create_app(frozen_runtime.config, runtime=frozen_runtime)


def synced_case(rt) -> int:
    # A moderate score of standard value, no churn signal: priority "normal", so an escalation shows.
    case_id = accept(rt, submitted_at=SUBMITTED, score=5, comment="Livraison en retard cette fois.",
                     customer={"lifetime_value": 500})["case_id"]
    with transaction(rt.sessions) as session:
        rt.clock.now = session.get(Case, case_id).opened_at + timedelta(hours=30)
    drain(rt)
    return case_id


def plan(rt, *days):
    return {"promises": [{"what": f"Promise {i}", "who": "julien.petit@example.com",
                          "by": (rt.clock.now + timedelta(days=d)).isoformat()} for i, d in enumerate(days)]}


def test_a_refused_plan_names_each_field_and_leaves_the_stage_pending(frozen_runtime, client, admin_headers):
    rt = frozen_runtime
    case_id = synced_case(rt)
    bad = {"promises": [{"what": "", "who": "Julien", "by": "2026-12-01"},
                        {"what": "Rappeler", "who": "Julien", "by": "2026-11-01"}]}
    response = client.post(f"/api/cases/{case_id}/stages/action/complete", json=bad, headers=admin_headers)
    assert response.status_code == 422
    fields = response.get_json()["fields"]["promises"]
    assert set(fields) == {"0"} and "what" in fields["0"]  # field errors first; the date check follows
    response = client.post(f"/api/cases/{case_id}/stages/action/complete", json={"promises": bad["promises"][1:]},
                           headers=admin_headers)
    assert response.status_code == 422 and "by" in response.get_json()["fields"]["promises"]["0"]
    case = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    assert {s["key"]: s["status"] for s in case["stages"]}["action"] == "pending"
    assert case["promises"] == [] and case["confirmation_draft"] is None


def test_promises_added_later_and_kept(frozen_runtime, client, admin_headers, fake_hubspot, fake_zendesk):
    rt = frozen_runtime
    case_id = synced_case(rt)
    client.post(f"/api/cases/{case_id}/stages/action/complete", json=plan(rt, 2), headers=admin_headers)
    drain(rt)
    added = client.post(f"/api/cases/{case_id}/promises", json=plan(rt, 2, 5), headers=admin_headers)
    assert added.status_code == 201 and [p["what"] for p in added.get_json()["promises"]] == ["Promise 0", "Promise 1"]
    drain(rt)
    assert len([k for k in fake_hubspot.tasks if "-promise_" in k]) == 2
    notes = [u[1]["note"] for u in fake_zendesk.updates if u[1].get("note") and "Promise: " in u[1]["note"]]
    assert len(notes) == 2 and "Promise: Promise 1" in notes[1] and "Promise: Promise 0" not in notes[1]
    assert "- Promise 0 (" in notes[1]  # the confirmation lists the whole plan
    promise_id = added.get_json()["promises"][1]["id"]
    kept = client.post(f"/api/cases/{case_id}/promises/{promise_id}/complete", headers=admin_headers)
    assert kept.status_code == 200 and kept.get_json()["status"] == "kept"
    assert client.post(f"/api/cases/{case_id}/promises/{promise_id}/complete",
                       headers=admin_headers).get_json()["kept_at"] == kept.get_json()["kept_at"]
    drain(rt)
    assert [t.get("status") for k, t in fake_hubspot.tasks.items() if "-promise_" in k] == [None, "COMPLETED"]


def test_the_rest_of_the_surface(frozen_runtime, client, admin_headers):
    rt = frozen_runtime
    case_id = synced_case(rt)
    assert client.post(f"/api/cases/{case_id}/promises", json=plan(rt, 1)).status_code == 401
    assert client.post(f"/api/cases/{case_id + 9}/promises", json=plan(rt, 1), headers=admin_headers).status_code == 404
    assert client.post(f"/api/cases/{case_id}/promises", json={}, headers=admin_headers).get_json()["fields"] == {
        "promises": ["Field may not be null."]}
    assert client.post(f"/api/cases/{case_id}/promises/77/complete", headers=admin_headers).status_code == 404
    other = accept(rt, response_id="other", customer={"email": "paul@example.com"}, submitted_at=SUBMITTED)["case_id"]
    promise_id = client.post(f"/api/cases/{other}/promises", json=plan(rt, 1),
                             headers=admin_headers).get_json()["promises"][0]["id"]
    assert client.post(f"/api/cases/{case_id}/promises/{promise_id}/complete",
                       headers=admin_headers).status_code == 404
    with transaction(rt.sessions) as session:
        session.get(Case, case_id).status = "closed"
    assert client.post(f"/api/cases/{case_id}/promises", json=plan(rt, 1), headers=admin_headers).status_code == 409
    assert client.post(f"/api/cases/{case_id}/stages/action/complete", json=plan(rt, 1),
                       headers=admin_headers).status_code == 409


def test_only_pending_promises_of_open_cases_escalate(frozen_runtime, client, admin_headers):
    rt = frozen_runtime
    rt.chat = FakeChat()
    case_id = synced_case(rt)
    promises = client.post(f"/api/cases/{case_id}/promises", json=plan(rt, 1, 2, 3),
                           headers=admin_headers).get_json()["promises"]
    drain(rt)
    client.post(f"/api/cases/{case_id}/promises/{promises[0]['id']}/complete", headers=admin_headers)
    rt.clock.now += timedelta(days=2, minutes=1)  # the first (kept) and second are past
    assert mark_overdue_promises(rt, rt.clock()) == 1
    drain(rt)
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        assert (case.priority, case.escalations) == ("high", 1)
        case.status = "closed"
    rt.clock.now += timedelta(days=5)
    assert mark_overdue_promises(rt, rt.clock()) == 0
    with transaction(rt.sessions) as session:
        assert [p.status for p in session.query(Promise).order_by(Promise.due_at)] == ["kept", "overdue", "pending"]
    assert len([p for p in rt.chat.posted if "the promise “Promise 1”" in p]) == 1


def test_the_sidebar_records_the_plan_and_shows_the_confirmation(ui, runtime, zaf):  # noqa: F811
    case_id = open_case(runtime, ui)
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": _session(ui, zaf)})
    assert 'id="action-form"' in fragment.text and "confirmation-draft" not in fragment.text
    token = re.search(r'data-case-token="([^"]+)"', fragment.text).group(1)
    url = f"/zendesk/sidebar/cases/{case_id}/stages/action/complete"
    bad = ui.post(url, json={"promises": [{"what": "Rappeler", "who": "", "by": "demain"}]},
                  headers={"X-Recovery-Case": token})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]["promises"]["0"]) == {"who", "by"}
    promise = {"what": "Rembourser la facture", "who": "Claire Martin", "by": "2099-01-15"}
    assert ui.post(url, json={"promises": [promise]}, headers={"X-Recovery-Case": token}).status_code == 200
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": _session(ui, zaf)})
    assert "Rembourser la facture — Claire Martin" in fragment.text and 'id="action-form"' not in fragment.text
    draft = re.search(r'<textarea id="confirmation-draft"[^>]*>(.*?)</textarea>', fragment.text, re.S).group(1)
    assert draft.startswith("Bonjour Marie,") and "au plus tard le 15/01/2099" in draft


def test_erasure_removes_the_promises_wording(frozen_runtime, client, admin_headers):
    from connector.cases.privacy import erase_contact

    rt = frozen_runtime
    case_id = synced_case(rt)
    client.post(f"/api/cases/{case_id}/promises", json=plan(rt, 1), headers=admin_headers)
    with transaction(rt.sessions) as session:
        contact_id = session.get(Case, case_id).hubspot_contact_id
        erase_contact(session, contact_id, rt.clock())
    with transaction(rt.sessions) as session:
        assert [p.what for p in session.query(Promise)] == ["(erased)"]


def test_the_sidebar_marks_a_promise_kept_with_the_case_token_only(ui, runtime, zaf):  # noqa: F811
    case_id = open_case(runtime, ui)
    other_id = open_case(runtime, ui, ticket_id=9002, email="paul@example.com", response_id="srv-ui-2")
    headers = {"X-Recovery-Session": _session(ui, zaf)}
    token = re.search(r'data-case-token="([^"]+)"',
                      ui.get("/zendesk/sidebar/case?ticket_id=9001", headers=headers).text).group(1)
    ui.post(f"/zendesk/sidebar/cases/{case_id}/stages/action/complete", headers={"X-Recovery-Case": token},
            json={"promises": [{"what": "Rembourser", "who": "Claire Martin", "by": "2099-01-15"}]})
    with transaction(runtime.sessions) as session:
        promise_id = session.query(Promise).filter_by(case_id=case_id).one().id
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers=headers).text
    assert f'data-promise="{promise_id}"' in fragment
    url = f"/zendesk/sidebar/cases/{case_id}/promises/{promise_id}/complete"
    assert ui.post(url, json={}).status_code == 401
    assert ui.post(f"/zendesk/sidebar/cases/{other_id}/promises/{promise_id}/complete", json={},
                   headers={"X-Recovery-Case": token}).status_code == 401
    assert ui.post(f"/zendesk/sidebar/cases/{case_id}/promises/{promise_id + 1}/complete", json={},
                   headers={"X-Recovery-Case": token}).status_code == 404
    assert ui.post(url, json={}, headers={"X-Recovery-Case": token}).get_json()["status"] == "kept"
    assert "✓ kept" in ui.get("/zendesk/sidebar/case?ticket_id=9001", headers=headers).text


def make_chronic(rt, case_id: int, profile: str = "chronic") -> None:
    with transaction(rt.sessions) as session:
        session.get(Case, case_id).profile = profile


def stage_status(client, admin_headers, case_id: int) -> str:
    case = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    return {s["key"]: s["status"] for s in case["stages"]}["action"]


@pytest.mark.parametrize("body", [None, {}])  # an empty list is refused by the schema already
def test_a_chronic_plan_without_a_promise_is_refused(frozen_runtime, client, admin_headers, body):
    rt = frozen_runtime
    case_id = synced_case(rt)
    make_chronic(rt, case_id)
    response = client.post(f"/api/cases/{case_id}/stages/action/complete", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "promises": ["A chronic case's action plan needs a named owner and a date: add a promise."]}
    assert stage_status(client, admin_headers, case_id) == "pending"


def test_a_chronic_plan_completes_with_its_promise_or_an_earlier_one(frozen_runtime, client, admin_headers):
    rt = frozen_runtime
    with_plan, promised_before = synced_case(rt), synced_case(rt)
    for case_id in (with_plan, promised_before):
        make_chronic(rt, case_id)
    url = "/api/cases/{}/stages/action/complete"
    assert client.post(url.format(with_plan), json=plan(rt, 3), headers=admin_headers).status_code == 200
    assert client.post(f"/api/cases/{promised_before}/promises", json=plan(rt, 5),
                       headers=admin_headers).status_code == 201
    assert client.post(url.format(promised_before), headers=admin_headers).status_code == 200
    assert [stage_status(client, admin_headers, c) for c in (with_plan, promised_before)] == ["done", "done"]


@pytest.mark.parametrize("profile", ["disappointed", "structural", None])
def test_other_profiles_complete_the_action_stage_without_a_promise(frozen_runtime, client, admin_headers, profile):
    rt = frozen_runtime
    case_id = synced_case(rt)
    make_chronic(rt, case_id, profile)
    response = client.post(f"/api/cases/{case_id}/stages/action/complete", headers=admin_headers)
    assert response.status_code == 200 and stage_status(client, admin_headers, case_id) == "done"


def test_the_sidebar_refuses_a_chronic_plan_without_a_promise_in_the_agents_language(ui, runtime, zaf):  # noqa: F811
    case_id = open_case(runtime, ui)
    make_chronic(runtime, case_id)
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": _session(ui, zaf)})
    headers = {"X-Recovery-Case": re.search(r'data-case-token="([^"]+)"', fragment.text).group(1)}
    url = f"/zendesk/sidebar/cases/{case_id}/stages/action/complete"
    refused = ui.post(url + "?locale=fr-FR", json={}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["fields"]["promises"] == [
        "Le plan d'action d'un cas chronique demande un responsable nommé et une date : ajoutez un engagement."]
    assert "named owner" in ui.post(url, json={}, headers=headers).get_json()["fields"]["promises"][0]
    promise = {"what": "Changer de transporteur", "who": "Claire Martin", "by": "2099-01-15"}
    done = ui.post(url + "?locale=fr-FR", json={"promises": [promise]}, headers=headers)
    assert done.status_code == 200 and done.get_json()["changed"] is True
