"""The screens over the Flask test client: sidebar tokens, card signature, dashboard auth and CSRF."""
import html
import json
import re
import time

import pytest
from sqlalchemy import select

from connector.domain.policies import stage_asks
from connector.inbound.crm_signatures import sign_hubspot_v3
from connector.store.db import transaction
from connector.store.models import Case, Job
from connector.web.zaf_jwt import TokenError, verify_zaf_token
from tests.conftest import ADMIN_TOKEN
from tests.signing import HUBSPOT_CLIENT_SECRET, OTHER_SECRET, answer_payload, post_answer, signed_headers
from tests.ui_support import AUD, ZafKeys, dead_job, open_case


@pytest.fixture
def zaf(tmp_path):
    return ZafKeys(tmp_path)


@pytest.fixture
def ui_app(runtime, zaf):
    from connector.web.app import create_app
    runtime.config.update(ZENDESK_APP_PUBLIC_KEY=zaf.public_pem, ZENDESK_APP_AUD=AUD)
    return create_app(runtime.config, runtime=runtime)


@pytest.fixture
def ui(ui_app):
    return ui_app.test_client()


def _session(ui, zaf) -> str:
    page = ui.post("/zendesk/sidebar", data={"token": zaf.token()})
    assert page.status_code == 200, page.text
    return re.search(r'name="recovery-session" content="([^"]+)"', page.text).group(1)


def test_zaf_token_checks(zaf):
    claims = verify_zaf_token(zaf.token(), zaf.public_pem, now=time.time(), audience=AUD)
    assert claims["aud"] == AUD
    good = zaf.token()
    tampered = good.rsplit(".", 1)[0][:-2] + "xx." + good.rsplit(".", 1)[1]
    for token, reason in ((tampered, "signature|JSON|base64"), (zaf.token({"exp": int(time.time()) - 3600}), "expired"),
                          (zaf.token({"aud": "https://other.zendesk.com/x"}), "another installation"),
                          (zaf.token(alg="HS256"), "RS256"), ("a.b", "not a JWT")):
        with pytest.raises(TokenError, match=reason):
            verify_zaf_token(token, zaf.public_pem, now=time.time(), audience=AUD)


def test_sidebar_refuses_without_a_signed_token(ui, zaf):
    assert ui.post("/zendesk/sidebar", data={"token": "nope"}).status_code == 401
    assert ui.get("/zendesk/sidebar").status_code == 401
    assert ui.get("/zendesk/sidebar/case?ticket_id=1").status_code == 401


def test_sidebar_shows_the_case_and_completes_stages(ui, runtime, client, zaf):
    case_id = open_case(runtime, ui, submitted_at="2020-01-01T10:00:00+00:00")
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": _session(ui, zaf)})
    assert fragment.status_code == 200
    assert f"Recovery case #{case_id}" in fragment.text and "OVERDUE" in fragment.text
    assert "marie@example.com" not in fragment.text
    token = re.search(r'data-case-token="([^"]+)"', fragment.text).group(1)
    url = f"/zendesk/sidebar/cases/{case_id}/stages/recognition/complete"
    assert ui.post(url, json={}).status_code == 401
    assert ui.post(f"/zendesk/sidebar/cases/{case_id + 1}/stages/recognition/complete", json={},
                   headers={"X-Recovery-Case": token}).status_code == 401
    assert ui.post(url, json={}, headers={"X-Recovery-Case": token}).get_json()["changed"] is True
    comp = f"/zendesk/sidebar/cases/{case_id}/stages/compensation/complete"
    bad = ui.post(comp, json={"compensation": {"type": "cash", "amount": "-1", "currency": "EURO"}},
                  headers={"X-Recovery-Case": token})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]["compensation"]) == {"type", "amount", "currency"}
    ok = ui.post(comp, json={"compensation": {"type": "credit", "amount": "120.50", "currency": "eur"}},
                 headers={"X-Recovery-Case": token})
    assert ok.status_code == 200
    with transaction(runtime.sessions) as session:
        stages = {s.key: s for s in session.get(Case, case_id).stages}
        assert stages["recognition"].status == "done"
        assert stages["compensation"].details["compensation"] == {
            "type": "credit", "amount": "120.50", "currency": "EUR", "note": None}


