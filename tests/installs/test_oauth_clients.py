"""The vendors' token endpoints, as documented: request shapes, answers, errors (``responses``)."""
import json
from urllib.parse import parse_qs, urlparse

import pytest
import responses

from connector.installs.oauth import HubSpotOAuth, InvalidGrant, ZendeskOAuth
from connector.ports.errors import PermanentError, RetryableError
from tests.installs.support import HUBSPOT_API, START, ZENDESK_ACCOUNT, oauth_config

CONFIG = oauth_config("sqlite://")


def _form(call) -> dict:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


@responses.activate
def test_hubspot_code_exchange_uses_v3_with_secrets_in_the_body_and_learns_the_portal():
    responses.post(f"{HUBSPOT_API}/oauth/v3/token", json={
        "token_type": "bearer", "access_token": "AT", "refresh_token": "RT", "expires_in": 1800})
    responses.post(f"{HUBSPOT_API}/oauth/v3/token/introspect", json={
        "active": True, "hub_id": 4242, "scopes": ["oauth", "crm.objects.contacts.write"], "token_use": "access_token"})
    grant = HubSpotOAuth(CONFIG).exchange("the-code", "https://c.example/oauth/hubspot/callback", START)
    token_call, introspect = responses.calls
    assert token_call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "client_secret" not in (urlparse(token_call.request.url).query or "")
    assert _form(token_call) == {"grant_type": "authorization_code", "code": "the-code",
                                 "redirect_uri": "https://c.example/oauth/hubspot/callback",
                                 "client_id": "hs-client", "client_secret": "hs-client-secret"}
    assert _form(introspect)["token"] == "AT"
    assert (grant.access_token, grant.refresh_token, grant.account) == ("AT", "RT", "4242")
    assert (grant.expires_at - START).total_seconds() == 1800
    assert grant.scopes == "oauth crm.objects.contacts.write"


def test_hubspot_authorize_url_names_client_scopes_redirect_and_state():
    url = urlparse(HubSpotOAuth(CONFIG).authorize_url("https://c.example/cb", "STATE"))
    assert (url.netloc, url.path) == ("app.hubspot.com", "/oauth/authorize")
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == "hs-client" and query["state"] == "STATE" and query["redirect_uri"] == "https://c.example/cb"
    assert "crm.objects.contacts.write" in query["scope"].split()


@responses.activate
def test_hubspot_refresh_keeps_the_refresh_token_when_none_comes_back():
    responses.post(f"{HUBSPOT_API}/oauth/v3/token", json={"access_token": "AT2", "expires_in": 1800})
    grant = HubSpotOAuth(CONFIG).refresh("RT", "4242", START)
    assert _form(responses.calls[0])["grant_type"] == "refresh_token"
    assert (grant.access_token, grant.refresh_token, grant.account) == ("AT2", "RT", "4242")


@responses.activate
def test_zendesk_exchange_posts_json_to_the_accounts_token_endpoint():
    responses.post(f"{ZENDESK_ACCOUNT}/oauth/tokens", json={
        "access_token": "ZAT", "token_type": "bearer", "scope": "read write", "refresh_token": "ZRT",
        "expires_in": 172800, "refresh_token_expires_in": 7776000})
    grant = ZendeskOAuth(CONFIG).exchange("code", "https://c.example/cb", START, "acme")
    body = json.loads(responses.calls[0].request.body)
    assert body == {"grant_type": "authorization_code", "code": "code", "redirect_uri": "https://c.example/cb",
                    "scope": "read write", "client_id": "zd-client", "client_secret": "zd-client-secret"}
    assert (grant.access_token, grant.refresh_token, grant.account) == ("ZAT", "ZRT", "acme")


def test_zendesk_authorize_url_is_on_the_customers_subdomain():
    url = urlparse(ZendeskOAuth(CONFIG).authorize_url("https://c.example/cb", "S", "acme"))
    assert (url.netloc, url.path) == ("acme.zendesk.com", "/oauth/authorizations/new")
    assert parse_qs(url.query)["response_type"] == ["code"]


@pytest.mark.parametrize("subdomain", ["", "ACME", "acme.evil.com", "a/b", "-x"])
def test_zendesk_refuses_a_subdomain_that_could_point_elsewhere(subdomain):
    with pytest.raises(PermanentError):
        ZendeskOAuth(CONFIG).authorize_url("https://c.example/cb", "S", subdomain)


@responses.activate
@pytest.mark.parametrize("status,body,error", [
    (400, {"error": "invalid_grant", "error_description": "expired"}, InvalidGrant),
    (400, {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"}, InvalidGrant),
    (401, {"error": "invalid_client"}, PermanentError),
    (429, {}, RetryableError),
    (503, {}, RetryableError),
])
def test_token_endpoint_errors_are_typed_and_carry_no_token(status, body, error):
    responses.post(f"{ZENDESK_ACCOUNT}/oauth/tokens", json=body, status=status, headers={"Retry-After": "7"})
    with pytest.raises(error) as raised:
        ZendeskOAuth(CONFIG).refresh("SECRET-REFRESH", "acme", START)
    assert "SECRET-REFRESH" not in str(raised.value) and "zd-client-secret" not in str(raised.value)
    if status == 429:
        assert raised.value.retry_after == 7


@responses.activate
def test_zendesk_revoke_looks_the_token_up_then_deletes_it_by_id_with_the_token_itself():
    responses.get(f"{ZENDESK_ACCOUNT}/api/v2/oauth/tokens/current.json",
                  json={"token": {"id": 9876, "token": "ZAT-12345", "scopes": ["read", "write"]}})
    responses.delete(f"{ZENDESK_ACCOUNT}/api/v2/oauth/tokens/9876.json", status=204)
    assert ZendeskOAuth(CONFIG).revoke("ZAT-123456789", "ZRT", "acme") is True
    lookup, delete = responses.calls
    assert [c.request.headers["Authorization"] for c in (lookup, delete)] == ["Bearer ZAT-123456789"] * 2
    assert delete.request.method == "DELETE" and delete.request.url.endswith("/api/v2/oauth/tokens/9876.json")


@responses.activate
def test_zendesk_revoke_of_a_token_already_dead_is_refused_and_deletes_nothing():
    responses.get(f"{ZENDESK_ACCOUNT}/api/v2/oauth/tokens/current.json", status=401,
                  json={"error": "invalid_token", "error_description": "revoked"})
    with pytest.raises(InvalidGrant):
        ZendeskOAuth(CONFIG).revoke("ZAT", "ZRT", "acme")
    assert len(responses.calls) == 1
    assert ZendeskOAuth(CONFIG).revoke(None, "ZRT", "acme") is False  # nothing to revoke with
