"""Failure analysis: a case closed partial or failed asks its owner why (a HubSpot task, a line in
the Zendesk outcome note); the reason is recorded through the admin API, shown on the case and
counted by the metrics report."""
import json
import re
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from connector.domain.failure import FailureReasonSchema, load_failure_rules
from connector.mappings import DEFAULT_MAPPINGS_DIR, MappingError
from tests.conftest import drain
from tests.signing import answer_payload, post_answer
from tests.ui_support import AUD, ZafKeys, open_case

RULES = load_failure_rules()


@pytest.mark.parametrize("body,loaded", [
    ({"reason": "too_late"}, {"reason": "too_late", "note": None}),
    ({"reason": "price", "note": "  Found it 30% cheaper elsewhere.  "},
     {"reason": "price", "note": "Found it 30% cheaper elsewhere."}),
    ({"reason": "competitor", "note": "   "}, {"reason": "competitor", "note": None}),
    ({"reason": "other", "note": "Merged with another company."},
     {"reason": "other", "note": "Merged with another company."}),
])
def test_a_configured_reason_is_accepted(body, loaded):
    assert FailureReasonSchema(RULES).load(body) == loaded


@pytest.mark.parametrize("body,messages", [
    ({}, {"reason": ["Missing data for required field."]}),
    ({"reason": "bad_luck"}, {"reason": ["must be one of: too_late, no_contact, problem_not_fixed, poor_fit, "
                                         "price, competitor, other"]}),
    ({"reason": "other"}, {"note": ["say which reason in the note when the reason is 'other'"]}),
    ({"reason": "other", "note": " "}, {"note": ["say which reason in the note when the reason is 'other'"]}),
    ({"reason": "price", "note": "x" * 1001}, {"note": ["Longer than maximum length 1000."]}),
    ({"reason": "price", "extra": 1}, {"extra": ["Unknown field."]}),
    ({"reason": 3}, {"reason": ["Not a valid string."]}),
])
def test_a_bad_reason_is_refused_with_field_messages(body, messages):
    with pytest.raises(ValidationError) as refused:
        FailureReasonSchema(RULES).load(body)
    assert refused.value.messages == messages


def test_the_reasons_follow_the_mapping(tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, folder)
    raw = json.loads((folder / "failure.json").read_text(encoding="utf-8"))
    raw["reasons"] = {"budget_cut": "The customer's budget was cut", "other": "Other"}
    (folder / "failure.json").write_text(json.dumps(raw), encoding="utf-8")
    rules = load_failure_rules(folder)
    assert FailureReasonSchema(rules).load({"reason": "budget_cut"})["reason"] == "budget_cut"
    with pytest.raises(ValidationError):
        FailureReasonSchema(rules).load({"reason": "too_late"})