def test_sidebar_offers_the_default_gesture_and_records_none_or_priority_support(ui, runtime, zaf):
    from connector.domain.compensation import default_gesture
    case_id = open_case(runtime, ui)
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": _session(ui, zaf)})
    with transaction(runtime.sessions) as session:
        case = session.get(Case, case_id)
        gesture = default_gesture(case.value_tier, case.profile, grid=runtime.policies.compensation)
    assert f"Default: {gesture.offer}." in fragment.text and 'name="reason"' in fragment.text
    token = re.search(r'data-case-token="([^"]+)"', fragment.text).group(1)
    comp, headers = f"/zendesk/sidebar/cases/{case_id}/stages/compensation/complete", {"X-Recovery-Case": token}
    bad = ui.post(comp, json={"compensation": {"type": "none", "amount": "5"}}, headers=headers)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]["compensation"]) == {"reason", "amount"}
    assert ui.post(comp, json={"compensation": {"type": "none", "reason": "Only wants the fix."}},
                   headers=headers).status_code == 200
    later = ui.post(comp, json={"compensation": {"type": "credit", "amount": "50", "currency": "EUR",
                                                 "priority_support_days": 90}}, headers=headers)
    assert later.status_code == 200
    shown = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": _session(ui, zaf)})
    assert "credit 50 EUR + 90 days priority support" in shown.text
    with transaction(runtime.sessions) as session:
        kinds = session.scalars(select(Job.kind).where(Job.ref_id == case_id)).all()
    assert kinds.count("zendesk.priority_support") == 1


def test_a_french_agent_reads_the_gesture_the_guidance_and_the_stage_asks_in_french(ui, runtime, zaf):
    open_case(runtime, ui)
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001&locale=fr-FR",
                      headers={"X-Recovery-Session": _session(ui, zaf)}).text
    assert "Un geste est facultatif" in fragment and "A gesture is optional" not in fragment
    assert "Call the customer." not in fragment and "Appelez le client." in fragment
    assert "Default for" not in fragment and "Par défaut pour" in fragment


def test_sidebar_finds_the_case_from_an_earlier_ticket(ui, runtime, zaf):
    from connector.ports.keys import followup_for_key, ledger_scope
    from connector.store.snapshots import DbLedger
    case_id = open_case(runtime, ui, ticket_id=9100)
    DbLedger(runtime.sessions, ledger_scope(case_id)).record(followup_for_key(9100), "9101")
    with transaction(runtime.sessions) as session:
        session.get(Case, case_id).zendesk_ticket_id = 9101
    headers = {"X-Recovery-Session": _session(ui, zaf)}
    for ticket in (9100, 9101):
        assert f"Recovery case #{case_id}" in ui.get(f"/zendesk/sidebar/case?ticket_id={ticket}", headers=headers).text
    assert "No recovery case" in ui.get("/zendesk/sidebar/case?ticket_id=7", headers=headers).text


def _signed_card(ui, query: str, *, secret=HUBSPOT_CLIENT_SECRET):
    stamp = str(int(time.time() * 1000))
    url = f"http://localhost/hubspot/card?{query}"
    return ui.get(url, headers={"X-HubSpot-Request-Timestamp": stamp,
                                "X-HubSpot-Signature-v3": sign_hubspot_v3(secret, "GET", url, b"", stamp)})


def test_hubspot_card_is_signed_and_describes_the_case(ui, runtime):
    case_id = open_case(runtime, ui)
    card = _signed_card(ui, "associatedObjectId=501&portalId=42")
    assert card.status_code == 200
    body = card.get_json()
    assert body["incident"] is True and body["case_id"] == case_id and body["stage"] == "recognition"
    assert body["stage_label"] == "Recognition" and body["results"][0]["properties"][1]["value"] == "Recognition"
    assert body["next_due_at"] and body["results"][0]["title"] == f"Recovery case #{case_id}"
    assert _signed_card(ui, "associatedObjectId=501", secret="wrong").status_code == 401
    assert ui.get("/hubspot/card?associatedObjectId=501").status_code == 401
    assert _signed_card(ui, "associatedObjectId=999").get_json()["incident"] is False


def _login(ui, token=ADMIN_TOKEN):
    return ui.post("/dashboard/login", data={"token": token})


