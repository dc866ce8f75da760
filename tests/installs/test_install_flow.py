"""OAuth installs through the web app: install -> vendor consent -> callback -> tenant, and a
tenant's own webhook URL that only that tenant's secret opens."""
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from sqlalchemy import func, select

from connector.cases import feeding
from connector.installs import store
from connector.store.db import transaction
from connector.store.models import Answer, Delivery
from connector.store.tenancy import Installation
from tests.conftest import ADMIN_TOKEN, make_runtime
from tests.installs.support import HUBSPOT_API, oauth_config
from tests.signing import answer_payload, signed_headers


@pytest.fixture
def rt(db_url):
    rt = make_runtime(oauth_config(db_url))
    yield rt
    rt.engine.dispose()


@pytest.fixture
def client(rt):
    from connector.web.app import create_app

    return create_app(rt.config, runtime=rt).test_client()


ACCESS, REFRESH = "hs-access-SECRET-1", "hs-refresh-SECRET-1"


def _mock_hubspot(hub_id: int, access: str = ACCESS):
    responses.post(f"{HUBSPOT_API}/oauth/v3/token", json={"access_token": access, "refresh_token": REFRESH,
                                                          "expires_in": 1800, "token_type": "bearer"})
    responses.post(f"{HUBSPOT_API}/oauth/v3/token/introspect", json={"active": True, "hub_id": hub_id,
                                                                     "scopes": ["oauth"]})


def _consent(client, path: str) -> dict:
    """Start an install; return the query the vendor's consent page received."""
    started = client.get(path)
    assert started.status_code == 302, started.get_data(as_text=True)
    return {k: v[0] for k, v in parse_qs(urlparse(started.headers["Location"]).query).items()}


def install_hubspot(client, hub_id: int, path: str = "/oauth/hubspot/install"):
    query = _consent(client, path)
    _mock_hubspot(hub_id)
    return client.get(f"/oauth/hubspot/callback?code=c-{hub_id}&state={query['state']}")


def _tenant(rt, vendor: str, account: str) -> str | None:
    with transaction(rt.sessions) as session:
        return store.tenant_for_account(session, vendor, account)


@responses.activate
def test_a_hubspot_install_creates_a_tenant_with_its_own_webhook_secret(rt, client):
    page = install_hubspot(client, 4242)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    tenant = _tenant(rt, "hubspot", "4242")
    assert tenant and tenant.startswith("t_") and tenant in html
    assert f"/t/{tenant}/webhooks/surveys/generic" in html
    with transaction(rt.sessions) as session:
        secret = store.tenant_secrets(session, rt.directory.cipher, tenant)["WEBHOOK_SECRET"]
    assert secret in html  # shown once, to the admin who just installed
    assert ACCESS not in html and REFRESH not in html


@responses.activate
def test_a_callback_from_another_browser_or_with_a_forged_state_installs_nothing(rt, client):
    query = _consent(client, "/oauth/hubspot/install")
    _mock_hubspot(4242)
    client.delete_cookie("recovery_oauth_nonce", path="/oauth")
    assert client.get(f"/oauth/hubspot/callback?code=c&state={query['state']}").status_code == 400
    _consent(client, "/oauth/hubspot/install")
    assert client.get(f"/oauth/hubspot/callback?code=c&state={query['state']}x").status_code == 400
    assert client.get("/oauth/hubspot/callback?error=access_denied").status_code == 400
    assert not any("oauth/v3/token" in c.request.url for c in responses.calls)
    with transaction(rt.sessions) as session:
        assert session.scalar(select(func.count(Installation.id))) == 0


@responses.activate
def test_connecting_zendesk_from_the_hubspot_page_joins_the_same_tenant(rt, client):
    html = install_hubspot(client, 4242).get_data(as_text=True)
    tenant = _tenant(rt, "hubspot", "4242")
    join = next(part for part in html.split('"') if "/oauth/zendesk/install?join=" in part).replace("&amp;", "&")
    ask = client.get(urlparse(join).path + "?" + urlparse(join).query)
    assert ask.status_code == 200 and "subdomain" in ask.get_data(as_text=True)
    query = _consent(client, urlparse(join).path + "?" + urlparse(join).query + "&subdomain=acme")
    assert query["redirect_uri"].endswith("/oauth/zendesk/callback")
    responses.post("https://acme.zendesk.com/oauth/tokens", json={
        "access_token": "ZAT", "refresh_token": "ZRT", "expires_in": 172800, "token_type": "bearer"})
    done = client.get(f"/oauth/zendesk/callback?code=z&state={query['state']}")
    assert done.status_code == 200, done.get_data(as_text=True)
    assert _tenant(rt, "zendesk", "acme") == tenant


