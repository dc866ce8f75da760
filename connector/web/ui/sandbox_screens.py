"""Sandbox only: the Zendesk sidebar and the HubSpot card of a case, opened in a plain browser.

In production the sidebar is entered with the JWT Zendesk signs with the app's RSA key
(``/zendesk/sidebar``) and the card with HubSpot's v3 signature (``/hubspot/card``); on a laptop
against the stand-ins neither vendor is there to sign. So the sandbox issues one token for the
run (signed with the screens' key, purpose ``sandbox-screens``) and prints URLs carrying it.

These routes answer 404 unless the server itself runs in sandbox mode, whatever token is offered:
the shortcut never opens a production deployment's cases, and production verification is untouched.
The sidebar page then works exactly as in Zendesk (session token, case token, same endpoints).
"""
import re
from urllib.parse import urlencode

from flask import abort, render_template, request
from sqlalchemy import select

from connector.config import is_on
from connector.store.db import transaction
from connector.store.models import Case
from connector.web.current import runtime
from connector.web.ui.blueprint import bp
from connector.web.ui.card import _case_for_contact, card_json
from connector.web.ui.common import issue, read
from connector.web.ui.sidebar import _framed, _refuse

PURPOSE = "sandbox-screens"
TENANT = "default"  # the sandbox's stand-ins are the environment's account
TOKEN_TTL = 7 * 24 * 3600  # the life of a demo left running, not of a deployment


def screens_token() -> str:
    """The run's token (inside an app context: it is signed with the screens' key)."""
    return issue(PURPOSE, {"tenant": TENANT})


def screen_urls(base_url: str, token: str, case: dict) -> dict[str, str | None]:
    """Where to see one case (as the admin API shows it) in each vendor's screen."""
    ticket = case.get("zendesk_ticket_id")
    sidebar = f"{base_url}/sandbox/zendesk-sidebar?{urlencode({'ticket_id': ticket, 'token': token})}"
    card = f"{base_url}/sandbox/hubspot-card?{urlencode({'email': case['customer_email'], 'token': token})}"
    return {"sidebar": sidebar if ticket else None, "card": card}


def _sandbox_only() -> str:
    """404 outside sandbox mode (before the token is even read); the token's tenant otherwise."""
    if not is_on(runtime().config.get("SANDBOX")):
        abort(404)
    claims = read(PURPOSE, request.args.get("token"), TOKEN_TTL)
    if claims is None or claims.get("tenant") != TENANT:
        abort(401)
    return TENANT


@bp.get("/sandbox/screens")
def sandbox_screens():
    """Every case of the sandbox with links to its two screens."""
    _sandbox_only()
    token = request.args["token"]
    with transaction(runtime().sessions) as session:
        cases = session.scalars(select(Case).where(Case.tenant_id == TENANT).order_by(Case.id.desc())).all()
        rows = [{"case": case, **screen_urls("", token, {"zendesk_ticket_id": case.zendesk_ticket_id,
                                                         "customer_email": case.customer_email})}
                for case in cases]
        return _framed(render_template("sandbox_screens.html", rows=rows))


@bp.get("/sandbox/zendesk-sidebar")
def sandbox_sidebar():
    """The sidebar page as Zendesk would load it for ``ticket_id`` (the script reads it from the URL)."""
    tenant = _sandbox_only()
    if not re.fullmatch(r"[0-9]{1,12}", request.args.get("ticket_id", "")):
        return _refuse(422, "ticket_id must be a number.")
    token = issue("sidebar", {"tenant": tenant, "aud": None})
    return _framed(render_template("sidebar.html", session_token=token))


@bp.get("/sandbox/hubspot-card")
def sandbox_card():
    """The contact card's content for ``email``, as the admins' preview page shows it."""
    tenant = _sandbox_only()
    email = (request.args.get("email") or "").strip()
    with transaction(runtime().sessions) as session:
        card = card_json(_case_for_contact(session, None, email, tenant) if email else None)
    return _framed(render_template("card_preview.html", card=card, email=email,
                                   sandbox_token=request.args["token"]))
