"""OAuth installs from the marketplaces: ``/oauth/<vendor>/install`` and ``/oauth/<vendor>/callback``.

1. ``install`` sends the admin to the vendor's consent page with a signed ``state`` (vendor,
   nonce, optional tenant to join) and sets the nonce in a cookie: a callback only completes in
   the browser that started it (no login CSRF).
2. ``callback`` checks state and cookie, exchanges the code, asks the vendor which account
   granted it, and stores the tokens encrypted. The account decides the tenant: an account
   already installed keeps its tenant; otherwise the tenant named in the signed state (joining
   the other vendor of the same company), otherwise a new tenant.
3. The page shown names the tenant's webhook URL and offers to connect the other vendor
   with a one-hour link that joins this tenant: single use, bound to this browser, and never
   replacing an account the tenant already connected (``connector.installs.links``).
"""
import base64
import logging
import secrets

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature

from connector.installs import VENDORS, links, store
from connector.installs.oauth import oauth_client, valid_subdomain
from connector.ports.errors import PermanentError, SyncError
from connector.store.db import transaction
from connector.web.current import runtime

log = logging.getLogger(__name__)
bp = Blueprint("oauth", __name__, url_prefix="/oauth")
STATE_SECONDS = 600
JOIN_SECONDS = links.LINK_SECONDS
COOKIE = "recovery_oauth_nonce"
BROWSER_COOKIE = "recovery_connect"  # the nonce that binds connect links to this browser


def _signer(purpose: str):
    from connector.web.ui import serializer

    return serializer(f"oauth-{purpose}")


def join_link(session, vendor: str, tenant_id: str, now, *, may_replace: bool = False,
              browser_nonce: str | None = None) -> str:
    """A single-use link that connects ``vendor`` to an existing tenant (see ``installs.links``)."""
    link = links.create(session, tenant_id, vendor, now, may_replace=may_replace, browser_nonce=browser_nonce)
    return public_url("oauth.install", vendor=vendor, join=_signer("join").dumps(link.id))


def _bind_browser(response, nonce: str) -> None:
    # Lax: a link opened from an e-mail is a top-level cross-site GET, which Strict would drop.
    response.set_cookie(BROWSER_COOKIE, nonce, max_age=JOIN_SECONDS, secure=request.is_secure, httponly=True,
                        samesite="Lax", path="/oauth")


def public_url(endpoint: str, **values) -> str:
    """An absolute link on ``PUBLIC_BASE_URL`` (required with OAuth): a forged ``Host`` header must
    never put an attacker's host into a connect link or a tenant's webhook URL. The request's host
    is used only when no public address is configured (sandbox, development)."""
    public = current_app.config.get("PUBLIC_BASE_URL")
    if not public:
        return url_for(endpoint, **values, _external=True)
    return str(public).rstrip("/") + url_for(endpoint, **values)


def redirect_uri(vendor: str) -> str:
    return public_url("oauth.callback", vendor=vendor)


def _page(status: int, message: str, **facts):
    return render_template("installed.html", message=message, **facts), status


def _client(vendor: str):
    if vendor not in VENDORS:
        return None
    client = oauth_client(vendor, current_app.config)
    return client if client.configured else None


@bp.get("/<vendor>/install")
def install(vendor):
    client = _client(vendor)
    if client is None:
        return _page(404, f"No OAuth app is configured for {vendor}.")
    tenant = link_id = None
    browser = request.cookies.get(BROWSER_COOKIE) or links.new_browser_nonce()
    if request.args.get("join"):
        try:
            link_id = _signer("join").loads(request.args["join"], max_age=JOIN_SECONDS)
            with transaction(runtime().sessions) as session:
                tenant = links.claim(session, str(link_id), vendor, browser, runtime().clock()).tenant_id
        except BadSignature:
            return _page(400, "This connect link has expired. Start again from the app.")
        except links.LinkRefused as refused:
            log.warning("connect link refused vendor=%s status=%s", vendor, refused.status)
            return _page(refused.status, str(refused))
    subdomain = (request.args.get("subdomain") or "").strip().lower() or None
    if vendor == "zendesk" and not valid_subdomain(subdomain):
        response = current_app.make_response((render_template(
            "installed.html", ask_subdomain=True, vendor=vendor, join=request.args.get("join")),
            200 if subdomain is None else 400))
        if link_id:
            _bind_browser(response, browser)
        return response
    nonce = secrets.token_urlsafe(16)
    state = _signer("state").dumps({"vendor": vendor, "tenant": tenant, "account": subdomain, "nonce": nonce,
                                    "link": link_id})
    response = redirect(client.authorize_url(redirect_uri(vendor), state, subdomain))
    if link_id:
        _bind_browser(response, browser)
    # Lax: the vendor's redirect back is a top-level cross-site GET, which Strict would drop.
    response.set_cookie(COOKIE, nonce, max_age=STATE_SECONDS, secure=request.is_secure, httponly=True,
                        samesite="Lax", path="/oauth")
    return response


