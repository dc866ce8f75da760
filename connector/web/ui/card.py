"""HubSpot contact card: ``GET /hubspot/card`` (v3-signed data fetch) and an admin preview page.

HubSpot's card fetch carries the contact (``associatedObjectId``, and
``email`` when the card asks for that property) and is signed like webhooks:
``X-HubSpot-Signature-v3`` over method + URL + body + timestamp with the app's
client secret (``RECOVERY_HUBSPOT_CLIENT_SECRET``), checked against
``RECOVERY_PUBLIC_BASE_URL`` when behind a proxy.
"""
from flask import current_app, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import object_session

from connector.inbound.crm_signatures import verify_hubspot_v3
from connector.inbound.standard_webhooks import SignatureError
from connector.infra import counters
from connector.runtime import Runtime
from connector.store.db import transaction
from connector.store.models import Answer, Case
from connector.web.auth import require_admin as bearer_admin
from connector.web.current import runtime
from connector.web.ui.blueprint import bp
from connector.web.ui.common import next_stage, now
from connector.web.ui.dashboard import dashboard_admin
from connector.web.webhooks import public_url


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _ticket_url(ticket_id: int | None, rt: Runtime | None = None) -> str | None:
    if not ticket_id:
        return None
    zendesk = (rt or runtime()).zendesk
    if zendesk is not None and hasattr(zendesk, "ticket_url"):
        return zendesk.ticket_url(ticket_id)
    config = runtime().config
    base = config.get("ZENDESK_BASE_URL") or (
        f"https://{config['ZENDESK_SUBDOMAIN']}.zendesk.com" if config.get("ZENDESK_SUBDOMAIN") else None)
    return f"{base.rstrip('/')}/agent/tickets/{ticket_id}" if base else None


def _case_for_contact(session, contact_id: str | None, email: str | None, tenant: str = "default") -> Case | None:
    query = select(Case).where(Case.tenant_id == tenant)
    if contact_id:
        query = query.where(Case.hubspot_contact_id == contact_id)
    elif email:
        query = query.where(Case.customer_email == email.strip().lower())
    else:
        return None
    cases = session.scalars(query.order_by(Case.id.desc())).all()
    return next((c for c in cases if c.status == "open"), cases[0] if cases else None)


def _opening_comment(case: Case) -> str | None:
    session = object_session(case)
    answer = session.get(Answer, case.opening_answer_id) if session and case.opening_answer_id else None
    return answer.comment if answer else None


def signed_card_tenant() -> tuple[str | None, tuple | None]:
    """The tenant a v3-signed card fetch is for, or the 401 to answer; (None, None): no portal installed."""
    secrets = (current_app.config.get("HUBSPOT_CLIENT_SECRET") or "").split()
    if not secrets:
        return None, (jsonify(error="invalid_signature", message="RECOVERY_HUBSPOT_CLIENT_SECRET is not configured"), 401)
    try:
        verify_hubspot_v3(secrets, request.method, public_url(), request.headers, request.get_data(),
                          tolerance=int(current_app.config["WEBHOOK_TOLERANCE_SECONDS"]),
                          now=lambda: now().timestamp())
    except SignatureError as exc:
        return None, (jsonify(error="invalid_signature", message=str(exc)), 401)
    # The signed URL's portalId names the installed portal, hence the tenant (never another's case).
    directory = runtime().directory
    tenant = directory.tenant_of("hubspot", request.args.get("portalId")) if directory is not None else "default"
    if tenant is None:  # a portal nobody installed (or none named): no one's case, ever default's
        counters.ignored("hubspot card: portal not installed")
    return tenant, None


def card_json(case: Case | None, rt: Runtime | None = None) -> dict:
    if case is None:
        return {"incident": False, "case_id": None, "stage": None, "stage_label": None, "next_due_at": None,
                "outcome": None, "zendesk_ticket_url": None, "owner": None, "score": None, "comment": None,
                "results": []}
    upcoming = next_stage(case) if case.status == "open" else None
    overdue = bool(upcoming and upcoming.due_at < now())
    facts = {"incident": case.status == "open", "case_id": case.id, "status": case.status,
             "priority": case.priority, "profile": case.profile,
             "stage": upcoming.key if upcoming else None,
             "stage_label": (rt or runtime()).policies.protocol[upcoming.key].label if upcoming else None,
             "next_due_at": _iso(upcoming.due_at if upcoming else None),
             "overdue": overdue, "outcome": case.outcome,
             "zendesk_ticket_url": _ticket_url(case.zendesk_ticket_id, rt),
             # what the rep asks first: who owns the recovery, and what the customer said
             "owner": case.owner_name or case.owner, "score": case.score, "comment": _opening_comment(case)}
    properties = [{"label": "Incident", "dataType": "BOOLEAN", "value": facts["incident"]},
                  {"label": "Stage", "dataType": "STRING", "value": facts["stage_label"] or "—"},
                  {"label": "Next due", "dataType": "DATETIME", "value": facts["next_due_at"]},
                  {"label": "Outcome", "dataType": "STRING", "value": case.outcome or "—"},
                  {"label": "Owner", "dataType": "STRING", "value": facts["owner"] or "—"},
                  {"label": "Score", "dataType": "NUMERIC", "value": case.score}]
    result = {"objectId": case.id, "title": f"Recovery case #{case.id}", "properties": properties}
    if facts["zendesk_ticket_url"]:
        result["link"] = facts["zendesk_ticket_url"]
    return {**facts, "results": [result]}


@bp.get("/hubspot/card")
def hubspot_card():
    tenant, refused = signed_card_tenant()
    if refused is not None:
        return refused
    if tenant is None:
        return jsonify(card_json(None))
    rt = runtime().for_tenant(tenant)
    with transaction(rt.sessions) as session:
        case = _case_for_contact(session, request.args.get("associatedObjectId"), request.args.get("email"), tenant)
        return jsonify(card_json(case, rt))


@bp.get("/hubspot/card/preview")
def hubspot_card_preview():
    """The card as a page, for admins (dashboard cookie, or the bearer token for scripts)."""
    if dashboard_admin() is None and bearer_admin() is not None:
        return render_template("login.html", error=None, next_path=request.path), 401
    email = (request.args.get("email") or "").strip()
    with transaction(runtime().sessions) as session:
        card = card_json(_case_for_contact(session, None, email) if email else None)
    return render_template("card_preview.html", card=card, email=email)
