"""Issue 14, finding 1: the one-hour "connect the other vendor" link took over a tenant's connection.

Anyone holding the link could use it from any browser, any number of times within the hour, and
it silently replaced a vendor account that was already connected (the old install deleted). The
link is now single use, bound to the first browser that opens it, and never replaces a connected
account unless the operator asked for a replacing link."""
from urllib.parse import parse_qs, urlparse

import pytest
import responses

from connector.installs import store
from connector.store.db import transaction
from tests.conftest import ADMIN_TOKEN, make_runtime
from tests.installs.support import HUBSPOT_API, oauth_config

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def rt(db_url):
    rt = make_runtime(oauth_config(db_url))
    yield rt
    rt.engine.dispose()


@pytest.fixture
def app(rt):
    from connector.web.app import create_app

    return create_app(rt.config, runtime=rt)


def _path(url: str) -> str:
    parts = urlparse(url.replace("&amp;", "&"))
    return parts.path + "?" + parts.query


def _mock_vendors():
    responses.post(f"{HUBSPOT_API}/oauth/v3/token", json={"access_token": "HA", "refresh_token": "HR",
                                                          "expires_in": 1800})
    responses.post(f"{HUBSPOT_API}/oauth/v3/token/introspect", json={"active": True, "hub_id": 4242})
    for sub in ("acme", "evil"):
        responses.post(f"https://{sub}.zendesk.com/oauth/tokens", json={
            "access_token": f"ZAT-{sub}", "refresh_token": "ZRT", "expires_in": 172800})


def _connect_zendesk(browser, link: str, subdomain: str):
    """Open the connect link, give the subdomain, come back from Zendesk's consent page."""
    started = browser.get(_path(link) + f"&subdomain={subdomain}")
    if started.status_code != 302:
        return started
    state = parse_qs(urlparse(started.headers["Location"]).query)["state"][0]
    return browser.get(f"/oauth/zendesk/callback?code=z-{subdomain}&state={state}")


def _zendesk_account(rt, tenant: str) -> str | None:
    with transaction(rt.sessions) as session:
        row = store.installation(session, tenant, "zendesk")
        return row.account if row is not None else None


def _tenant_with_both(app, rt) -> str:
    """A company that connected HubSpot, then its own Zendesk (acme) from the page's link."""
    owner = app.test_client()
    query = parse_qs(urlparse(owner.get("/oauth/hubspot/install").headers["Location"]).query)
    page = owner.get(f"/oauth/hubspot/callback?code=h&state={query['state'][0]}").get_data(as_text=True)
    link = next(part for part in page.split('"') if "/oauth/zendesk/install?join=" in part)
    with transaction(rt.sessions) as session:
        tenant = store.tenant_for_account(session, "hubspot", "4242")
    assert _connect_zendesk(owner, link, "acme").status_code == 200
    assert _zendesk_account(rt, tenant) == "acme"
    return tenant


@responses.activate
def test_a_connect_link_from_the_admin_api_cannot_replace_a_connected_zendesk(app, rt):
    _mock_vendors()
    tenant = _tenant_with_both(app, rt)
    link = app.test_client().post(f"/api/tenants/{tenant}/connect/zendesk", headers=ADMIN).get_json()["url"]
    attacker = app.test_client()
    taken = _connect_zendesk(attacker, link, "evil")
    assert taken.status_code == 409, taken.get_data(as_text=True)
    assert _zendesk_account(rt, tenant) == "acme"  # the company's own account stays connected
    with transaction(rt.sessions) as session:
        assert store.tenant_for_account(session, "zendesk", "evil") is None


@responses.activate
def test_a_connect_link_is_single_use_and_bound_to_the_first_browser(app, rt):
    _mock_vendors()
    owner = app.test_client()
    query = parse_qs(urlparse(owner.get("/oauth/hubspot/install").headers["Location"]).query)
    page = owner.get(f"/oauth/hubspot/callback?code=h&state={query['state'][0]}").get_data(as_text=True)
    link = next(part for part in page.split('"') if "/oauth/zendesk/install?join=" in part)
    with transaction(rt.sessions) as session:
        tenant = store.tenant_for_account(session, "hubspot", "4242")
    # Someone who saw the link (a shoulder, a proxy log) tries it from another browser first.
    stranger = app.test_client()
    refused = _connect_zendesk(stranger, link, "evil")
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert _zendesk_account(rt, tenant) is None
    # The admin who got the link uses it once...
    assert _connect_zendesk(owner, link, "acme").status_code == 200
    assert _zendesk_account(rt, tenant) == "acme"
    # ... and it is spent, even in that same browser.
    again = _connect_zendesk(owner, link, "evil")
    assert again.status_code in (400, 403, 409), again.get_data(as_text=True)
    assert _zendesk_account(rt, tenant) == "acme"


@responses.activate
def test_only_a_link_the_operator_made_to_replace_switches_the_account(app, rt):
    _mock_vendors()
    tenant = _tenant_with_both(app, rt)
    admin = app.test_client()
    link = admin.post(f"/api/tenants/{tenant}/connect/zendesk", headers=ADMIN,
                      json={"replace": True}).get_json()["url"]
    company = app.test_client()
    assert _connect_zendesk(company, link, "evil").status_code == 200
    assert _zendesk_account(rt, tenant) == "evil"
    assert _connect_zendesk(app.test_client(), link, "acme").status_code in (400, 403, 409)
    assert _zendesk_account(rt, tenant) == "evil"
