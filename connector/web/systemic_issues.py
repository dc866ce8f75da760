"""``GET /api/systemic-issues`` (admin bearer): the systemic issues, newest first, each with its
cause, case ids and when it opened (SPEC "Root causes", contract: those three names), the problem
ticket and whether it is solved. ``?tenant=`` keeps one company's, as the other admin lists do;
the dashboard shows the same list for the company it shows."""
from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.db import reading
from connector.store.models import Case, SystemicIssue
from connector.web.auth import admin_required
from connector.web.current import runtime
from connector.web.planned import plan_before_reading

bp = plan_before_reading(admin_required(Blueprint("systemic", __name__, url_prefix="/api")))
LIMIT = 500


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def issues_json(db: Session, tenant: str | None) -> list[dict]:
    query = select(SystemicIssue).order_by(SystemicIssue.id.desc()).limit(LIMIT)
    if tenant:
        query = query.where(SystemicIssue.tenant_id == tenant)
    issues = db.scalars(query).all()
    members: dict[int, list[int]] = {issue.id: [] for issue in issues}
    if issues:
        for case_id, issue_id in db.execute(select(Case.id, Case.systemic_issue_id)
                                            .where(Case.systemic_issue_id.in_(members)).order_by(Case.id)):
            members[issue_id].append(case_id)
    causes = runtime().policies.causes
    return [{"id": issue.id, "tenant": issue.tenant_id, "cause": issue.cause,
             "cause_label": (found.labels["en"] if (found := causes.get(issue.cause)) else issue.cause),
             "case_ids": members[issue.id], "opened_at": _iso(issue.opened_at),
             "window_start": _iso(issue.window_start), "problem_ticket_id": issue.problem_ticket_id,
             "status": "solved" if issue.solved_at else "open", "solved_at": _iso(issue.solved_at)}
            for issue in issues]


@bp.get("/systemic-issues")
def list_systemic_issues():
    tenant = request.args.get("tenant")
    if tenant is not None and not (0 < len(tenant) <= 64):
        return jsonify(error="validation_failed", fields={"tenant": ["Length must be between 1 and 64."]}), 422
    with reading(runtime().sessions) as db:
        return jsonify(systemic_issues=issues_json(db, tenant))