@bp.get("/<vendor>/callback")
def callback(vendor):
    client = _client(vendor)
    if client is None:
        return _page(404, f"No OAuth app is configured for {vendor}.")
    if request.args.get("error"):
        return _page(400, f"{vendor.capitalize()} did not grant access ({request.args['error'][:60]}).")
    try:
        state = _signer("state").loads(request.args.get("state", ""), max_age=STATE_SECONDS)
    except BadSignature:
        return _page(400, "This sign-in link has expired or was not started here. Start the install again.")
    nonce = request.cookies.get(COOKIE) or ""
    if state.get("vendor") != vendor or not secrets.compare_digest(nonce, state.get("nonce") or "-"):
        return _page(400, "This install was started in another browser. Start it again here.")
    rt = runtime()
    try:
        grant = client.exchange(request.args.get("code", ""), redirect_uri(vendor), rt.clock(), state.get("account"))
    except SyncError as exc:
        log.warning("oauth code exchange failed vendor=%s: %s", vendor, exc)
        status = 400 if isinstance(exc, PermanentError) else 502
        return _page(status, f"{vendor.capitalize()} refused the sign-in. Start the install again.")
    browser = request.cookies.get(BROWSER_COOKIE) or links.new_browser_nonce()
    may_replace, joining = False, None
    if state.get("link"):
        try:  # spent now, in its own commit: a refused replacement below still uses it up
            with transaction(rt.sessions) as session:
                link = links.consume(session, str(state["link"]), vendor, request.cookies.get(BROWSER_COOKIE),
                                     rt.clock())
                may_replace, joining = link.may_replace, link.tenant_id
        except links.LinkRefused as refused:
            log.warning("connect link refused at callback vendor=%s status=%s", vendor, refused.status)
            return _page(refused.status, str(refused))
    other = next(v for v in VENDORS if v != vendor)
    try:
        with transaction(rt.sessions) as session:
            tenant = (store.tenant_for_account(session, vendor, grant.account) or joining
                      or store.new_tenant_id())
            store.save_grant(session, rt.directory.cipher, tenant, vendor, grant, rt.clock(),
                             may_replace=may_replace)
            secret = _ensure_webhook_secret(session, rt.directory.cipher, tenant)
            connect_other = join_link(session, other, tenant, rt.clock(), browser_nonce=browser) \
                if _client(other) else None
    except store.AccountConflict:
        log.warning("connect refused: tenant=%s already has another %s account", joining, vendor)
        return _page(409, f"This workspace already has another {vendor.capitalize()} account connected. "
                          "Ask the operator to disconnect it, or for a link that replaces it.")
    rt.directory.forget(tenant)
    response = current_app.make_response(_page(
        200, f"{vendor.capitalize()} is connected.", tenant=tenant, vendor=vendor, webhook_secret=secret,
        webhook_url=public_url("tenant_webhooks.survey", tenant=tenant, vendor="generic"),
        connect_other=connect_other, other=other))
    response.delete_cookie(COOKIE, path="/oauth")
    if connect_other:
        _bind_browser(response, browser)
    return response


def _ensure_webhook_secret(session, cipher, tenant: str) -> str | None:
    """A new tenant gets its own Standard Webhooks secret, shown once on this page."""
    if store.tenant_secrets(session, cipher, tenant).get("WEBHOOK_SECRET"):
        return None
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    store.set_tenant_secrets(session, cipher, tenant, {"WEBHOOK_SECRET": secret})
    return secret