def test_dashboard_login_cookie_and_csrf(ui, runtime):
    assert ui.get("/dashboard").status_code == 303
    assert _login(ui, "wrong").status_code == 401
    answer = _login(ui)
    cookie = answer.headers["Set-Cookie"]
    assert answer.status_code == 303 and ADMIN_TOKEN not in cookie and ADMIN_TOKEN not in answer.location
    for flag in ("Secure", "HttpOnly", "SameSite=Strict"):
        assert flag in cookie
    case_id = open_case(runtime, ui)
    job_id = dead_job(runtime, case_id)
    page = ui.get("/dashboard")
    assert page.status_code == 200 and f"Case #{case_id}" in page.text and f'id="job-{job_id}"' in page.text
    assert ADMIN_TOKEN not in page.text and HUBSPOT_CLIENT_SECRET not in page.text
    assert ui.post(f"/dashboard/jobs/{job_id}/replay").status_code == 400  # no CSRF token
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert ui.post(f"/dashboard/jobs/{job_id}/replay", data={"csrf_token": csrf}).status_code == 303
    with transaction(runtime.sessions) as session:
        assert session.get(Job, job_id).status == "queued"


def _delivery_row(page: str, delivery_id: int) -> str:
    return re.search(rf'<tr id="delivery-{delivery_id}">.*?</tr>', page, re.S).group(0)


def test_the_delivery_log_replays_the_failed_sync_behind_a_delivery(ui, runtime):
    from connector.store.models import Answer, Delivery

    case_a = open_case(runtime, ui)
    open_case(runtime, ui, response_id="srv-ui-2", email="paul@example.com", ticket_id=9002)
    payload = answer_payload(response_id="srv-ui-1", customer={"email": "marie@example.com"})
    assert post_answer(ui, payload).status_code == 200                      # the survey tool sent it twice
    assert post_answer(ui, answer_payload(response_id="srv-bad", score=42)).status_code == 422  # and a bad one
    case_job = dead_job(runtime, case_a)
    with transaction(runtime.sessions) as session:
        answer_b = session.scalar(select(Answer.id).where(Answer.response_id == "srv-ui-2"))
        answer_job = Job(kind="hubspot.sync_answer", ref_id=answer_b, dedupe_key="dead-answer-b", status="dead",
                         attempts=3, last_error="HubSpotPermanentError: 400")
        session.add(answer_job)
        session.flush()
        answer_job = answer_job.id
        rows = {(d.response_id, d.status_code): d.id for d in session.scalars(select(Delivery))}
    assert set(rows) == {("srv-ui-1", 202), ("srv-ui-2", 202), ("srv-ui-1", 200), (None, 422)}
    _login(ui)
    page = ui.get("/dashboard").text
    for key in (("srv-ui-1", 202), ("srv-ui-1", 200), ("srv-ui-2", 202)):
        assert "1 failed" in _delivery_row(page, rows[key]) and "Replay" in _delivery_row(page, rows[key])
    assert "Replay" not in _delivery_row(page, rows[(None, 422)])
    replay = f"/dashboard/deliveries/{rows[('srv-ui-2', 202)]}/replay"
    assert ui.post(replay).status_code == 400  # no CSRF token
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = ui.post(replay, data={"csrf_token": csrf})
    assert answer.status_code == 303 and "requeued=1" in answer.location
    with transaction(runtime.sessions) as session:  # only the jobs behind that delivery
        assert (session.get(Job, answer_job).status, session.get(Job, case_job).status) == ("queued", "dead")
    assert "requeued=0" in ui.post(replay, data={"csrf_token": csrf}).location
    listed = ui.get("/api/deliveries", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).get_json()["deliveries"]
    assert {d["response_id"] for d in listed} == {"srv-ui-1", "srv-ui-2", None}


