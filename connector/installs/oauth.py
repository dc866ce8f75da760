"""The vendors' OAuth 2 endpoints: authorize URL, code exchange, refresh.

HubSpot uses the v3 token endpoints (``POST /oauth/v3/token``, ``/oauth/v3/token/introspect``,
form-encoded, secrets in the body). hubspot-api-client 12.0.0 only wraps the v1 endpoints,
which HubSpot deprecates on 2027-02-16, hence plain ``requests`` here.
Zendesk: ``https://{subdomain}.zendesk.com/oauth/authorizations/new`` and ``/oauth/tokens``
(grant types ``authorization_code`` and ``refresh_token``; a refresh rotates both tokens,
so two concurrent refreshes would log the account out: see ``tokens``).

Errors never carry a token, code or secret: the status and the vendor's error code only.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import requests

from connector.domain.text import plain_name
from connector.ports.errors import PermanentError, RetryableError, parse_retry_after

TIMEOUT = 10.0
HUBSPOT_SCOPES = ("oauth crm.objects.contacts.read crm.objects.contacts.write crm.schemas.contacts.read "
                  "crm.schemas.contacts.write crm.objects.companies.read crm.objects.companies.write "
                  "crm.schemas.companies.read crm.schemas.companies.write crm.objects.owners.read")
ZENDESK_SCOPES = "read write"
_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    account: str
    scopes: str | None = None


class InvalidGrant(PermanentError):
    """The vendor refuses the code or refresh token for good: the account must be reconnected."""


def valid_subdomain(value: str | None) -> bool:
    return bool(value) and bool(_SUBDOMAIN.match(value))


def _post(vendor: str, what: str, url: str, **kwargs) -> dict:
    return _request("POST", vendor, what, url, **kwargs)


def _request(method: str, vendor: str, what: str, url: str, **kwargs) -> dict:
    try:
        response = requests.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise RetryableError(f"{vendor} OAuth {what}: connection failed ({type(exc).__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.ok:
        return body
    code = str(body.get("error") or body.get("status") or body.get("category") or "")
    code = plain_name(code) or ""
    message = f"{vendor} OAuth {what}: HTTP {response.status_code} {code}".rstrip()
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(message, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if response.status_code in (400, 401) and code.lower() in ("invalid_grant", "bad_refresh_token",
                                                               "bad_auth_code", "invalid_token"):
        raise InvalidGrant(message)
    raise PermanentError(message)


def _expiry(body: dict, now: datetime) -> datetime | None:
    seconds = body.get("expires_in")
    return now + timedelta(seconds=int(seconds)) if isinstance(seconds, (int, float)) and seconds > 0 else None


class HubSpotOAuth:
    vendor = "hubspot"

    def __init__(self, config):
        self.client_id, self.client_secret = config.get("HUBSPOT_CLIENT_ID"), config.get("HUBSPOT_CLIENT_SECRET")
        self.api = (config.get("HUBSPOT_BASE_URL") or "https://api.hubapi.com").rstrip("/")
        self.authorize = config.get("HUBSPOT_AUTHORIZE_URL") or "https://app.hubspot.com/oauth/authorize"
        self.scopes = config.get("HUBSPOT_SCOPES") or HUBSPOT_SCOPES

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def authorize_url(self, redirect_uri: str, state: str, account: str | None = None) -> str:
        query = {"client_id": self.client_id, "redirect_uri": redirect_uri, "scope": self.scopes, "state": state}
        return f"{self.authorize}?{urlencode(query)}"

    def _token(self, what: str, fields: dict, now: datetime) -> dict:
        body = _post("HubSpot", what, f"{self.api}/oauth/v3/token",
                     data={**fields, "client_id": self.client_id, "client_secret": self.client_secret})
        if not body.get("access_token"):
            raise RetryableError(f"HubSpot OAuth {what}: no access token in the answer")
        return body

    def exchange(self, code: str, redirect_uri: str, now: datetime, account: str | None = None) -> Grant:
        body = self._token("code exchange", {"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": redirect_uri}, now)
        meta = _post("HubSpot", "introspect", f"{self.api}/oauth/v3/token/introspect",
                     data={"token": body["access_token"], "client_id": self.client_id,
                           "client_secret": self.client_secret})
        if not meta.get("active") or not meta.get("hub_id"):
            raise PermanentError("HubSpot OAuth introspect: the new token is not active")
        scopes = meta.get("scopes")
        return Grant(body["access_token"], body.get("refresh_token"), _expiry(body, now), str(meta["hub_id"]),
                     " ".join(scopes) if isinstance(scopes, list) else None)

    def refresh(self, refresh_token: str, account: str, now: datetime) -> Grant:
        body = self._token("refresh", {"grant_type": "refresh_token", "refresh_token": refresh_token}, now)
        # HubSpot keeps the refresh token; take a new one if it ever sends one.
        return Grant(body["access_token"], body.get("refresh_token") or refresh_token, _expiry(body, now), account)

    def revoke(self, access_token: str | None, refresh_token: str | None, account: str) -> bool:
        """Uninstall: HubSpot forgets the refresh token (access tokens issued die within 30 min)."""
        if not refresh_token:
            return False
        _post("HubSpot", "revoke", f"{self.api}/oauth/v3/token/revoke",
              data={"token": refresh_token, "client_id": self.client_id, "client_secret": self.client_secret})
        return True


class ZendeskOAuth:
    vendor = "zendesk"

    def __init__(self, config):
        self.client_id, self.client_secret = config.get("ZENDESK_CLIENT_ID"), config.get("ZENDESK_CLIENT_SECRET")
        self.template = config.get("ZENDESK_ACCOUNT_URL") or "https://{subdomain}.zendesk.com"

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def account_url(self, subdomain: str) -> str:
        if not valid_subdomain(subdomain):
            raise PermanentError("Zendesk subdomain must be lowercase letters, digits and dashes")
        return self.template.format(subdomain=subdomain).rstrip("/")

    def authorize_url(self, redirect_uri: str, state: str, account: str | None = None) -> str:
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
                 "scope": ZENDESK_SCOPES, "state": state}
        return f"{self.account_url(account)}/oauth/authorizations/new?{urlencode(query)}"

    def _token(self, what: str, account: str, fields: dict, now: datetime) -> Grant:
        body = _post("Zendesk", what, f"{self.account_url(account)}/oauth/tokens",
                     json={**fields, "client_id": self.client_id, "client_secret": self.client_secret})
        if not body.get("access_token"):
            raise RetryableError(f"Zendesk OAuth {what}: no access token in the answer")
        return Grant(body["access_token"], body.get("refresh_token"), _expiry(body, now), account, body.get("scope"))

    def exchange(self, code: str, redirect_uri: str, now: datetime, account: str | None = None) -> Grant:
        return self._token("code exchange", account, {"grant_type": "authorization_code", "code": code,
                                                      "redirect_uri": redirect_uri, "scope": ZENDESK_SCOPES}, now)

    def refresh(self, refresh_token: str, account: str, now: datetime) -> Grant:
        return self._token("refresh", account, {"grant_type": "refresh_token", "refresh_token": refresh_token}, now)

    def revoke(self, access_token: str | None, refresh_token: str | None, account: str) -> bool:
        """Uninstall: Zendesk revokes the token by its id, which the token itself looks up.

        Not ``DELETE /api/v2/oauth/tokens/current``: Zendesk documents it, but developers report
        a 204 that leaves the token working; the by-id endpoint is the one seen to revoke."""
        if not access_token:
            return False
        base, auth = self.account_url(account), {"Authorization": f"Bearer {access_token}"}
        token = _request("GET", "Zendesk", "token lookup", f"{base}/api/v2/oauth/tokens/current.json",
                         headers=auth).get("token") or {}
        if not isinstance(token.get("id"), int):
            raise PermanentError("Zendesk OAuth token lookup: no token id in the answer")
        _request("DELETE", "Zendesk", "revoke", f"{base}/api/v2/oauth/tokens/{token['id']}.json", headers=auth)
        return True


def oauth_client(vendor: str, config):
    return {"hubspot": HubSpotOAuth, "zendesk": ZendeskOAuth}[vendor](config)
