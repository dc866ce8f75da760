"""HubSpot company card: ``GET /hubspot/company-card`` (v3-signed like the contact card) and its
admin preview page: the account's open incidents (contact, stage, owner, next due) and its NPS
over 12 months with the quarter-by-quarter trend, from the connector's own store."""
from datetime import datetime, timedelta

from flask import jsonify, render_template, request
from sqlalchemy import select

from connector.domain.account import NPS_WINDOW, AccountAnswer, account_nps
from connector.runtime import Runtime
from connector.store.db import transaction
from connector.store.models import Answer, Case, ContactCompany
from connector.web.auth import require_admin as bearer_admin
from connector.web.current import runtime
from connector.web.ui.blueprint import bp
from connector.web.ui.card import _iso, _ticket_url, signed_card_tenant
from connector.web.ui.common import next_stage, now
from connector.web.ui.dashboard import dashboard_admin

QUARTER = timedelta(days=91)


def _trend(answers: list[AccountAnswer], moment: datetime) -> list[dict]:
    """NPS per quarter, oldest first, over the 12 months (None for a quarter without NPS answers)."""
    points = []
    for back in range(3, -1, -1):
        end = moment - back * QUARTER
        inside = [a for a in answers if end - QUARTER < a.submitted_at <= end]
        points.append({"until": _iso(end), "nps": account_nps(inside, end), "answers": len(inside)})
    return points


def company_card_json(session, company_id: str | None, tenant: str, rt: Runtime | None = None) -> dict:
    empty = {"company_id": company_id, "open_incidents": 0, "nps_account_score": None, "trend": [],
             "incidents": [], "results": []}
    if not company_id:
        return empty
    emails = list(session.scalars(select(ContactCompany.customer_email).where(
        ContactCompany.tenant_id == tenant, ContactCompany.company_id == company_id)))
    if not emails:
        return empty
    moment, rt = now(), rt or runtime()
    cases = session.scalars(select(Case).where(Case.tenant_id == tenant, Case.status == "open",
                                               Case.customer_email.in_(emails)).order_by(Case.opened_at)).all()
    rows = session.execute(select(Answer.customer_email, Answer.customer_name, Answer.survey_type,
                                  Answer.category, Answer.submitted_at).where(
        Answer.tenant_id == tenant, Answer.customer_email.in_(emails),
        Answer.submitted_at > moment - NPS_WINDOW)).all()
    answers = [AccountAnswer(r.survey_type, r.category, r.submitted_at) for r in rows]
    names = {r.customer_email: r.customer_name for r in rows if r.customer_name}
    incidents = []
    for case in cases:
        upcoming = next_stage(case)
        incidents.append({
            "case_id": case.id, "contact": names.get(case.customer_email) or case.customer_email,
            "priority": case.priority, "stage": upcoming.key if upcoming else None,
            "stage_label": rt.policies.protocol[upcoming.key].label if upcoming else None,
            "owner": case.owner_name or case.owner, "next_due_at": _iso(upcoming.due_at if upcoming else None),
            "overdue": bool(upcoming and upcoming.due_at < moment),
            "zendesk_ticket_url": _ticket_url(case.zendesk_ticket_id, rt)})
    score = account_nps(answers, moment)
    results = [{"objectId": i["case_id"], "title": f"{i['contact']} · case #{i['case_id']}",
                "link": i["zendesk_ticket_url"],
                "properties": [{"label": "Stage", "dataType": "STRING", "value": i["stage_label"] or "—"},
                               {"label": "Owner", "dataType": "STRING", "value": i["owner"] or "—"},
                               {"label": "Next due", "dataType": "DATETIME", "value": i["next_due_at"]}]}
               for i in incidents]
    return {"company_id": company_id, "open_incidents": len(incidents), "nps_account_score": score,
            "trend": _trend(answers, moment), "incidents": incidents, "results": results}


@bp.get("/hubspot/company-card")
def hubspot_company_card():
    tenant, refused = signed_card_tenant()
    if refused is not None:
        return refused
    company_id = request.args.get("associatedObjectId")
    if tenant is None:
        return jsonify(company_card_json(None, None, "default"))
    rt = runtime().for_tenant(tenant)
    with transaction(rt.sessions) as session:
        return jsonify(company_card_json(session, company_id, tenant, rt))


@bp.get("/hubspot/company-card/preview")
def hubspot_company_card_preview():
    """The company card as a page, for admins (dashboard cookie, or the bearer token for scripts)."""
    if dashboard_admin() is None and bearer_admin() is not None:
        return render_template("login.html", error=None, next_path=request.path), 401
    company_id = (request.args.get("company_id") or "").strip()
    with transaction(runtime().sessions) as session:
        card = company_card_json(session, company_id or None, "default")
    return render_template("company_card_preview.html", card=card, company_id=company_id)
