"""Issue 14, finding 10 (Host header): with OAuth configured, ``RECOVERY_PUBLIC_BASE_URL`` is
required, and every absolute link the connector hands out is built from it. A forged ``Host``
(or ``X-Forwarded-Host``) once made the connect link of ``POST /api/tenants/<t>/connect/<v>`` and
the install page's connect link and webhook URL point at the attacker's host: the tenant's admin
then signed in to, or sent survey answers to, the attacker."""
import re
from urllib.parse import parse_qs, urlparse

import pytest
import responses

from connector.installs import store
from connector.store.db import transaction
from tests.conftest import ADMIN_TOKEN, make_runtime
from tests.installs.support import HUBSPOT_API, oauth_config

PUBLIC = "https://recovery.example.com"
FORGED = [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}]


@pytest.fixture
def rt(db_url):
    rt = make_runtime(oauth_config(db_url, PUBLIC_BASE_URL=PUBLIC))
    yield rt
    rt.engine.dispose()


@pytest.fixture
def app(rt):
    from connector.web.app import create_app

    return create_app(rt.config, runtime=rt)


def _links(page: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", page)


def _install_hubspot(client, headers) -> str:
    """A company connects HubSpot; the page comes back through a request with a forged host."""
    responses.post(f"{HUBSPOT_API}/oauth/v3/token", json={"access_token": "HA", "refresh_token": "HR",
                                                          "expires_in": 1800})
    responses.post(f"{HUBSPOT_API}/oauth/v3/token/introspect", json={"active": True, "hub_id": 4242})
    started = client.get("/oauth/hubspot/install", headers=headers)
    state = parse_qs(urlparse(started.headers["Location"]).query)["state"][0]
    page = client.get(f"/oauth/hubspot/callback?code=h&state={state}", headers=headers)
    assert page.status_code == 200
    return page.get_data(as_text=True).replace("&amp;", "&")


@pytest.mark.parametrize("headers", FORGED)
@responses.activate
def test_the_install_page_links_are_on_the_public_address(app, rt, headers):
    page = _install_hubspot(app.test_client(), headers)
    with transaction(rt.sessions) as session:
        tenant = store.tenant_for_account(session, "hubspot", "4242")
    assert f"{PUBLIC}/t/{tenant}/webhooks/surveys/generic" in page
    links = [link for link in _links(page) if "/oauth/" in link or "/webhooks/" in link]
    assert any("/oauth/zendesk/install?join=" in link for link in links)
    assert links and all(link.startswith(PUBLIC + "/") for link in links), links
    assert "evil.example" not in page


@pytest.mark.parametrize("headers", FORGED)
@responses.activate
def test_an_admin_connect_link_is_on_the_public_address(app, rt, headers):
    client = app.test_client()
    _install_hubspot(client, {})
    with transaction(rt.sessions) as session:
        tenant = store.tenant_for_account(session, "hubspot", "4242")
    answer = client.post(f"/api/tenants/{tenant}/connect/zendesk",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}", **headers})
    assert answer.status_code == 200
    url = answer.get_json()["url"]
    assert url.startswith(f"{PUBLIC}/oauth/zendesk/install?join="), url
