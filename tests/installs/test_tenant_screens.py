"""The sidebar and the card show the case of the account Zendesk or HubSpot signed for, never
another tenant's, even when ticket ids or contact ids collide across accounts."""
import re
import time

import pytest

from connector.cases.intake import accept
from connector.inbound.crm_signatures import sign_hubspot_v3
from connector.inbound.schemas import validate_answer
from connector.installs import store
from connector.store.db import transaction
from connector.store.models import Case
from tests.conftest import make_runtime, plan
from tests.installs.support import START, grant, oauth_config
from tests.signing import answer_payload
from tests.ui_support import ZafKeys


@pytest.fixture
def setup(db_url, tmp_path):
    zaf = ZafKeys(tmp_path)
    rt = make_runtime(oauth_config(db_url, ZENDESK_APP_PUBLIC_KEY=zaf.public_pem, ZENDESK_SUBDOMAIN="home"))
    cases = {}
    with transaction(rt.sessions) as session:
        for tenant, subdomain, portal in (("t_acme", "acme", "101"), ("t_globex", "globex", "202")):
            store.save_grant(session, rt.directory.cipher, tenant, "zendesk", grant(subdomain), START)
            store.save_grant(session, rt.directory.cipher, tenant, "hubspot", grant(portal), START)
    for tenant in ("t_acme", "t_globex"):
        data = validate_answer(answer_payload(response_id=f"r-{tenant}", customer={"email": f"x@{tenant.replace('_', '-')}.example.com"}))
        cases[tenant] = accept(rt.sessions, rt.policies, data, source="generic", now=rt.clock(), tenant_id=tenant).body["case_id"]
    plan(rt)
    with transaction(rt.sessions) as session:
        for case_id in cases.values():  # the same ticket and contact ids in both accounts
            case = session.get(Case, case_id)
            case.zendesk_ticket_id, case.hubspot_contact_id = 9001, "501"
    from connector.web.app import create_app

    yield zaf, rt, create_app(rt.config, runtime=rt).test_client(), cases
    rt.engine.dispose()


def _aud(subdomain: str) -> str:
    return f"https://{subdomain}.zendesk.com/api/v2/apps/installations/7.json"


def test_the_sidebar_shows_the_signed_accounts_case_only(setup):
    zaf, rt, ui, cases = setup
    for tenant, subdomain in (("t_acme", "acme"), ("t_globex", "globex")):
        page = ui.post("/zendesk/sidebar", data={"token": zaf.token({"aud": _aud(subdomain), "iss": f"{subdomain}.zendesk.com"})})
        assert page.status_code == 200, page.text
        session_token = re.search(r'name="recovery-session" content="([^"]+)"', page.text).group(1)
        fragment = ui.get("/zendesk/sidebar/case?ticket_id=9001", headers={"X-Recovery-Session": session_token})
        assert fragment.status_code == 200
        shown = set(map(int, re.findall(r'data-case-id="(\d+)"', fragment.text)))
        assert shown == {cases[tenant]}


def test_an_account_that_never_installed_gets_no_session(setup):
    zaf, rt, ui, _ = setup
    page = ui.post("/zendesk/sidebar", data={"token": zaf.token({"aud": _aud("initech"), "iss": "initech.zendesk.com"})})
    assert page.status_code == 403


def test_the_card_answers_for_the_signed_portal_only(setup):
    _, rt, ui, cases = setup
    for tenant, portal in (("t_acme", "101"), ("t_globex", "202"), (None, "999")):
        path = f"/hubspot/card?portalId={portal}&associatedObjectId=501"
        stamp = str(int(time.time() * 1000))
        signature = sign_hubspot_v3(rt.config["HUBSPOT_CLIENT_SECRET"], "GET", f"http://localhost{path}", b"", stamp)
        answer = ui.get(path, headers={"X-HubSpot-Request-Timestamp": stamp, "X-HubSpot-Signature-v3": signature})
        assert answer.status_code == 200
        assert answer.get_json()["case_id"] == (cases[tenant] if tenant else None)


def test_hubspot_events_of_an_installed_portal_complete_that_tenants_stage_only(setup):
    """Looking up the portal's tenant and its adapters must not wait on the events' own write
    transaction (on SQLite that was a 'database is locked' 500)."""
    import json

    from sqlalchemy import select

    from connector.ports.keys import hubspot_task_key, ledger_scope
    from connector.store.models import SideEffect, Stage

    _, rt, ui, cases = setup
    with transaction(rt.sessions) as session:  # both tenants' recognition tasks got id 77 in their portals
        for case_id in cases.values():
            session.add(SideEffect(scope=ledger_scope(case_id), key=hubspot_task_key("recognition"), external_id="77"))
    event = {"eventId": 1, "portalId": 202, "subscriptionType": "object.propertyChange", "objectTypeId": "0-27",
             "objectId": 77, "propertyName": "hs_task_status", "propertyValue": "COMPLETED"}
    first = {**event, "eventId": 2, "portalId": 101, "objectId": 999}  # an unknown task: a read goes first
    body = json.dumps([first, event]).encode()
    stamp = str(int(time.time() * 1000))
    signature = sign_hubspot_v3(rt.config["HUBSPOT_CLIENT_SECRET"], "POST", "http://localhost/webhooks/hubspot", body, stamp)
    answer = ui.post("/webhooks/hubspot", data=body, headers={
        "Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp, "X-HubSpot-Signature-v3": signature})
    assert answer.status_code == 200, answer.get_json()
    with transaction(rt.sessions) as session:
        done = {s.case_id: s.status for s in session.scalars(select(Stage).where(Stage.key == "recognition"))}
    assert done == {cases["t_acme"]: "pending", cases["t_globex"]: "done"}