@responses.activate
def test_disconnecting_zendesk_revokes_the_token_at_zendesk_too(rt, client):
    query = _consent(client, "/oauth/zendesk/install?subdomain=acme")
    responses.post("https://acme.zendesk.com/oauth/tokens", json={
        "access_token": "ZAT-SECRET", "refresh_token": "ZRT", "expires_in": 172800, "token_type": "bearer"})
    assert client.get(f"/oauth/zendesk/callback?code=z&state={query['state']}").status_code == 200
    tenant = _tenant(rt, "zendesk", "acme")
    responses.get("https://acme.zendesk.com/api/v2/oauth/tokens/current.json", json={"token": {"id": 77}})
    responses.delete("https://acme.zendesk.com/api/v2/oauth/tokens/77.json", status=204)
    gone = client.delete(f"/api/installations/{tenant}/zendesk", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert gone.status_code == 200 and gone.get_json()["revoked_at_vendor"] is True
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer ZAT-SECRET"
    assert _tenant(rt, "zendesk", "acme") is None


@responses.activate
def test_a_forged_join_link_cannot_attach_an_account_to_someone_elses_tenant(rt, client):
    install_hubspot(client, 4242)
    victim = _tenant(rt, "hubspot", "4242")
    forged = client.get(f"/oauth/zendesk/install?join={victim}&subdomain=evil")
    assert forged.status_code == 400


@responses.activate
def test_a_tenants_webhook_opens_only_with_that_tenants_secret(rt, client):
    install_hubspot(client, 4242)
    tenant = _tenant(rt, "hubspot", "4242")
    with transaction(rt.sessions) as session:
        secret = store.tenant_secrets(session, rt.directory.cipher, tenant)["WEBHOOK_SECRET"]
    body = json.dumps(answer_payload(response_id="t-1")).encode()
    url = f"/t/{tenant}/webhooks/surveys/generic"
    deployment_secret = rt.config["WEBHOOK_SECRET"]
    assert client.post(url, data=body, headers=signed_headers(body, secret=deployment_secret)).status_code == 401
    assert client.post("/t/t_nobody/webhooks/surveys/generic", data=body,
                       headers=signed_headers(body, secret=secret)).status_code == 404
    assert client.post("/webhooks/surveys/generic", data=body,
                       headers=signed_headers(body, secret=secret)).status_code == 401
    accepted = client.post(url, data=body, headers=signed_headers(body, secret=secret))
    assert accepted.status_code == 202, accepted.get_json()
    feeding.feed_answers(rt)  # the worker writes the accepted delivery's row from its answer
    with transaction(rt.sessions) as session:
        assert [(a.tenant_id, a.response_id) for a in session.scalars(select(Answer))] == [(tenant, "t-1")]
        logged = [(d.tenant_id, d.status_code) for d in session.scalars(select(Delivery).order_by(Delivery.id))]
    # Each tenant sees its own delivery log; the refused attempts proved no sender: counted, not stored.
    assert logged == [(tenant, 202)]


@responses.activate
def test_the_admin_lists_installs_without_tokens_and_can_disconnect_one(rt, client):
    install_hubspot(client, 4242)
    tenant = _tenant(rt, "hubspot", "4242")
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    listed = client.get("/api/installations", headers=headers)
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert '"account":"4242"' in text.replace(" ", "") and "WEBHOOK_SECRET" in text
    assert "whsec_" not in text and ACCESS not in text and REFRESH not in text
    assert client.get("/api/installations").status_code == 401
    put = client.put(f"/api/tenants/{tenant}/secrets", headers=headers, json={"TYPEFORM_SECRET": "tf", "NOPE": "x"})
    assert put.status_code == 422 and set(put.get_json()["fields"]) == {"NOPE"}
    bad = {"CHAT_WEBHOOK_URL": "hooks.slack.com/no-scheme", "DELIGHTED_SECRET": 7}
    put = client.put(f"/api/tenants/{tenant}/secrets", headers=headers, json=bad)
    assert put.status_code == 422 and set(put.get_json()["fields"]) == set(bad)
    with transaction(rt.sessions) as session:  # a refused request stores nothing
        assert "TYPEFORM_SECRET" not in store.tenant_secrets(session, rt.directory.cipher, tenant)
    chat = "https://hooks.slack.com/services/T000/B000/XXXX"
    put = client.put(f"/api/tenants/{tenant}/secrets", headers=headers, json={"CHAT_WEBHOOK_URL": chat})
    assert put.status_code == 200 and "CHAT_WEBHOOK_URL" in put.get_json()["secrets"]
    assert chat not in put.get_data(as_text=True)
    assert rt.for_tenant(tenant).chat.url == chat and rt.for_tenant("default").chat is None
    cleared = client.put(f"/api/tenants/{tenant}/secrets", headers=headers, json={"CHAT_WEBHOOK_URL": ""})
    assert "CHAT_WEBHOOK_URL" not in cleared.get_json()["secrets"] and rt.for_tenant(tenant).chat is None
    responses.post(f"{HUBSPOT_API}/oauth/v3/token/revoke", body="")
    gone = client.delete(f"/api/installations/{tenant}/hubspot", headers=headers)
    assert gone.status_code == 200 and gone.get_json()["installations"] == 1
    assert gone.get_json()["revoked_at_vendor"] is True
    revoke = responses.calls[-1]
    assert revoke.request.url.endswith("/oauth/v3/token/revoke") and f"token={REFRESH}" in revoke.request.body
    assert _tenant(rt, "hubspot", "4242") is None
    assert client.delete(f"/api/installations/{tenant}/hubspot", headers=headers).status_code == 404


@responses.activate
def test_a_hubspot_feedback_submission_lands_with_the_tenant_of_its_signed_portal(rt, client):
    from tests.surveys.vendors import sign_hubspot

    install_hubspot(client, 4242)
    tenant = _tenant(rt, "hubspot", "4242")
    fixture = Path(__file__).parent.parent / "surveys" / "fixtures" / "hubspot_feedback_submission.json"
    secret = rt.config["HUBSPOT_CLIENT_SECRET"]
    for portal, response_id in ((4242, "fb-ours"), (999, "fb-stranger")):
        payload = {**json.loads(fixture.read_text()), "portalId": portal, "objectId": response_id, "id": response_id}
        body = json.dumps(payload).encode()
        answered = client.post("/webhooks/surveys/hubspot", data=body, headers=sign_hubspot(body, secret=secret))
        assert answered.status_code in (200, 202), answered.get_json()
    with transaction(rt.sessions) as session:
        stored = [(a.tenant_id, a.response_id) for a in session.scalars(select(Answer))]
    # Ours lands with the installing tenant; the unknown portal's goes to no one (the environment
    # connects no HubSpot account here), never to the default tenant or another one.
    assert [t for t, _ in stored] == [tenant]
