"""HubSpot's OAuth v3 for the multi-portal stand-in (``hubspot_portals``).

Form-encoded, as HubSpot's v3 endpoints want:

* ``GET /oauth/authorize?client_id&scope&redirect_uri&state`` (app.hubspot.com in
  production; stand-in only: ``hub_id`` picks the portal, the first by default).
  Auto-approved: 302 to ``redirect_uri?code=..&state=..``; an unknown client,
  unregistered redirect URI, unregistered scope or portal: a 400 page, no redirect.
* ``POST /oauth/v3/token`` grants ``authorization_code`` (client_id, client_secret,
  redirect_uri, code) and ``refresh_token`` (client_id, client_secret, refresh_token):
  ``{token_type: "bearer", refresh_token, access_token, hub_id, scopes, expires_in}``;
  a refresh keeps the same refresh token. Errors: 400 with RFC 6749 ``error``/
  ``error_description`` and HubSpot's ``status``/``message`` (``BAD_REFRESH_TOKEN``...).
* ``POST /oauth/v3/token/introspect`` (client_id, client_secret, token):
  ``{active: true, token, hub_id, user_id, client_id, app_id, user, hub_domain, scopes,
  expires_in, is_private_distribution, token_use: "access_token", token_type: "Bearer"}``
  (a refresh token: ``token_use: "refresh_token"``, no expiry) or ``{active: false}``.
* ``POST /oauth/v3/token/revoke`` deletes a refresh token (issued access tokens live on).

Sources: developers.hubspot.com "Manage OAuth access tokens using the v3 APIs"
(api-reference/auth-oauth-v3/guide: shapes, 30-minute access tokens, error body);
HubSpot's OpenAPI spec PublicApiSpecs/Auth/Oauth/Rollouts/279897/v3/oauth.json (form
fields, the revoke endpoint); the SDK's RefreshTokensApi (revoking a refresh token
leaves access tokens alone). Other ``status`` values (BAD_AUTH_CODE, BAD_CLIENT_ID...)
are the ones integrators report; HubSpot does not list them.
"""
import uuid

from flask import Flask, jsonify, redirect, request

from connector.sandbox.hubspot_http import error_body
from connector.sandbox.oauth import Refused, error_page, with_query

APP_ID = 4242001
ERRORS = {  # Refused.reason / problem -> (error, status, message)
    "grant_type": ("unsupported_grant_type", "BAD_GRANT_TYPE", "grant_type must be authorization_code or refresh_token"),
    "client_id": ("invalid_client", "BAD_CLIENT_ID", "missing or unknown client id"),
    "client_secret": ("invalid_client", "BAD_CLIENT_SECRET", "missing or invalid client secret"),
    "unknown_code": ("invalid_grant", "BAD_AUTH_CODE", "missing or unknown auth code"),
    "redirect_mismatch": ("invalid_grant", "BAD_REDIRECT_URI", "redirect_uri does not match the authorization"),
    "refresh": ("invalid_grant", "BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked"),
}


def _oauth_error(problem: str):
    error, status, message = ERRORS[problem]
    return jsonify({"error": error, "error_description": message, "status": status, "message": message,
                    "correlationId": str(uuid.uuid4())}), 400


def create_hubspot_oauth_app(portals) -> Flask:
    """The OAuth endpoints of ``portals`` (a ``HubSpotPortals``), issuing each portal's tokens."""
    app, client = Flask("hubspot_oauth_standin"), portals.client

    def client_problem(form) -> str | None:
        if form.get("client_id") != client.client_id:
            return "client_id"
        if not client.authenticates(form.get("client_id"), form.get("client_secret")):
            return "client_secret"
        return None

    @app.get("/oauth/authorize")
    def authorize():
        args = request.args
        if args.get("client_id") != client.client_id:
            return error_page("Authorization failed", "The app's client_id is missing or unknown.")
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            return error_page("Authorization failed", "The redirect_uri does not match the app's redirect URLs.")
        scopes = args.get("scope", "").split()
        if not scopes or (client.scopes and not set(scopes) <= set(client.scopes)):
            return error_page("Authorization failed", "Authorization failed because there is a mismatch "
                              "between the scopes in the install URL and the app's configured scopes.")
        hub_id = args.get("hub_id", next(iter(portals.portals), ""))
        portal = portals.portals.get(int(hub_id)) if str(hub_id).isdigit() else None
        if portal is None:
            return error_page("Authorization failed", f"No HubSpot account {hub_id} to install into.")
        code = portal.oauth.issue_code(client.client_id, redirect_uri, scopes)
        return redirect(with_query(redirect_uri, code=code, state=args.get("state")), 302)

    @app.post("/oauth/v3/token")
    def token():
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            return _oauth_error("grant_type")
        problem = client_problem(form)
        if problem:
            return _oauth_error(problem)
        try:
            if grant_type == "authorization_code":
                code = form.get("code", "")
                portal = next((p for p in portals.portals.values() if code in p.oauth.codes), None)
                if portal is None:
                    raise Refused("unknown_code")
                access, refresh = portal.oauth.redeem_code(code, client.client_id, form.get("redirect_uri"))
            else:
                portal, _, _ = portals.find(form.get("refresh_token", ""), "refresh")
                if portal is None:
                    raise Refused("unknown_refresh")
                access, refresh = portal.oauth.refresh(form["refresh_token"], client.client_id, rotate=False)
        except Refused as refused:
            return _oauth_error(refused.reason if refused.reason in ERRORS else "refresh")
        return jsonify({"token_type": "bearer", "refresh_token": refresh.value, "access_token": access.value,
                        "hub_id": portal.hub_id, "scopes": list(access.scopes),
                        "expires_in": int(portal.oauth.access_ttl or 0)})

    @app.post("/oauth/v3/token/introspect")
    def introspect():
        form = request.form
        problem = client_problem(form)
        if problem:
            return _oauth_error(problem)
        value = form.get("token") or form.get(form.get("token_type_hint", "")) or ""
        portal, status, found = portals.find(value, None) if value else (None, "unknown", None)
        if status != "valid" or found.client_id != client.client_id:
            return jsonify({"active": False})
        hub_id = portal.hub_id
        body = {"active": True, "token": value, "hub_id": hub_id, "user_id": hub_id * 10 + 1,
                "client_id": client.client_id, "app_id": APP_ID, "user": f"installer@portal{hub_id}.example",
                "hub_domain": f"portal{hub_id}.example", "scopes": list(found.scopes)}
        if found.kind == "access":
            left = None if found.expires_at is None else int(found.expires_at - portals.clock())
            body.update(expires_in=left, is_private_distribution=False)
        body.update(token_use=f"{found.kind}_token", token_type="Bearer")
        return jsonify(body)

    @app.post("/oauth/v3/token/revoke")
    def revoke():
        problem = client_problem(request.form)
        if problem:
            return _oauth_error(problem)
        portal, _, _ = portals.find(request.form.get("token", ""), "refresh")
        if portal is not None:
            portal.oauth.revoke(request.form["token"])
        return "", 200

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _not_found(exc):
        return jsonify(error_body(exc.code, f"{exc.code} {exc.name}: {request.method} {request.path}")), exc.code

    return app
