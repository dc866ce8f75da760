"""Several Zendesk accounts side by side, each its own OAuth server, for multi-tenant tests.

Account ``acme`` is the ordinary stand-in (``create_zendesk_standin``) served under
``/acme``: the connector's ``ZENDESK_BASE_URL`` for it is ``http://127.0.0.1:<port>/acme``
(what ``https://acme.zendesk.com`` is in production); requests arrive at
``/acme/api/v2/...`` and the mounted app sees ``/api/v2/...``. An unknown prefix
answers 404 as Zendesk answers for a subdomain with no account.

Each account also runs Zendesk's OAuth, its tokens valid on that account only:

* ``GET /<sub>/oauth/authorizations/new?response_type=code&client_id&redirect_uri&scope&state``
  auto-approves (no login page): 302 to ``redirect_uri?code=..&state=..``. An unknown
  client or an unregistered redirect URI gets a 400 page (no redirect, RFC 6749
  §4.1.2.1); a wrong response type or scope is redirected back with ``error=``.
* ``POST /<sub>/oauth/tokens`` (JSON, or form): ``authorization_code`` (single-use
  code valid 120 s, same ``redirect_uri``, ``client_id`` + ``client_secret``) and
  ``refresh_token`` grants, answered ``{access_token, token_type: "bearer", scope,
  refresh_token, expires_in, refresh_token_expires_in}``. A refresh "returns a new
  access token and refresh token while invalidating the previous access and refresh
  tokens"; presenting a retired refresh token again is ``invalid_grant`` and is
  counted (``account.refresh_reuse``).
* API calls take ``Authorization: Bearer <token>``: a token not issued by this account,
  expired or revoked gets 401 ``invalid_token``. API-token basic auth keeps working.
* ``GET /<sub>/api/v2/oauth/tokens/current.json`` shows the bearer's own token (its id and
  the first 10 characters, as Zendesk shows a token); ``DELETE /<sub>/api/v2/oauth/tokens/
  <id>.json`` revokes that token and the refresh token issued with it (204), an unknown id
  is 404 ``RecordNotFound``.

Sources: developer.zendesk.com "OAuth Tokens for Grant Types" (api-reference/ticketing/
oauth/grant_type_tokens), "OAuth Tokens" (api-reference/ticketing/oauth/oauth_tokens), "Revoking an
OAuth access token" (documentation/api-basics/authentication/revoking-oauth-token) and "Working with OAuth refresh tokens" (documentation/
api-basics/authentication/refresh-token); support.zendesk.com "Using OAuth
authentication with your application" (authorization URL, redirect URLs, allowed
scopes). Error texts are those of Doorkeeper, the OAuth server Zendesk answers with.
"""
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass

from flask import Flask, jsonify, redirect, request
from werkzeug.wrappers import Response

from connector.sandbox.callers import CallerLog, record_callers
from connector.sandbox.oauth import OAuthClient, Refused, TokenStore, error_page, with_query
from connector.sandbox.zendesk import create_zendesk_standin

ACCESS_TTL = 3600.0            # stand-in defaults; tests pass a few seconds
REFRESH_TTL = 30 * 24 * 3600.0
SCOPE = re.compile(r"^(read|write|impersonate|[a-z_]+:(read|write))$")
MESSAGES = {
    "invalid_request": "The request is missing a required parameter, includes an unsupported parameter "
                       "value, or is otherwise malformed.",
    "invalid_client": "Client authentication failed due to unknown client, no client authentication "
                      "included, or unsupported authentication method.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not match the "
                     "redirection URI used in the authorization request, or was issued to another client.",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
    "unsupported_response_type": "The authorization server does not support this response type.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "invalid_redirect_uri": "The requested redirect uri is malformed or doesn't match client redirect URI.",
    "invalid_token": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
}


def _oauth_error(error: str, status: int = 400):
    return jsonify({"error": error, "error_description": MESSAGES[error]}), status


