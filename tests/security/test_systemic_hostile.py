"""Hostile input around causes and systemic issues: what a respondent writes never reaches the
problem ticket nor the team's chat; one company's cases never make or join another's issue, nor
can its Zendesk events solve another's; the cause endpoints refuse oversized and odd bodies."""
import re

import pytest

from connector.cases import intake, zendesk_events
from connector.domain.systemic import problem_external_id
from connector.inbound.schemas import validate_answer
from connector.store.db import transaction
from connector.store.models import SystemicIssue
from tests.conftest import drain
from tests.fakes import FakeChat
from tests.signing import answer_payload, zendesk_event
from tests.ui_support import AUD, ZafKeys, open_case

HOSTILE = ("Facture fausse <!channel> <http://evil.example/sso|Reset your password>\n"
           "Owner: CEO says refund 10000 EUR\r\u202eSystemic issue #1 solved @here")


def _accept(rt, n, tenant="default", comment=HOSTILE, day=2):
    payload = answer_payload(response_id=f"srv-hostile-{tenant}-{n}", comment=comment,
                             submitted_at=f"2026-11-{day + n:02d}T10:00:00+00:00",
                             customer={"email": f"c{n}@{tenant}.example", "name": "Eve\nOwner: CEO"})
    return intake.accept(rt.sessions, rt.policies, validate_answer(payload), source="generic", now=rt.clock(),
                         tenant_id=tenant).body["case_id"]


def _issues(rt):
    with transaction(rt.sessions) as session:
        return [(i.tenant_id, i.cause, i.id) for i in session.query(SystemicIssue).order_by(SystemicIssue.id)]


def test_the_comment_reaches_neither_the_problem_ticket_nor_the_chat(frozen_runtime, fake_zendesk):
    frozen_runtime.chat = FakeChat()
    for n in range(3):
        _accept(frozen_runtime, n)
    drain(frozen_runtime)
    [problem] = [t for t in fake_zendesk.tickets.values() if t.get("type") == "problem"]
    [alert] = [p for p in frozen_runtime.chat.posted if p.startswith("Systemic issue")]
    member_notes = [u["note"] for _, u in fake_zendesk.updates if "systemic_billing" in (u.get("tags_add") or [])]
    assert len(member_notes) == 3
    for text in (problem["subject"], problem["note"], alert, *member_notes):
        for planted in ("evil.example", "<!channel>", "@here", "CEO", "\u202e", "Eve", "Facture fausse"):
            assert planted not in text


def test_one_companys_cases_never_make_or_join_anothers_issue(frozen_runtime):
    _accept(frozen_runtime, 0, tenant="acme")
    _accept(frozen_runtime, 1, tenant="acme")
    _accept(frozen_runtime, 2, tenant="globex")  # three billing cases, but two companies
    drain(frozen_runtime)
    assert _issues(frozen_runtime) == []
    _accept(frozen_runtime, 3, tenant="acme")
    drain(frozen_runtime)
    [(tenant, cause, _)] = _issues(frozen_runtime)
    assert (tenant, cause) == ("acme", "billing")


def test_another_companys_zendesk_event_cannot_solve_the_issue(frozen_runtime):
    for n in range(3):
        _accept(frozen_runtime, n)
    drain(frozen_runtime)
    [(_, _, issue_id)] = _issues(frozen_runtime)
    event = zendesk_event("status_changed", 1, problem_external_id(issue_id))
    event["event"] = {"previous": "open", "current": "solved"}
    outcome = zendesk_events.handle(frozen_runtime.for_tenant("globex"), event)
    assert outcome == ("accepted", "not a systemic issue of this account")
    with transaction(frozen_runtime.sessions) as session:
        assert session.get(SystemicIssue, issue_id).solved_at is None
    event["detail"]["id"] = 999_999  # no recovery ticket either
    for forged in ("recovery-systemic-99999999", "recovery-systemic-1; DROP TABLE cases", "recovery-systemic-"):
        event["detail"]["external_id"] = forged
        assert zendesk_events.handle(frozen_runtime, event)[1] in ("not a systemic issue of this account",
                                                                   "not a recovery ticket")


@pytest.mark.parametrize("body", [
    {"cause": "billing" * 10_000}, {"cause": "billing\nOwner: CEO"}, {"cause": "<script>"},
    {"cause": ["billing"]}, {"cause": None}, {"cause": {"key": "billing"}},
])
def test_the_admin_cause_endpoint_refuses_odd_values(client, admin_headers, runtime, body):
    case_id = open_case(runtime, client, ticket_id=None)
    refused = client.post(f"/api/cases/{case_id}/cause", json=body, headers=admin_headers)
    assert refused.status_code == 422 and set(refused.get_json()["fields"]) == {"cause"}
    assert "<script>" not in refused.get_data(as_text=True) or refused.is_json


def test_an_oversized_cause_body_is_413(client, admin_headers, runtime):
    case_id = open_case(runtime, client, ticket_id=None)
    big = b'{"cause": "' + b"x" * (int(runtime.config["MAX_BODY_BYTES"]) + 1) + b'"}'
    answered = client.post(f"/api/cases/{case_id}/cause", data=big,
                           headers={**admin_headers, "Content-Type": "application/json"})
    assert answered.status_code == 413
    # The sidebar checks its case token before it reads any body.
    answered = client.post(f"/zendesk/sidebar/cases/{case_id}/cause", data=big,
                           headers={"X-Recovery-Case": "x", "Content-Type": "application/json"})
    assert answered.status_code == 401


def test_a_case_token_of_one_company_cannot_set_anothers_cause(runtime, tmp_path):
    from connector.web.app import create_app
    from connector.web.ui.common import issue

    keys = ZafKeys(tmp_path)
    runtime.config.update(ZENDESK_APP_PUBLIC_KEY=keys.public_pem, ZENDESK_APP_AUD=AUD)
    ui = create_app(runtime.config, runtime=runtime).test_client()
    case_id = open_case(runtime, ui)
    with ui.application.app_context():
        foreign = issue("case", {"tenant": "globex", "case": case_id})  # signed, but for another company
    refused = ui.post(f"/zendesk/sidebar/cases/{case_id}/cause", json={"cause": "pricing"},
                      headers={"X-Recovery-Case": foreign})
    assert refused.status_code == 404
    assert re.search(r"no case \d+", refused.get_json()["message"])


def test_the_systemic_issues_api_needs_the_admin_token(client):
    assert client.get("/api/systemic-issues").status_code == 401
    assert client.get("/api/systemic-issues", headers={"Authorization": "Bearer wrong"}).status_code in (401, 429)
