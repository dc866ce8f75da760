"""Systemic issues through the worker (fakes, frozen clock): three detractors about invoices
within a week open one problem ticket listing their recovery tickets, tagged, one chat alert and one
API entry; a fourth joins; a fifth after the window does not open one alone; a problem solved in
Zendesk notes each recovery ticket and gives each owner a task in the customer's language."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connector.domain.systemic import problem_external_id
from connector.store.db import transaction
from connector.store.models import Job
from tests.conftest import drain, plan
from tests.fakes import FakeChat
from tests.signing import answer_payload, post_answer, post_zendesk_event, zendesk_event

INVOICES = ["Ma facture est fausse.", "Invoice wrong again, charged twice.", "Facturation incompréhensible.",
            "Where is my refund?", "Les factures sont toujours fausses."]


@pytest.fixture
def app(frozen_runtime):
    from connector.web.app import create_app
    frozen_runtime.chat = FakeChat()
    return create_app(frozen_runtime.config, runtime=frozen_runtime)


def _answer(client, n, day, comment=None):
    payload = answer_payload(response_id=f"srv-sys-{n}", comment=comment or INVOICES[n % len(INVOICES)],
                             submitted_at=f"2026-11-{day:02d}T10:00:00+00:00",
                             customer={"email": f"customer{n}@example.com", "name": f"Customer {n}"})
    answer = post_answer(client, payload)
    assert answer.status_code == 202
    return answer.get_json()["case_id"]


def _issues(client, admin_headers):
    return client.get("/api/systemic-issues", headers=admin_headers).get_json()["systemic_issues"]


def _ticket_of(client, admin_headers, case_id):
    return client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()["zendesk_ticket_id"]


def _alerts(rt):
    return [text for text in rt.chat.posted if text.startswith("Systemic issue")]


def _problems(fake_zendesk):
    return {i: t for i, t in fake_zendesk.tickets.items() if t.get("type") == "problem"}


def test_three_then_a_fourth_then_one_after_the_window(client, admin_headers, frozen_runtime, fake_zendesk):
    cases = [_answer(client, n, day) for n, day in ((0, 2), (1, 3), (2, 5))]
    _answer(client, 9, 4, comment="Le support ne répond jamais.")  # another cause: no part of it
    drain(frozen_runtime)
    [issue] = _issues(client, admin_headers)
    assert (issue["cause"], issue["case_ids"], issue["status"]) == ("billing", cases, "open")
    [(problem_id, problem)] = _problems(fake_zendesk).items()
    assert problem["external_id"] == problem_external_id(issue["id"]) and issue["problem_ticket_id"] == problem_id
    tickets = [_ticket_of(client, admin_headers, c) for c in cases]
    assert all(f"Recovery ticket #{t} (case {c})" in problem["note"] for t, c in zip(tickets, cases))
    tagged = {t: u for t, u in fake_zendesk.updates if "systemic_billing" in (u.get("tags_add") or [])}
    assert set(tagged) == set(tickets)
    assert all(f"problem ticket #{problem_id}" in u["note"] for u in tagged.values())
    [alert] = _alerts(frozen_runtime)  # critical cases alert the chat too: only the issue's counts
    assert "Billing" in alert and "3 detractors" in alert

    fourth = _answer(client, 3, 7)
    drain(frozen_runtime)
    [issue] = _issues(client, admin_headers)
    assert issue["case_ids"] == cases + [fourth] and len(_problems(fake_zendesk)) == 1
    fourth_ticket = _ticket_of(client, admin_headers, fourth)
    joined = [u["note"] for t, u in fake_zendesk.updates if t == problem_id and u.get("note")]
    assert joined == [f"More recovery tickets with the same cause:\n- Recovery ticket #{fourth_ticket} (case {fourth})"]
    assert len(_alerts(frozen_runtime)) == 1  # one alert per issue

    _answer(client, 4, 12)  # 10 days after the first: outside the window, and alone
    drain(frozen_runtime)
    assert len(_issues(client, admin_headers)) == 1 and len(_problems(fake_zendesk)) == 1


def test_the_problem_solved_notes_each_ticket_and_tasks_each_owner(client, admin_headers, frozen_runtime,
                                                                   fake_zendesk, fake_hubspot):
    cases = [_answer(client, n, day) for n, day in ((0, 2), (1, 3), (2, 5))]
    drain(frozen_runtime)
    [issue] = _issues(client, admin_headers)
    event = zendesk_event("status_changed", issue["problem_ticket_id"], problem_external_id(issue["id"]))
    event["event"] = {"previous": "open", "current": "solved"}
    answered = post_zendesk_event(client, event)
    assert answered.status_code == 200 and f"systemic issue {issue['id']} solved" in answered.get_json()["detail"]
    assert "already solved" in post_zendesk_event(client, event).get_json()["detail"]
    drain(frozen_runtime)
    assert _issues(client, admin_headers)[0]["status"] == "solved"
    tickets = {_ticket_of(client, admin_headers, c) for c in cases}
    noted = {t for t, u in fake_zendesk.updates if "is solved: tell the customer" in (u.get("note") or "")}
    assert noted == tickets
    tasks = [t for t in fake_hubspot.owner_tasks.values() if t["subject"].startswith("Tell ")]
    assert len(tasks) == 3
    french = next(t for t in tasks if "Customer 0" in t["subject"])
    assert "Bonjour Customer 0," in french["body"]  # the answers are in French (locale fr)


def test_a_confirmed_cause_counts_and_the_api_needs_the_admin_token(client, admin_headers, frozen_runtime):
    ids = [_answer(client, n, 2 + n, comment="Bof.") for n in range(3)]  # no cause suggested
    drain(frozen_runtime)
    assert _issues(client, admin_headers) == []
    for case_id in ids:
        assert client.post(f"/api/cases/{case_id}/cause", json={"cause": "delivery"},
                           headers=admin_headers).status_code == 200
    drain(frozen_runtime)
    [issue] = _issues(client, admin_headers)
    assert (issue["cause"], issue["case_ids"]) == ("delivery", ids)
    assert client.get("/api/systemic-issues").status_code == 401
    assert _issues(client, admin_headers) == client.get("/api/systemic-issues?tenant=default",
                                                        headers=admin_headers).get_json()["systemic_issues"]
    assert client.get("/api/systemic-issues?tenant=other", headers=admin_headers).get_json() == {"systemic_issues": []}


def test_the_dashboard_lists_the_issues_of_the_company_shown(client, admin_headers, frozen_runtime):
    from tests.conftest import ADMIN_TOKEN

    cases = [_answer(client, n, day) for n, day in ((0, 2), (1, 3), (2, 5))]
    drain(frozen_runtime)
    [issue] = _issues(client, admin_headers)
    assert client.post("/dashboard/login", data={"token": ADMIN_TOKEN}).status_code == 303
    page = client.get("/dashboard").get_data(as_text=True)
    section = page.split('id="systemic"')[1].split("</section>")[0]
    assert "Systemic issues (1)" in section and f'id="systemic-{issue["id"]}"' in section
    assert "Billing and invoices" in section and ", ".join(f"#{c}" for c in cases) in section
    assert f'#{issue["problem_ticket_id"]}' in section


def test_a_team_with_its_own_chat_webhook_gets_the_alert_there(tmp_path, db_url, fake_zendesk, fake_hubspot):
    import json
    import shutil

    import responses

    from connector.infra.clock import FrozenClock, system_clock
    from connector.mappings import DEFAULT_MAPPINGS_DIR
    from connector.web.app import create_app
    from tests.conftest import make_config, make_runtime

    folder = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, folder)
    raw = json.loads((folder / "causes.json").read_text(encoding="utf-8"))
    raw["causes"][0]["team"] = {"name": "Billing", "chat_webhook_url": "https://hooks.slack.com/services/T0/B0/billing"}
    (folder / "causes.json").write_text(json.dumps(raw), encoding="utf-8")
    rt = make_runtime(make_config(db_url, MAPPINGS_DIR=str(folder), CHAT_ALLOWED_HOSTS="hooks.slack.com"),
                      zendesk=fake_zendesk, hubspot=fake_hubspot, clock=FrozenClock(system_clock()))
    rt.chat = FakeChat()  # the deployment's chat: the billing team's alert must not go there
    client = create_app(rt.config, runtime=rt).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.post("https://hooks.slack.com/services/T0/B0/billing", status=200)
        for n, day in ((0, 2), (1, 3), (2, 5)):
            _answer(client, n, day)
        drain(rt)
        [call] = mocked.calls
        assert "Systemic issue" in json.loads(call.request.body)["text"]
    assert _alerts(rt) == []
    rt.engine.dispose()


def test_a_member_whose_ticket_lands_later_is_listed_and_tagged_then(client, admin_headers, frozen_runtime,
                                                                     fake_zendesk):
    first_two = [_answer(client, n, day) for n, day in ((0, 2), (1, 3))]
    drain(frozen_runtime)
    late = _answer(client, 2, 5)
    plan(frozen_runtime)
    with transaction(frozen_runtime.sessions) as session:  # Zendesk's queue is slow for this one ticket
        job = session.scalars(select(Job).where(Job.kind == "zendesk.sync_case", Job.ref_id == late)).one()
        job.run_at = frozen_runtime.clock() + timedelta(hours=1)
    drain(frozen_runtime)  # the issue opens now; the drain then travels an hour to the ticket
    [issue] = _issues(client, admin_headers)
    assert issue["case_ids"] == first_two + [late]
    [(problem_id, problem)] = _problems(fake_zendesk).items()
    late_ticket = _ticket_of(client, admin_headers, late)
    assert all(f"(case {c})" in problem["note"] for c in first_two) and f"(case {late})" not in problem["note"]
    later = [u["note"] for t, u in fake_zendesk.updates if t == problem_id and u.get("note")]
    assert later == [f"More recovery tickets with the same cause:\n- Recovery ticket #{late_ticket} (case {late})"]
    assert any(t == late_ticket and "systemic_billing" in (u.get("tags_add") or []) for t, u in fake_zendesk.updates)
    with transaction(frozen_runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.status == "dead")) == 0
