"""Several Zendesk accounts and HubSpot portals side by side, with the vendors' OAuth.

Everything runs over HTTP against the running stand-ins; time moves by a
ManualClock, never by sleeping.
"""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hubspot import HubSpot
from urllib3.util.retry import Retry
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException

from connector.providers.zendesk.client import ZendeskTransport
from connector.sandbox.accounts import start_accounts
from connector.sandbox.oauth import ManualClock

REDIRECT = "http://connector.test/oauth/callback"
CLIENT = dict(client_id="recovery-app", client_secret="s3cret", redirect_uris=[REDIRECT],
              scopes=["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"])
TTL = 60
INVALID_TOKEN = {"error": "invalid_token", "error_description": "The access token provided is expired, revoked, "
                 "malformed or invalid for other reasons."}
BAD_REFRESH = {"error": "invalid_grant", "error_description": "refresh token is invalid, expired or revoked",
               "status": "BAD_REFRESH_TOKEN", "message": "refresh token is invalid, expired or revoked"}


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def vendors(clock):
    with start_accounts(zendesk=["acme", "globex"], hubspot=[101, 202], oauth_client=CLIENT,
                        token_ttl=TTL, refresh_ttl=10 * TTL, clock=clock) as running:
        yield running


def redirected(response) -> dict:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def zendesk_authorize(account, **overrides):
    params = {"response_type": "code", "client_id": CLIENT["client_id"], "redirect_uri": REDIRECT,
              "scope": "read write", "state": "tenant-a", **overrides}
    return requests.get(f"{account.url}/oauth/authorizations/new", params=params, allow_redirects=False)


def zendesk_token(account, **body):
    body = dict(client_id=CLIENT["client_id"], client_secret=CLIENT["client_secret"], **body)
    return requests.post(f"{account.url}/oauth/tokens", json=body)