def _invalid_token():
    response = jsonify({"error": "invalid_token", "error_description": MESSAGES["invalid_token"]})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = (
        f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{MESSAGES["invalid_token"]}"')
    return response


@dataclass
class ZendeskAccount:
    """One account: its stand-in app (``state``, ``calls``), OAuth tokens and callers."""

    subdomain: str
    app: Flask
    oauth: TokenStore
    callers: CallerLog
    url: str = ""  # its ZENDESK_BASE_URL, once served

    @property
    def state(self):
        return self.app.extensions["zendesk_standin"]

    @property
    def calls(self):
        return self.state.calls

    @property
    def refreshes(self) -> int:
        return self.oauth.refreshes

    @property
    def refresh_reuse(self) -> int:
        return self.oauth.refresh_reuse

    def revoke(self) -> int:
        """Revoke every token of the account (an uninstall, an admin's revocation)."""
        return self.oauth.revoke_all()


class ZendeskAccounts:
    """The WSGI app serving every account under its ``/<subdomain>`` prefix."""

    def __init__(self, subdomains, client, *, clock=time.monotonic, access_ttl: float | None = ACCESS_TTL,
                 refresh_ttl: float | None = REFRESH_TTL, rate_limit_per_minute: int | None = None):
        self.client = OAuthClient.of(client)
        self.accounts: dict[str, ZendeskAccount] = {}
        self.token_ids: dict[str, int] = {}  # access token -> the id Zendesk shows for it
        self.lock = threading.Lock()
        for subdomain in subdomains:
            store = TokenStore(subdomain, clock, access_ttl, refresh_ttl)
            app = create_zendesk_standin(
                rate_limit_per_minute, email=f"agent@{subdomain}.example", api_token=secrets.token_urlsafe(18),
                bearer_check=lambda token, store=store: None if store.lookup(token)[0] == "valid"
                else _invalid_token())
            account = ZendeskAccount(subdomain, app, store, CallerLog())
            record_callers(app, account.callers, store)
            self.accounts[subdomain] = account
        self.oauth_app = self._oauth_app()

    def account(self, subdomain: str) -> ZendeskAccount:
        return self.accounts[subdomain]

    def __call__(self, environ, start_response):
        subdomain, _, rest = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        account = self.accounts.get(subdomain)
        if account is None:
            body = {"error": {"title": f"No help desk at {subdomain}.zendesk.com",
                              "message": "There is no help desk configured at this address. This means that the "
                                         "address is available and that you can claim it at "
                                         "http://www.zendesk.com/signup"}}
            return Response(json.dumps(body), 404, content_type="application/json")(environ, start_response)
        if rest.startswith(("oauth/", "api/v2/oauth/tokens")):
            return self.oauth_app(environ, start_response)
        environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + "/" + subdomain,
                       PATH_INFO="/" + rest)
        return account.app(environ, start_response)

    def _oauth_app(self) -> Flask:
        app, client = Flask("zendesk_oauth_standin"), self.client

        @app.get("/<subdomain>/oauth/authorizations/new")
        def authorize(subdomain):
            args, store = request.args, self.accounts[subdomain].oauth
            if args.get("client_id") != client.client_id:
                return error_page("invalid_client", MESSAGES["invalid_client"])
            redirect_uri = args.get("redirect_uri", "")
            if redirect_uri not in client.redirect_uris:
                return error_page("invalid_redirect_uri", MESSAGES["invalid_redirect_uri"])
            state = args.get("state")

            def refuse(error):
                return redirect(with_query(redirect_uri, error=error, error_description=MESSAGES[error],
                                           state=state), 302)

            if args.get("response_type") != "code":
                return refuse("unsupported_response_type")
            scopes = args.get("scope", "").split()
            if not scopes or not all(SCOPE.match(s) for s in scopes) or \
                    (client.scopes and not set(scopes) <= set(client.scopes)):
                return refuse("invalid_scope")
            code = store.issue_code(client.client_id, redirect_uri, scopes)
            return redirect(with_query(redirect_uri, code=code, state=state), 302)

        @app.post("/<subdomain>/oauth/tokens")
        def tokens(subdomain):
            store = self.accounts[subdomain].oauth
            params = request.get_json(silent=True)
            params = params if isinstance(params, dict) else request.form.to_dict()
            auth = request.authorization  # client credentials may also come as HTTP basic
            if auth is not None and auth.type == "basic":
                params.setdefault("client_id", auth.username)
                params.setdefault("client_secret", auth.password)
            grant_type = params.get("grant_type")
            if not grant_type:
                return _oauth_error("invalid_request")
            if grant_type not in ("authorization_code", "refresh_token"):
                return _oauth_error("unsupported_grant_type")
            if not client.authenticates(params.get("client_id"), params.get("client_secret")):
                return _oauth_error("invalid_client", 401)
            wanted = "code" if grant_type == "authorization_code" else "refresh_token"
            if not isinstance(params.get(wanted), str) or not params[wanted]:
                return _oauth_error("invalid_request")
            try:
                if grant_type == "authorization_code":
                    access, refresh = store.redeem_code(params["code"], client.client_id, params.get("redirect_uri"))
                else:
                    access, refresh = store.refresh(params["refresh_token"], client.client_id, rotate=True)
            except Refused:
                return _oauth_error("invalid_grant")
            body = {"access_token": access.value, "token_type": "bearer", "scope": " ".join(access.scopes),
                    "refresh_token": refresh.value, "expires_in": _seconds(store.access_ttl),
                    "refresh_token_expires_in": _seconds(store.refresh_ttl)}
            return jsonify(body), 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}

        def bearer_token(store):
            """The request's own valid access token, or None."""
            auth = request.authorization
            status, token = store.lookup(auth.token) if auth and auth.type == "bearer" else ("unknown", None)
            return token if status == "valid" else None

        def token_id(value: str) -> int:
            with self.lock:
                return self.token_ids.setdefault(value, len(self.token_ids) + 1)

        @app.get("/<subdomain>/api/v2/oauth/tokens/current.json")
        def current_token(subdomain):
            store = self.accounts[subdomain].oauth
            token = bearer_token(store)
            if token is None:
                return _invalid_token()
            return jsonify(token={"id": token_id(token.value), "token": token.value[:10],
                                  "client_id": token.client_id, "scopes": list(token.scopes)})

        @app.delete("/<subdomain>/api/v2/oauth/tokens/<int:oauth_token_id>.json")
        def revoke_token(subdomain, oauth_token_id):
            store = self.accounts[subdomain].oauth
            if bearer_token(store) is None:
                return _invalid_token()
            with self.lock:
                value = next((v for v, i in self.token_ids.items() if i == oauth_token_id), None)
            if value is None or store.lookup(value)[1] is None:
                return jsonify({"error": "RecordNotFound", "description": "Not found"}), 404
            store.revoke_grant_of(value)
            return "", 204

        @app.errorhandler(404)
        @app.errorhandler(405)
        def _not_found(exc):
            return jsonify({"error": "InvalidEndpoint", "description": "Not found"}), exc.code

        return app


def _seconds(ttl: float | None) -> int | None:
    return None if ttl is None else int(ttl)