def test_the_dashboard_shows_one_company_at_a_time(ui, runtime):
    from connector.installs import store
    from connector.installs.crypto import TokenCipher, generate_key

    runtime.directory.cipher = TokenCipher(generate_key())
    ours = open_case(runtime, ui)
    with transaction(runtime.sessions) as session:
        store.set_tenant_secrets(session, runtime.directory.cipher, "t_acme",
                                 {"WEBHOOK_SECRET": OTHER_SECRET, "CHAT_WEBHOOK_URL": "https://chat.example/hook"})
    body = json.dumps(answer_payload(response_id="acme-1", customer={"email": "zoe@example.com"})).encode()
    answer = ui.post("/t/t_acme/webhooks/surveys/generic", data=body, headers=signed_headers(body, secret=OTHER_SECRET))
    assert answer.status_code == 202, answer.get_json()
    theirs = answer.get_json()["case_id"]
    dead_job(runtime, theirs)
    _login(ui)
    default = ui.get("/dashboard").text
    assert f"Case #{ours}" in default and f"Case #{theirs}" not in default and "1 failed" not in default
    acme = ui.get("/dashboard?tenant=t_acme").text
    assert f"Case #{theirs}" in acme and f"Case #{ours}" not in acme
    assert "1 failed" in acme and 'value="t_acme" selected' in acme
    assert "CHAT_WEBHOOK_URL, WEBHOOK_SECRET" in acme and "chat.example" not in acme and OTHER_SECRET not in acme
    assert ui.get("/dashboard?tenant=nobody").status_code == 404
    # A replay from the company's page comes back to that page.
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', acme).group(1)
    delivery = re.search(r'/dashboard/deliveries/(\d+)/replay', acme).group(1)
    back = ui.post(f"/dashboard/deliveries/{delivery}/replay", data={"csrf_token": csrf, "tenant": "t_acme"})
    assert "tenant=t_acme" in back.location and "requeued=1" in back.location


def test_login_redirect_stays_on_this_site(ui):
    assert _login(ui).location.endswith("/dashboard")
    answer = ui.post("/dashboard/login", data={"token": ADMIN_TOKEN, "next": "//evil.example/x"})
    assert "evil" not in answer.location


def test_card_preview_needs_admin_and_escapes(ui, runtime):
    assert ui.get("/hubspot/card/preview?email=marie@example.com").status_code == 401
    open_case(runtime, ui)
    _login(ui)
    page = ui.get("/hubspot/card/preview?email=marie@example.com")
    assert page.status_code == 200 and "Open incident" in page.text
    hostile = ui.get('/hubspot/card/preview?email=<script>alert(1)</script>')
    assert "<script>alert(1)</script>" not in hostile.text and "&lt;script&gt;" in hostile.text


def test_sidebar_says_how_the_resurvey_went_out(ui, runtime, zaf):
    case_id = open_case(runtime, ui, submitted_at="2020-01-01T10:00:00+00:00")
    headers = {"X-Recovery-Session": _session(ui, zaf)}
    for channel, shown in (("manual", "re-survey to send by hand"), ("delighted", "re-survey sent by delighted")):
        with transaction(runtime.sessions) as session:
            stage = next(s for s in session.get(Case, case_id).stages if s.key == "resurvey_d60")
            stage.details = {"resurvey": {"channel": channel}}
        assert shown in ui.get("/zendesk/sidebar/case?ticket_id=9001", headers=headers).text


def test_the_dashboard_shows_the_active_protocol_and_playbooks(ui, runtime):
    _login(ui)
    page = ui.get("/dashboard").text
    assert "<summary>protocol</summary>" in page and "<summary>playbooks</summary>" in page
    protocol = re.search(r"<summary>protocol</summary><pre>(.*?)</pre>", page, re.S).group(1)
    assert protocol.count("&#34;key&#34;") == 8 and "&#34;CALL&#34;" in protocol
    assert "graceful exit" in re.search(r"<summary>playbooks</summary><pre>(.*?)</pre>", page, re.S).group(1)
    assert "<summary>calls_on_business_hours</summary><pre>false</pre>" in page


def test_the_sidebar_asks_what_the_cases_playbook_and_tier_ask(ui, runtime, zaf):
    case_id = open_case(runtime, ui)
    with transaction(runtime.sessions) as session:
        case = session.get(Case, case_id)
        case.profile, tier = "structural", case.value_tier
    fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": _session(ui, zaf)}).text
    asks = dict(re.findall(r'<span class="title" title="([^"]*)">([^<]+)</span>', fragment))
    by_title = {title: html.unescape(ask) for ask, title in asks.items()}
    assert "graceful exit" in by_title["Action plan"]
    assert by_title["Compensation"] == stage_asks("structural", tier, runtime.policies)["compensation"]
    assert by_title["Tracking (day 30)"] == runtime.policies.protocol["tracking_d30"].ask