def zendesk_install(account) -> dict:
    code = redirected(zendesk_authorize(account))["code"]
    answer = zendesk_token(account, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def zendesk_get(account, token, path="/api/v2/tickets.json"):
    return requests.get(account.url + path, headers={"Authorization": f"Bearer {token}"})


def hubspot_authorize(url, **overrides):
    params = {"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT,
              "scope": "oauth crm.objects.contacts.write", "state": "tenant-a", **overrides}
    return requests.get(f"{url}/oauth/authorize", params=params, allow_redirects=False)


def hubspot_token(url, **form):
    form = dict(client_id=CLIENT["client_id"], client_secret=CLIENT["client_secret"], **form)
    return requests.post(f"{url}/oauth/v3/token", data=form)


def hubspot_install(url, hub_id) -> dict:
    code = redirected(hubspot_authorize(url, hub_id=hub_id))["code"]
    answer = hubspot_token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def introspect(url, token):
    return requests.post(f"{url}/oauth/v3/token/introspect", data=dict(
        client_id=CLIENT["client_id"], client_secret=CLIENT["client_secret"], token=token)).json()


def hubspot_sdk(url, token) -> HubSpot:
    return HubSpot(access_token=token, host=url, retry=Retry(total=0, raise_on_status=False))


# -- Zendesk ---------------------------------------------------------------------

def test_zendesk_authorize_exchange_refresh_expiry_and_revocation(vendors, clock):
    acme = vendors.zendesk_account("acme")
    assert redirected(zendesk_authorize(acme))["state"] == "tenant-a"
    first = zendesk_install(acme)
    assert set(first) == {"access_token", "token_type", "scope", "refresh_token", "expires_in",
                          "refresh_token_expires_in"}
    assert (first["token_type"], first["scope"], first["expires_in"], first["refresh_token_expires_in"]) == \
        ("bearer", "read write", TTL, 10 * TTL)
    assert zendesk_get(acme, first["access_token"]).status_code == 200

    second = zendesk_token(acme, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    old = zendesk_get(acme, first["access_token"])   # Zendesk invalidates the previous pair
    assert old.status_code == 401 and old.json() == INVALID_TOKEN
    assert zendesk_get(acme, second["access_token"]).status_code == 200

    reused = zendesk_token(acme, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert (acme.refreshes, acme.refresh_reuse) == (1, 1)

    clock.advance(TTL + 1)
    expired = zendesk_get(acme, second["access_token"])
    assert expired.status_code == 401 and expired.json() == INVALID_TOKEN
    third = zendesk_token(acme, grant_type="refresh_token", refresh_token=second["refresh_token"]).json()
    assert zendesk_get(acme, third["access_token"]).status_code == 200

    assert acme.revoke() == 2
    assert zendesk_get(acme, third["access_token"]).status_code == 401
    after = zendesk_token(acme, grant_type="refresh_token", refresh_token=third["refresh_token"])
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
    assert acme.refresh_reuse == 1  # a revoked token is not a reused one


def test_zendesk_refresh_token_expires(vendors, clock):
    acme = vendors.zendesk_account("acme")
    tokens = zendesk_install(acme)
    clock.advance(10 * TTL + 1)
    refused = zendesk_token(acme, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_zendesk_authorize_refusals(vendors):
    acme = vendors.zendesk_account("acme")
    for bad in (dict(client_id="someone-else"), dict(redirect_uri="http://evil.test/cb")):
        page = zendesk_authorize(acme, **bad)
        assert page.status_code == 400 and "Location" not in page.headers
    wrong_type = redirected(zendesk_authorize(acme, response_type="token"))
    assert (wrong_type["error"], wrong_type["state"]) == ("unsupported_response_type", "tenant-a")
    assert "code" not in wrong_type
    assert redirected(zendesk_authorize(acme, scope="everything"))["error"] == "invalid_scope"


def test_zendesk_token_endpoint_refusals(vendors, clock):
    acme, globex = vendors.zendesk_account("acme"), vendors.zendesk_account("globex")
    code = redirected(zendesk_authorize(acme))["code"]
    wrong_secret = requests.post(f"{acme.url}/oauth/tokens", json=dict(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, client_id=CLIENT["client_id"],
        client_secret="guess"))
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert zendesk_token(acme, grant_type="password", code=code).json()["error"] == "unsupported_grant_type"
    assert zendesk_token(acme, grant_type="authorization_code").json()["error"] == "invalid_request"
    for target, redirect_uri in ((acme, "http://connector.test/other"), (globex, REDIRECT)):
        refused = zendesk_token(target, grant_type="authorization_code", code=code, redirect_uri=redirect_uri)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    form = requests.post(f"{acme.url}/oauth/tokens", data=dict(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **{
            k: CLIENT[k] for k in ("client_id", "client_secret")}))
    assert form.status_code == 200 and form.json()["token_type"] == "bearer"
    again = zendesk_token(acme, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # single use

    late = redirected(zendesk_authorize(acme))["code"]
    clock.advance(121)  # "valid for 120 seconds"
    assert zendesk_token(acme, grant_type="authorization_code", code=late,
                         redirect_uri=REDIRECT).json()["error"] == "invalid_grant"


def test_zendesk_token_of_one_account_is_refused_by_another(vendors):
    acme, globex = vendors.zendesk_account("acme"), vendors.zendesk_account("globex")
    acme_tokens, globex_tokens = zendesk_install(acme), zendesk_install(globex)
    assert zendesk_get(acme, acme_tokens["access_token"]).status_code == 200
    crossed = zendesk_get(globex, acme_tokens["access_token"])
    assert crossed.status_code == 401 and crossed.json() == INVALID_TOKEN
    assert zendesk_get(globex, globex_tokens["access_token"]).status_code == 200
    refresh_elsewhere = zendesk_token(globex, grant_type="refresh_token", refresh_token=acme_tokens["refresh_token"])
    assert refresh_elsewhere.json()["error"] == "invalid_grant" and globex.refresh_reuse == 0

    assert acme.callers.grants() == {"acme#1"} and globex.callers.grants() == {"globex#1"}
    refused = [c for c in globex.callers.all() if c.credential == acme_tokens["access_token"]]
    assert [(c.status, c.grant, c.path) for c in refused] == [(401, None, "/globex/api/v2/tickets.json")]

    for account, other in ((acme, globex), (globex, acme)):  # API-token basic auth: per account too
        auth = (f"{account.state.email}/token", account.state.api_token)
        assert requests.get(f"{account.url}/api/v2/tickets.json", auth=auth).status_code == 200
        assert requests.get(f"{other.url}/api/v2/tickets.json", auth=auth).status_code == 401
    assert acme.callers.count(credential=f"{acme.state.email}/token", status=200) == 1


def test_unknown_subdomain_answers_like_zendesk(vendors):
    missing = requests.get(f"{vendors.zendesk_url}/initech/api/v2/tickets.json")
    assert missing.status_code == 404
    assert missing.json()["error"]["title"] == "No help desk at initech.zendesk.com"


def test_zenpy_with_an_oauth_token_writes_to_its_account_only(vendors, clock):
    acme, globex = vendors.zendesk_account("acme"), vendors.zendesk_account("globex")
    token = zendesk_install(acme)["access_token"]
    session = requests.Session()
    transport = ZendeskTransport("https://acme.zendesk.com", acme.url)  # the connector's base-URL rewrite
    session.mount("https://", transport)
    session.mount("http://", transport)
    zenpy = Zenpy(subdomain="acme", oauth_token=token, session=session, timeout=5, disable_cache=True)

    audit = zenpy.tickets.create(Ticket(subject="Score 2", comment=Comment(body="Sorry to hear that")))
    ticket_id = audit.ticket.id
    assert acme.state.tickets[ticket_id]["subject"] == "Score 2" and globex.state.tickets == {}
    assert zenpy.tickets(id=ticket_id).subject == "Score 2"
    assert acme.calls.count("POST", "/api/v2/tickets") == 1 and globex.calls.count() == 0
    assert {c.grant for c in acme.callers.all()} == {"acme#1"}

    clock.advance(TTL)
    with pytest.raises(APIException) as refused:
        zenpy.tickets(id=ticket_id)
    assert refused.value.response.status_code == 401 and refused.value.response.json() == INVALID_TOKEN


# -- HubSpot ---------------------------------------------------------------------

def test_hubspot_authorize_exchange_refresh_expiry_and_revocation(vendors, clock):
    url, portal, other = vendors.hubspot_url, vendors.hubspot_portal(202), vendors.hubspot_portal(101)
    assert redirected(hubspot_authorize(url, hub_id=202))["state"] == "tenant-a"
    first = hubspot_install(url, 202)
    assert set(first) == {"token_type", "refresh_token", "access_token", "hub_id", "scopes", "expires_in"}
    assert (first["token_type"], first["hub_id"], first["expires_in"]) == ("bearer", 202, TTL)
    assert first["scopes"] == ["oauth", "crm.objects.contacts.write"]

    sdk = hubspot_sdk(url, first["access_token"])
    assert len(sdk.crm.owners.owners_api.get_page().results) == 3
    assert portal.calls.count("GET", "/crm/v3/owners") == 1 and other.calls.count() == 0

    meta = introspect(url, first["access_token"])
    assert (meta["active"], meta["hub_id"], meta["token_use"], meta["expires_in"]) == (True, 202, "access_token", TTL)
    assert introspect(url, first["refresh_token"])["token_use"] == "refresh_token"

    clock.advance(TTL // 2)
    second = hubspot_token(url, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] == first["refresh_token"] and second["access_token"] != first["access_token"]
    assert portal.refreshes == 1 and other.refreshes == 0

    clock.advance(TTL // 2)  # the first access token is now expired, the second is not
    with pytest.raises(Exception) as expired:
        sdk.crm.owners.owners_api.get_page()
    assert expired.value.status == 401 and '"EXPIRED_AUTHENTICATION"' in expired.value.body
    assert introspect(url, first["access_token"]) == {"active": False}
    assert hubspot_sdk(url, second["access_token"]).crm.owners.owners_api.get_page().results

    assert portal.revoke() == 3  # both access tokens (one expired) and the refresh token
    refused = hubspot_token(url, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refused.status_code == 400 and {k: refused.json()[k] for k in BAD_REFRESH} == BAD_REFRESH
    revoked = requests.get(f"{url}/crm/v3/owners", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert revoked.status_code == 401 and revoked.json()["category"] == "INVALID_AUTHENTICATION"
    assert introspect(url, second["access_token"]) == {"active": False}


def test_hubspot_authorize_refusals_and_default_portal(vendors):
    url = vendors.hubspot_url
    for bad in (dict(client_id="someone-else"), dict(redirect_uri="http://evil.test/cb"),
                dict(scope="oauth crm.objects.deals.write"), dict(scope=""), dict(hub_id=303)):
        page = hubspot_authorize(url, **bad)
        assert page.status_code == 400 and "Location" not in page.headers, bad
    assert hubspot_install(url, None)["hub_id"] == 101  # the first portal unless the user picks one


def test_hubspot_token_endpoint_refusals(vendors):
    url = vendors.hubspot_url
    code = redirected(hubspot_authorize(url))["code"]

    def status_of(**form):
        answer = hubspot_token(url, **form)
        assert answer.status_code == 400 and answer.json()["correlationId"]
        return answer.json()["error"], answer.json()["status"]

    wrong = requests.post(f"{url}/oauth/v3/token", data=dict(grant_type="authorization_code", code=code,
                                                              redirect_uri=REDIRECT, client_id=CLIENT["client_id"],
                                                              client_secret="guess")).json()
    assert (wrong["error"], wrong["status"]) == ("invalid_client", "BAD_CLIENT_SECRET")
    assert status_of(grant_type="client_credentials") == ("unsupported_grant_type", "BAD_GRANT_TYPE")
    assert status_of(grant_type="authorization_code", code="na1-nope", redirect_uri=REDIRECT) == \
        ("invalid_grant", "BAD_AUTH_CODE")
    assert status_of(grant_type="authorization_code", code=code, redirect_uri="http://connector.test/x") == \
        ("invalid_grant", "BAD_REDIRECT_URI")
    assert hubspot_token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code == 200
    assert status_of(grant_type="authorization_code", code=code, redirect_uri=REDIRECT) == \
        ("invalid_grant", "BAD_AUTH_CODE")  # single use
    json_body = requests.post(f"{url}/oauth/v3/token", json=dict(grant_type="refresh_token", **CLIENT))
    assert json_body.status_code == 400  # the v3 endpoints take form fields only


def test_hubspot_tokens_reach_their_own_portal_only(vendors):
    url = vendors.hubspot_url
    a, b = vendors.hubspot_portal(101), vendors.hubspot_portal(202)
    token_a, token_b = hubspot_install(url, 101)["access_token"], hubspot_install(url, 202)["access_token"]
    from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputUpsert

    batch = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        {"idProperty": "email", "id": "marie@example.com", "properties": {"firstname": "Marie"}}])
    hubspot_sdk(url, token_a).crm.contacts.batch_api.upsert(batch)
    assert a.state.contact_by_email("marie@example.com") is not None
    assert b.state.contact_by_email("marie@example.com") is None
    hubspot_sdk(url, token_b).crm.owners.owners_api.get_page()

    assert a.callers.grants() == {"101#1"} and b.callers.grants() == {"202#1"}
    assert a.callers.credentials() == {token_a} and b.callers.credentials() == {token_b}
    assert b.calls.count("POST") == 0 and a.calls.count("POST", "/crm/v3/objects/contacts/batch/upsert") == 1

    unknown = requests.get(f"{url}/crm/v3/owners", headers={"Authorization": "Bearer pat-na1-forged"})
    assert unknown.status_code == 401 and unknown.json()["category"] == "INVALID_AUTHENTICATION"
    assert [c.credential for c in vendors.hubspot.refused.all()] == ["pat-na1-forged"]
    assert a.calls.count() + b.calls.count() == 2


def test_hubspot_revoke_endpoint_keeps_issued_access_tokens(vendors):
    url = vendors.hubspot_url
    tokens = hubspot_install(url, 101)
    revoked = requests.post(f"{url}/oauth/v3/token/revoke", data=dict(
        client_id=CLIENT["client_id"], client_secret=CLIENT["client_secret"], token=tokens["refresh_token"]))
    assert revoked.status_code == 200
    assert hubspot_token(url, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()["status"] \
        == "BAD_REFRESH_TOKEN"
    assert hubspot_sdk(url, tokens["access_token"]).crm.owners.owners_api.get_page().results


def test_hubspot_rate_limit_stays_per_portal(clock):
    with start_accounts(hubspot=[101, 202], oauth_client=CLIENT, hubspot_rate_limit=2, clock=clock) as running:
        url = running.hubspot_url
        token_a, token_b = hubspot_install(url, 101)["access_token"], hubspot_install(url, 202)["access_token"]

        def owners(token):
            return requests.get(f"{url}/crm/v3/owners", headers={"Authorization": f"Bearer {token}"}).status_code

        assert [owners(token_a) for _ in range(3)] == [200, 200, 429]
        assert owners(token_b) == 200
        assert running.hubspot_portal(101).calls.count(status=429) == 1
        assert running.hubspot_portal(202).calls.count(status=429) == 0


def test_a_zendesk_token_looks_itself_up_and_is_revoked_by_id_with_its_refresh_token(vendors):
    acme = vendors.zendesk_account("acme")
    other, tokens = zendesk_install(acme), zendesk_install(acme)
    shown = zendesk_get(acme, tokens["access_token"], "/api/v2/oauth/tokens/current.json")
    assert shown.status_code == 200
    token = shown.json()["token"]
    assert isinstance(token["id"], int) and token["token"] == tokens["access_token"][:10]
    assert zendesk_get(acme, "nope", "/api/v2/oauth/tokens/current.json").status_code == 401

    def delete(token_id, bearer):
        return requests.delete(f"{acme.url}/api/v2/oauth/tokens/{token_id}.json",
                               headers={"Authorization": f"Bearer {bearer}"})

    assert delete(token["id"] + 1000, tokens["access_token"]).status_code == 404
    assert delete(token["id"], "nope").status_code == 401
    assert delete(token["id"], tokens["access_token"]).status_code == 204
    assert zendesk_get(acme, tokens["access_token"]).status_code == 401
    refreshed = zendesk_token(acme, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert zendesk_get(acme, other["access_token"]).status_code == 200  # another install's grant lives on
