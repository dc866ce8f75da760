"""Several HubSpot portals behind one host (as api.hubapi.com), for multi-tenant tests.

A CRM call is routed by its bearer token to the portal that issued it. Each portal
is the ordinary stand-in (``create_hubspot_standin``): its own state, CallLog, rate
limiter, and ``access_tokens`` set holding that portal's live tokens only. A token
no portal issued, or a revoked one, gets 401 ``INVALID_AUTHENTICATION`` at the door,
an expired one 401 ``EXPIRED_AUTHENTICATION`` ("The OAuth token used to make this
call expired ... ago.", the body users report, e.g. ToolJet issue #17192). Paths
under ``/oauth/`` are HubSpot's OAuth (``hubspot_oauth``), which issues the tokens.
"""
import json
import time
from dataclasses import dataclass

from flask import Flask
from werkzeug.wrappers import Request, Response

from connector.sandbox.callers import Caller, CallerLog, record_callers
from connector.sandbox.hubspot import create_hubspot_standin
from connector.sandbox.hubspot_http import error_body
from connector.sandbox.hubspot_oauth import create_hubspot_oauth_app
from connector.sandbox.oauth import OAuthClient, TokenStore

ACCESS_TTL = 1800.0  # "expires after 30 minutes"; refresh tokens do not expire
NOT_FOUND = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
             "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def _ago(seconds: float) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}(s)"
    return f"{int(seconds)} second(s)"


@dataclass
class HubSpotPortal:
    """One portal: its stand-in app (``state``, ``calls``), OAuth tokens and callers."""

    hub_id: int
    app: Flask
    oauth: TokenStore
    callers: CallerLog
    url: str = ""  # the shared host's URL, once served

    state = property(lambda self: self.app.extensions["hubspot_standin"])
    calls = property(lambda self: self.state.calls)
    refreshes = property(lambda self: self.oauth.refreshes)

    def revoke(self) -> int:
        """Revoke every token of the portal (the app uninstalled)."""
        return self.oauth.revoke_all()


class HubSpotPortals:
    """The WSGI app: OAuth endpoints, then CRM calls routed by token to their portal."""

    def __init__(self, hub_ids, client, *, clock=time.monotonic, access_ttl: float | None = ACCESS_TTL,
                 refresh_ttl: float | None = None, rate_limit: int | None = None, window_seconds: float = 10.0):
        self.client, self.clock = OAuthClient.of(client), clock
        self.portals: dict[int, HubSpotPortal] = {}
        for hub_id in map(int, hub_ids):
            store = TokenStore(str(hub_id), clock, access_ttl, refresh_ttl, prefix="na1-")
            app = create_hubspot_standin(rate_limit, window_seconds, access_tokens=["-"])
            app.extensions["hubspot_standin"].tokens = store.live_access  # this portal's tokens only
            portal = HubSpotPortal(hub_id, app, store, CallerLog())
            record_callers(app, portal.callers, store)
            self.portals[hub_id] = portal
        self.refused = CallerLog()  # calls turned away at the door, whoever's token it was
        self.oauth_app = create_hubspot_oauth_app(self)

    def portal(self, hub_id: int) -> HubSpotPortal:
        return self.portals[int(hub_id)]

    def find(self, token: str, kind: str | None = "access"):
        """(portal, status, Token) of the portal that knows ``token``, else (None, "unknown", None)."""
        for portal in self.portals.values():
            status, found = portal.oauth.lookup(token, kind)
            if status != "unknown":
                return portal, status, found
        return None, "unknown", None

    def __call__(self, environ, start_response):
        req = Request(environ)
        if req.path.startswith("/oauth/"):
            return self.oauth_app(environ, start_response)
        auth = req.authorization
        token = auth.token if auth is not None and auth.type == "bearer" else ""
        portal, status, found = self.find(token) if token else (None, "unknown", None)
        if status == "valid":
            return portal.app(environ, start_response)
        if status == "expired":
            ago = _ago(self.clock() - found.expires_at)
            body = error_body(401, f"The OAuth token used to make this call expired {ago} ago.",
                              "EXPIRED_AUTHENTICATION")
        else:
            body = error_body(401, NOT_FOUND, "INVALID_AUTHENTICATION")
        grant = portal.oauth.grants.get(token) if portal else None
        self.refused.add(Caller(req.method, req.path, 401, "oauth" if token else "none", token or None, grant))
        return Response(json.dumps(body), 401, content_type="application/json")(environ, start_response)
