"""Issue 13's "done means", end to end with real zenpy and hubspot-api-client against the stand-ins:
three detractors within a week whose comments are about invoices make one Zendesk problem ticket
listing the three recovery tickets, each tagged systemic_billing (and cause_billing, shown in the
Recovery cause drop-down), one chat alert to the billing team, one entry in /api/systemic-issues;
a fourth joins the same problem; a fifth, eight days after the first, does not open one alone."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
from flask import Flask, request

from connector.providers.zendesk.mapping import CAUSE_FIELD_TITLE
from connector.sandbox.server import BackgroundServer
from tests.conftest import ADMIN_TOKEN
from tests.e2e.conftest import wait_until
from tests.signing import answer_payload

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
COMMENTS = ["Ma facture de novembre est fausse.", "I was charged twice on my last invoice.",
            "Encore une erreur de facturation !", "Invoices are wrong every month.", "Facture incompréhensible."]


@pytest.fixture
def chat():
    posted: list[str] = []
    app = Flask("chat")

    @app.post("/hooks/team")
    def receive():
        posted.append(request.get_json()["text"])
        return "ok"

    with BackgroundServer(app) as server:
        server.posted = posted
        yield server


def _answer(connector, n: int, days_ago: float) -> int:
    submitted = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days_ago)
    payload = answer_payload(response_id=f"srv-systemic-{n}", comment=COMMENTS[n], submitted_at=submitted.isoformat(),
                             customer={"email": f"billing{n}@example.com", "name": f"Client {n}"})
    response = connector.post(payload, msg_id=f"msg_sys_{n}")
    assert response.status_code == 202
    return response.json()["case_id"]


def _issues(connector) -> list[dict]:
    return requests.get(f"{connector.url}/api/systemic-issues", headers=ADMIN, timeout=10).json()["systemic_issues"]


def _problems(vendors) -> list[dict]:
    return [t for t in vendors.zendesk.tickets.values() if t["type"] == "problem"]


def _alerts(chat) -> list[str]:
    return [text for text in chat.posted if "Systemic issue" in text]


def _text_of(vendors, ticket_id) -> str:
    return "\n".join(c["body"] for c in vendors.zendesk.comments[ticket_id])


def test_three_invoice_detractors_make_one_problem_a_fourth_joins_a_fifth_after_the_window_does_not(
        connector_factory, vendors, chat):
    connector = connector_factory(CHAT_WEBHOOK_URL=f"{chat.url}/hooks/team", SANDBOX=True)
    cases = [_answer(connector, n, days_ago) for n, days_ago in ((0, 9), (1, 8), (2, 6))]
    synced = connector.wait_synced(cases, timeout=30)
    tickets = [c["zendesk_ticket_id"] for c in synced]

    [issue] = wait_until(lambda: [i for i in _issues(connector) if i["problem_ticket_id"]
                                  and len(_text_of(vendors, i["problem_ticket_id"]).split("Recovery ticket #")) > 1],
                         timeout=30)
    assert (issue["cause"], issue["case_ids"], issue["status"]) == ("billing", cases, "open")
    [problem] = _problems(vendors)
    assert problem["id"] == issue["problem_ticket_id"] and problem["external_id"] == f"recovery-systemic-{issue['id']}"
    listing = _text_of(vendors, problem["id"])
    assert all(f"Recovery ticket #{t} (case {c})" in listing for t, c in zip(tickets, cases))
    wait_until(lambda: all("systemic_billing" in vendors.zendesk.tickets[t]["tags"] for t in tickets), timeout=15)
    [field] = [f for f in vendors.zendesk.ticket_fields.values() if f["title"] == CAUSE_FIELD_TITLE]
    for ticket_id in tickets:
        ticket = vendors.zendesk.tickets[ticket_id]
        assert ticket["type"] == "task" and ticket["due_at"] and ticket.get("problem_id") is None  # still a task
        assert "cause_billing" in ticket["tags"] and {"id": field["id"], "value": "cause_billing"} in ticket["custom_fields"]
    [alert] = wait_until(lambda: _alerts(chat), timeout=15)
    assert "Billing" in alert and "3 detractors" in alert
    for n in range(3):
        contact = vendors.hubspot.contact_by_email(f"billing{n}@example.com")
        assert contact["properties"]["recovery_cause"] == "billing"

    fourth = _answer(connector, 3, 4)
    [fourth_case] = connector.wait_synced([fourth], timeout=30)
    wait_until(lambda: f"Recovery ticket #{fourth_case['zendesk_ticket_id']} (case {fourth})"
               in _text_of(vendors, problem["id"]), timeout=30)
    wait_until(lambda: "systemic_billing" in vendors.zendesk.tickets[fourth_case["zendesk_ticket_id"]]["tags"])
    assert _issues(connector)[0]["case_ids"] == cases + [fourth] and len(_problems(vendors)) == 1

    fifth = _answer(connector, 4, 1)  # eight days after the first: outside its window, and alone
    connector.wait_synced([fifth], timeout=30)
    wait_until(lambda: any(j["kind"] == "systemic.check" and j["ref_id"] == fifth for j in requests.get(
        f"{connector.url}/api/jobs?status=done", headers=ADMIN, timeout=10).json()["jobs"]), timeout=15)
    assert len(_issues(connector)) == 1 and len(_problems(vendors)) == 1
    assert len(_alerts(chat)) == 1
    assert "systemic_billing" not in vendors.zendesk.tickets[connector.case(fifth)["zendesk_ticket_id"]]["tags"]


def test_a_case_that_joins_an_open_problem_before_its_ticket_is_made_gets_the_tag_at_creation(
        connector_factory, vendors):
    """Issue 16: the check is queued before the sync (and checks are grouped), so under a backlog a
    joining case's ticket is made with its ``systemic_<cause>`` tag and member note: no bulk update
    and job poll for it later. One worker thread: the jobs run in the order they were queued."""
    connector = connector_factory(workers=1, SYSTEMIC_UPDATE_SECONDS=0)
    cases = [_answer(connector, n, days_ago) for n, days_ago in ((0, 9), (1, 8), (2, 6))]
    connector.wait_synced(cases, timeout=30)
    [issue] = wait_until(lambda: [i for i in _issues(connector) if i["problem_ticket_id"]], timeout=30)

    fourth = _answer(connector, 3, 4)
    [case] = connector.wait_synced([fourth], timeout=30)
    ticket_id = case["zendesk_ticket_id"]
    wait_until(lambda: f"Recovery ticket #{ticket_id} (case {fourth})" in _text_of(vendors, issue["problem_ticket_id"]),
               timeout=30)
    first, *later = [c["body"] for c in vendors.zendesk.comments[ticket_id]]
    assert f"see problem ticket #{issue['problem_ticket_id']}" in first  # the note came with the ticket
    assert "systemic_billing" in vendors.zendesk.tickets[ticket_id]["tags"]
    assert not [body for body in later if "systemic issue" in body]  # and no bulk update added it again
