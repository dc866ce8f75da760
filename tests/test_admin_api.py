"""Admin API: bearer auth and the contract's case fields."""
from tests.signing import answer_payload, post_answer

CONTRACT_FIELDS = {"id", "status", "customer_email", "score", "category", "severity", "profile",
                   "profile_signals", "value_tier", "priority", "owner", "stages", "zendesk_ticket_id",
                   "hubspot_contact_id", "sync_status", "outcome"}


def test_healthz_needs_no_auth(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_healthz_reports_database_down(client, runtime, monkeypatch):
    monkeypatch.setattr("connector.web.health.ping", lambda engine: False)
    assert client.get("/healthz").status_code == 503


def test_admin_needs_the_bearer_token(client):
    assert client.get("/api/cases/1").status_code == 401
    assert client.get("/api/cases/1", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/cases/1", headers={"Authorization": "Basic x"}).status_code == 401


def test_case_has_contract_fields(client, admin_headers):
    case_id = post_answer(client, answer_payload()).get_json()["case_id"]
    case = client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json()
    assert CONTRACT_FIELDS <= set(case)
    assert case["status"] == "open" and case["customer_email"] == "marie@example.com"
    assert (case["score"], case["category"], case["severity"]) == (3, "detractor", "critical")
    assert (case["value_tier"], case["priority"]) == ("critical", "urgent")
    assert case["sync_status"] == "pending" and case["outcome"] is None
    assert [s["key"] for s in case["stages"]] == ["recognition", "empathy", "action", "compensation",
                                                  "tracking_d7", "tracking_d14", "tracking_d30", "resurvey_d60"]
    assert {s["status"] for s in case["stages"]} == {"pending"}
    assert {"key", "due_at", "status", "completed_at"} <= set(case["stages"][0])


def test_cases_by_email_is_case_insensitive(client, admin_headers):
    post_answer(client, answer_payload())
    post_answer(client, answer_payload(response_id="other", customer={"email": "paul@example.com"}))
    cases = client.get("/api/cases?email=Marie@Example.com", headers=admin_headers).get_json()["cases"]
    assert [c["customer_email"] for c in cases] == ["marie@example.com"]
    assert client.get("/api/cases", headers=admin_headers).status_code == 422


def test_unknown_case_is_404(client, admin_headers):
    assert client.get("/api/cases/999", headers=admin_headers).status_code == 404


def test_complete_stage(client, admin_headers):
    case_id = post_answer(client, answer_payload()).get_json()["case_id"]
    url = f"/api/cases/{case_id}/stages/empathy/complete"
    case = client.post(url, headers=admin_headers).get_json()
    empathy = next(s for s in case["stages"] if s["key"] == "empathy")
    assert empathy["status"] == "done" and empathy["completed_at"]
    again = client.post(url, headers=admin_headers).get_json()
    assert next(s for s in again["stages"] if s["key"] == "empathy")["completed_at"] == empathy["completed_at"]
    assert client.post(f"/api/cases/{case_id}/stages/nope/complete", headers=admin_headers).status_code == 404
    assert client.post("/api/cases/999/stages/empathy/complete", headers=admin_headers).status_code == 404


def test_compensation_given_is_recorded_when_the_stage_completes(client, admin_headers):
    case_id = post_answer(client, answer_payload()).get_json()["case_id"]
    url = f"/api/cases/{case_id}/stages/compensation/complete"
    bad = client.post(url, headers=admin_headers, json={"compensation": {"type": "cash", "amount": -5}})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]["compensation"]) == {"type", "amount", "currency"}
    stage = lambda case: next(s for s in case["stages"] if s["key"] == "compensation")  # noqa: E731
    assert stage(client.get(f"/api/cases/{case_id}", headers=admin_headers).get_json())["status"] == "pending"
    given = {"type": "free_months", "amount": "2", "currency": "eur", "note": "two months on the Pro plan"}
    case = client.post(url, headers=admin_headers, json={"compensation": given}).get_json()
    assert stage(case)["status"] == "done"
    assert stage(case)["details"] == {"compensation": {"type": "free_months", "amount": "2", "currency": "EUR",
                                                       "note": "two months on the Pro plan"}}


def test_lists_name_each_rows_company_and_filter_on_it(client, runtime, admin_headers):
    from connector.store.db import transaction
    from connector.store.models import Case, Job

    ids = [post_answer(client, answer_payload(response_id=f"r{i}"), msg_id=f"m{i}").get_json()["case_id"]
           for i in (1, 2)]  # the same customer twice: the second answer closes the first case and opens another
    with transaction(runtime.sessions) as session:
        session.get(Case, ids[1]).tenant_id = "t_acme"
        session.add(Job(kind="zendesk.sync_case", ref_id=ids[1], dedupe_key="dead-acme", status="dead",
                        tenant_id="t_acme"))
    everyone = client.get("/api/cases?email=marie@example.com", headers=admin_headers).get_json()["cases"]
    assert [(c["id"], c["tenant"]) for c in everyone] == [(ids[0], "default"), (ids[1], "t_acme")]
    acme = client.get("/api/cases?email=marie@example.com&tenant=t_acme", headers=admin_headers).get_json()["cases"]
    assert [c["id"] for c in acme] == [ids[1]]
    jobs = client.get("/api/jobs?status=dead&tenant=t_acme", headers=admin_headers).get_json()["jobs"]
    assert [(j["ref_id"], j["tenant"]) for j in jobs] == [(ids[1], "t_acme")]
    assert client.get("/api/jobs?status=dead&tenant=default", headers=admin_headers).get_json()["jobs"] == []
    deliveries = client.get("/api/deliveries?tenant=default", headers=admin_headers).get_json()["deliveries"]
    assert len(deliveries) == 2 and {d["tenant"] for d in deliveries} == {"default"}
    assert client.get("/api/deliveries?tenant=t_acme", headers=admin_headers).get_json()["deliveries"] == []