@pytest.mark.parametrize("change,field", [
    (lambda raw: raw["reasons"].update({"Too Late!": "x"}), "reasons"),
    (lambda raw: raw.update(reasons={}), "reasons"),
    (lambda raw: raw["closing_task"].update(subject="Case {case}"), "closing_task"),
    (lambda raw: raw["closing_task"].update(due_in_days=-1), "closing_task"),
    (lambda raw: raw.pop("closing_task"), "closing_task"),
])
def test_a_bad_mapping_stops_the_start_naming_the_field(tmp_path, change, field):
    raw = json.loads((DEFAULT_MAPPINGS_DIR / "failure.json").read_text(encoding="utf-8"))
    change(raw)
    (tmp_path / "failure.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(MappingError) as refused:
        load_failure_rules(tmp_path)
    assert field in refused.value.messages


@pytest.fixture
def frozen_client(frozen_runtime):
    from connector.web.app import create_app
    return create_app(frozen_runtime.config, runtime=frozen_runtime).test_client()


def _nps(response_id, score, submitted_at):
    return answer_payload(response_id=response_id, score=score, submitted_at=submitted_at.isoformat())


def test_a_failed_case_asks_its_owner_why_and_the_report_counts_the_reason(
        frozen_runtime, frozen_client, fake_hubspot, fake_zendesk, admin_headers):
    client, rt = frozen_client, frozen_runtime
    opened = rt.clock() - timedelta(days=40)
    case_id = post_answer(client, _nps("srv-open", 3, opened)).get_json()["case_id"]
    drain(rt)
    linked_id = post_answer(client, _nps("srv-day35", 3, opened + timedelta(days=35))).get_json()["case_id"]
    closed_at = rt.clock()
    drain(rt)
    case = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    assert (case["status"], case["outcome"], case["failure_reason"]) == ("closed", "failed", None)

    # The owner's closing task: due three days after the close, naming the case.
    task = fake_hubspot.tasks[f"recovery-{case_id}-closing"]
    assert task["owner"] == case["owner"] and task["due"] == closed_at + timedelta(days=3)
    assert f"#{case_id}" in task["subject"] and "failed" in task["subject"]
    assert task["status"] == "NOT_STARTED"
    notes = [u["note"] for t, u in fake_zendesk.updates if t == case["zendesk_ticket_id"] and u["note"]]
    outcome_note = next(n for n in notes if n.startswith("Recovery outcome: failed"))
    assert "please record why this recovery failed" in outcome_note
    assert f"/api/cases/{case_id}/failure-reason" in outcome_note

    url = f"/api/cases/{case_id}/failure-reason"
    refused = client.post(url, json={"reason": "bad_luck"}, headers=admin_headers)
    assert refused.status_code == 422 and list(refused.get_json()["fields"]) == ["reason"]
    assert client.post(url, json={"reason": "price"}).status_code == 401
    open_case = client.post(f"/api/cases/{linked_id}/failure-reason", json={"reason": "price"}, headers=admin_headers)
    assert open_case.status_code == 409  # the linked case is open: nothing failed yet
    assert client.post("/api/cases/999/failure-reason", json={"reason": "price"},
                       headers=admin_headers).status_code == 404

    recorded = client.post(url, json={"reason": "problem_not_fixed", "note": "Fix not shipped."},
                           headers=admin_headers)
    assert recorded.status_code == 200
    assert recorded.get_json()["failure_reason"] == {
        "reason": "problem_not_fixed", "note": "Fix not shipped.",
        "recorded_at": rt.clock().isoformat().replace("+00:00", "Z")}
    drain(rt)
    assert fake_hubspot.tasks[f"recovery-{case_id}-closing"]["status"] == "COMPLETED"

    figures = client.get("/api/metrics", headers=admin_headers).get_json()["failure_reasons"]
    assert figures["cases"] == 1 and figures["missing"] == 0 and figures["by_reason"]["problem_not_fixed"] == 1
    # A correction replaces the reason; it is still one case.
    assert client.post(url, json={"reason": "too_late"}, headers=admin_headers).status_code == 200
    figures = client.get("/api/metrics", headers=admin_headers).get_json()["failure_reasons"]
    assert (figures["by_reason"]["problem_not_fixed"], figures["by_reason"]["too_late"]) == (0, 1)
    assert client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()["failure_reason"]["note"] is None


@pytest.mark.parametrize("score,outcome,asks", [
    (9, "promoter", False), (7, "passive", False), (5, "partial", True), (3, "failed", True), (1, "failed", True)])
def test_only_a_partial_or_failed_outcome_asks_for_a_reason(frozen_runtime, frozen_client, fake_hubspot,
                                                           fake_zendesk, admin_headers, score, outcome, asks):
    client, rt = frozen_client, frozen_runtime
    opened = rt.clock() - timedelta(days=40)
    case_id = post_answer(client, _nps("srv-open", 3, opened)).get_json()["case_id"]
    drain(rt)  # the case is in both systems before its customer answers again, 35 days on
    post_answer(client, _nps("srv-day35", score, opened + timedelta(days=35)))
    drain(rt)
    case = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    assert case["outcome"] == outcome
    assert (f"recovery-{case_id}-closing" in fake_hubspot.tasks) is asks
    note = next(u["note"] for _, u in fake_zendesk.updates if (u["note"] or "").startswith("Recovery outcome"))
    assert ("please record why" in note) is asks
    answered = client.post(f"/api/cases/{case_id}/failure-reason", json={"reason": "price"}, headers=admin_headers)
    assert answered.status_code == (200 if asks else 409)


@pytest.fixture
def sidebar(runtime, tmp_path):
    from connector.web.app import create_app

    keys = ZafKeys(tmp_path)
    runtime.config.update(ZENDESK_APP_PUBLIC_KEY=keys.public_pem, ZENDESK_APP_AUD=AUD)
    return create_app(runtime.config, runtime=runtime).test_client(), keys


def _fragment(ui, keys, ticket_id=9001) -> str:
    page = ui.post("/zendesk/sidebar", data={"token": keys.token()})
    session = re.search(r'name="recovery-session" content="([^"]+)"', page.text).group(1)
    fragment = ui.get(f"/zendesk/sidebar/case?ticket_id={ticket_id}", headers={"X-Recovery-Session": session})
    assert fragment.status_code == 200
    return fragment.text


def test_the_sidebar_form_records_the_reason_of_a_failed_case(sidebar, runtime, admin_headers):
    ui, keys = sidebar
    case_id = open_case(runtime, ui, submitted_at="2020-01-01T10:00:00+00:00")
    assert 'id="failure-form"' not in _fragment(ui, keys)  # open: nothing failed yet
    closing = answer_payload(response_id="srv-ui-2", score=2, submitted_at="2020-02-15T10:00:00+00:00")
    assert post_answer(ui, closing).status_code == 202

    page = _fragment(ui, keys)
    assert 'id="failure-form"' in page and "The case closed failed: record the reason." in page
    offered = re.findall(r'<option value="([a-z_]+)"', page.split('id="failure-form"')[1])
    assert offered == list(RULES.reasons)
    assert f'<option value="too_late">{RULES.reasons["too_late"]}</option>' in page
    token = re.search(r'data-case-token="([^"]+)"', page).group(1)
    url = f"/zendesk/sidebar/cases/{case_id}/failure-reason"
    assert ui.post(url, json={"reason": "price"}).status_code == 401
    assert ui.post(f"/zendesk/sidebar/cases/{case_id + 1}/failure-reason", json={"reason": "price"},
                   headers={"X-Recovery-Case": token}).status_code == 401
    bad = ui.post(url, json={"reason": "other"}, headers={"X-Recovery-Case": token})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {
        "note": ["say which reason in the note when the reason is 'other'"]}
    # What the form posts: the selected option and the note field.
    ok = ui.post(url, json={"reason": offered[4], "note": "Cheaper <elsewhere>"}, headers={"X-Recovery-Case": token})
    assert ok.status_code == 200 and ok.get_json() == {"case_id": case_id, "failure_reason": "price"}

    page = _fragment(ui, keys)
    assert "Recorded: <strong>Price</strong> — Cheaper &lt;elsewhere&gt;" in page
    assert '<option value="price" selected>' in page and "Change the reason" in page
    case = ui.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    assert case["failure_reason"]["reason"] == "price" and case["failure_reason"]["note"] == "Cheaper <elsewhere>"


def test_erasure_drops_the_owners_note_and_keeps_the_reason_for_the_report(runtime):
    from connector.cases.privacy import erase_contact
    from connector.store.db import transaction
    from connector.store.models import Case

    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with transaction(runtime.sessions) as session:
        case = Case(status="closed", customer_email="marie@example.com", score=3, category="detractor",
                    severity="critical", value_tier="standard", priority="high", opened_at=now, planned_at=now, closed_at=now,
                    outcome="failed", hubspot_contact_id="501", failure_reason="price",
                    failure_note="Marie said Dupont & Co is cheaper.", failure_recorded_at=now)
        session.add(case)
    with transaction(runtime.sessions) as session:
        erase_contact(session, "501", now)
    with transaction(runtime.sessions) as session:
        case = session.get(Case, case.id)
        assert (case.failure_reason, case.failure_note) == ("price", None)
