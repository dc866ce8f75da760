"""Admin API (bearer ``RECOVERY_ADMIN_TOKEN``): cases, stages, dead jobs."""
from flask import Blueprint, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import select

from connector.cases import promises, transitions
from connector.cases.causes import record_cause
from connector.cases.failure import NotAFailedCase, record_failure_reason
from connector.cases.shared import replay_dead_job
from connector.domain.causes import CauseChoiceSchema
from connector.domain.compensation import CompensationRecordSchema
from connector.domain.failure import FailureReasonSchema
from connector.domain.promises import CHRONIC_PLAN_MESSAGE, load_promises
from connector.domain.react import STAGE_KEYS
from connector.store.db import reading, transaction
from connector.store.models import Case, Delivery, Job
from connector.web.auth import admin_required
from connector.web.current import runtime
from connector.web.planned import plan_before_reading

bp = plan_before_reading(admin_required(Blueprint("admin", __name__, url_prefix="/api")))


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def promise_json(promise) -> dict:
    return {"id": promise.id, "what": promise.what, "who": promise.who, "by": _iso(promise.due_at),
            "status": promise.status, "kept_at": _iso(promise.kept_at)}


def case_json(case: Case, confirmation: str | None = None) -> dict:
    """``confirmation``: the written confirmation of the promises, drafted for the agent to send."""
    return {
        "id": case.id, "tenant": case.tenant_id, "status": case.status, "customer_email": case.customer_email,
        "score": case.score, "category": case.category, "severity": case.severity,
        "profile": case.profile, "profile_signals": list(case.profile_signals or []),
        "churn_risk": bool(case.churn_risk),
        "value_tier": case.value_tier, "priority": case.priority, "owner": case.owner,
        "stages": [{"key": s.key, "due_at": _iso(s.due_at), "status": s.status,
                    "completed_at": _iso(s.completed_at), "details": s.details} for s in case.stages],
        "zendesk_ticket_id": case.zendesk_ticket_id, "hubspot_contact_id": case.hubspot_contact_id,
        "sync_status": case.sync_status, "outcome": case.outcome,
        "opened_at": _iso(case.opened_at), "closed_at": _iso(case.closed_at),
        "previous_case_id": case.previous_case_id,
        "failure_reason": None if case.failure_reason is None else {
            "reason": case.failure_reason, "note": case.failure_note, "recorded_at": _iso(case.failure_recorded_at)},
        "interim_answers": [{"response_id": a.response_id, "survey_type": a.survey_type, "score": a.score,
                             "category": a.category, "submitted_at": _iso(a.submitted_at)}
                            for a in case.interim_answers],
        "promises": [promise_json(p) for p in case.promises], "confirmation_draft": confirmation,
        "priority_support": _priority_support(case), "rep": case.rep,
        "holdout": bool(case.holdout), "holdout_draw": case.holdout_draw,
        "cause": cause_json(case),
    }


def cause_json(case: Case) -> dict:
    """The suggestion with its words, the agent's choice, and the one in force (``key``)."""
    return {"key": case.effective_cause, "suggested": case.cause_suggested, "words": list(case.cause_words or []),
            "confirmed": case.cause, "confirmed_at": _iso(case.cause_confirmed_at), "source": case.cause_source}


def _priority_support(case: Case) -> dict | None:
    held = case.priority_support
    return None if held is None else {"until": _iso(held.expires_at), "tag": held.tag, "status": held.status}


def full_case_json(session, case: Case) -> dict:
    # The letters' templates are the deployment's (a tenant sets only its routing): no tenant
    # look-up, whose own read would wait on this transaction's write lock on SQLite.
    return case_json(case, promises.confirmation(runtime().policies, session, case))


def _of_tenant(query, model):
    """``?tenant=`` keeps one company's rows; without it the operator sees every company's."""
    tenant = request.args.get("tenant")
    return query.where(model.tenant_id == tenant) if tenant else query



@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    with reading(runtime().sessions) as session:  # reads take no write lock: polling never holds up intake
        case = session.get(Case, case_id)
        if case is None:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        return jsonify(full_case_json(session, case))


@bp.get("/cases")
def list_cases():
    email = (request.args.get("email") or "").strip().lower()
    if not email:
        return jsonify(error="validation_failed", fields={"email": ["Missing data for required field."]}), 422
    with reading(runtime().sessions) as session:
        cases = session.scalars(_of_tenant(select(Case).where(Case.customer_email == email), Case)
                                .order_by(Case.id)).all()
        return jsonify(cases=[case_json(c) for c in cases])


@bp.post("/cases/<int:case_id>/stages/<key>/complete")
def complete_stage(case_id: int, key: str):
    if key not in STAGE_KEYS:
        return jsonify(error="not_found", message=f"unknown stage {key}"), 404
    body = request.get_json(silent=True) if request.content_length else None
    details = None
    if key == "compensation" and body:
        try:
            details = {"compensation": CompensationRecordSchema().dump(
                CompensationRecordSchema().load(body.get("compensation") or {}))}
        except ValidationError as exc:
            return jsonify(error="validation_failed", fields={"compensation": exc.messages}), 422
    rt = runtime()
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if case is None:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        if key not in {s.key for s in case.stages}:  # a held-out case has two stages only
            return jsonify(error="not_found", message=f"case {case_id} has no stage {key} (held out)"), 404
        if key == "action" and body and body.get("promises") is not None:
            if case.status != "open":  # nothing left to promise on: no tasks, no escalations
                return jsonify(error="conflict", message=f"case {case_id} is closed"), 409
            try:  # the promises are the plan: refused ones leave the stage as it was
                promises.record(session, case, load_promises(body["promises"], opened_at=case.opened_at,
                                                             now=rt.clock()), rt.clock(), source="admin")
            except ValidationError as exc:
                return jsonify(error="validation_failed", fields=exc.messages), 422
        if promises.chronic_plan_unowned(session, case, key):  # checked after this call's promises
            return jsonify(error="validation_failed", fields={"promises": [CHRONIC_PLAN_MESSAGE]}), 422
        transitions.complete_stage(session, case, key, rt.clock(), source="admin", details=details)
        body = full_case_json(session, case)
    rt.notify()
    return jsonify(body)


@bp.post("/cases/<int:case_id>/promises")
def add_promises(case_id: int):
    """Promises made after the action stage (``{"promises": [{what, who, by}, …]}``); 201 with the case."""
    body = request.get_json(silent=True) or {}
    rt = runtime()
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if case is None:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        if case.status != "open":
            return jsonify(error="conflict", message=f"case {case_id} is closed"), 409
        try:
            added = promises.record(session, case, load_promises(body.get("promises"), opened_at=case.opened_at,
                                                                 now=rt.clock()), rt.clock(), source="admin")
        except ValidationError as exc:
            return jsonify(error="validation_failed", fields=exc.messages), 422
        body = full_case_json(session, case)
    rt.notify()
    return jsonify(body), 201 if added else 200


@bp.post("/cases/<int:case_id>/promises/<int:promise_id>/complete")
def keep_promise(case_id: int, promise_id: int):
    """The promise was kept: it no longer escalates, and its HubSpot task is completed."""
    rt = runtime()
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        promise = promises.keep(session, case, promise_id, rt.clock()) if case is not None else None
        if promise is None:
            return jsonify(error="not_found", message=f"no promise {promise_id} on case {case_id}"), 404
        body = promise_json(promise)
    rt.notify()
    return jsonify(body)


@bp.post("/cases/<int:case_id>/failure-reason")
def post_failure_reason(case_id: int):
    """Why a recovery ended partial or failed: ``{"reason": <key of mappings/failure.json>, "note": …}``."""
    rt = runtime()
    try:
        recorded = FailureReasonSchema(rt.policies.failure).load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return jsonify(error="validation_failed", fields=exc.messages), 422
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if case is None:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        try:
            record_failure_reason(session, case, recorded, rt.clock(), source="admin")
        except NotAFailedCase as exc:
            return jsonify(error="conflict", message=str(exc)), 409
        body = case_json(case)
    rt.notify()
    return jsonify(body)


@bp.post("/cases/<int:case_id>/cause")
def post_cause(case_id: int):
    """The agent confirms or changes the case's cause: ``{"cause": <key of mappings/causes.json>}``."""
    rt = runtime()
    body = request.get_json(silent=True)
    try:
        chosen = CauseChoiceSchema(rt.policies.causes).load(body if isinstance(body, dict) else {})
    except ValidationError as exc:
        return jsonify(error="validation_failed", fields=exc.messages), 422
    with transaction(rt.sessions) as session:
        case = session.get(Case, case_id)
        if case is None:
            return jsonify(error="not_found", message=f"no case {case_id}"), 404
        record_cause(session, case, chosen["cause"], rt.clock(), source="admin")
        body = case_json(case)
    rt.notify()
    return jsonify(body)


def job_json(job: Job) -> dict:
    return {"id": job.id, "tenant": job.tenant_id, "kind": job.kind, "ref_id": job.ref_id, "status": job.status,
            "attempts": job.attempts, "run_at": _iso(job.run_at), "last_error": job.last_error,
            "created_at": _iso(job.created_at), "finished_at": _iso(job.finished_at)}


@bp.get("/jobs")
def list_jobs():
    status = request.args.get("status", "dead")
    if status not in ("queued", "running", "done", "dead"):
        return jsonify(error="validation_failed",
                       fields={"status": ["Must be one of: queued, running, done, dead."]}), 422
    query = _of_tenant(select(Job).where(Job.status == status), Job).order_by(Job.id).limit(500)
    with reading(runtime().sessions) as session:  # no write lock: a monitor polling it never holds up a webhook
        jobs = session.scalars(query).all()
        return jsonify(jobs=[job_json(j) for j in jobs])


@bp.post("/jobs/<int:job_id>/replay")
def replay_job(job_id: int):
    rt = runtime()
    with transaction(rt.sessions) as session:
        if not replay_dead_job(session, job_id, rt.clock()):
            return jsonify(error="conflict", message=f"job {job_id} is not dead"), 409
        body = job_json(session.get(Job, job_id))
    rt.notify()
    return jsonify(body)


@bp.get("/deliveries")
def list_deliveries():
    """Newest first (by when received: an accepted delivery's row is written when its answer is
    fed, after the 202); filter with ?source=, ?outcome= and ?tenant=; ?limit= up to 500."""
    query = _of_tenant(select(Delivery), Delivery).order_by(Delivery.received_at.desc(), Delivery.id.desc())
    for name in ("source", "outcome"):
        if request.args.get(name):
            query = query.where(getattr(Delivery, name) == request.args[name])
    try:
        limit = min(max(int(request.args.get("limit", 100)), 1), 500)
    except ValueError:
        return jsonify(error="validation_failed", fields={"limit": ["Not a valid integer."]}), 422
    with reading(runtime().sessions) as session:
        rows = session.scalars(query.limit(limit)).all()
        return jsonify(deliveries=[{
            "id": d.id, "tenant": d.tenant_id, "source": d.source, "received_at": _iso(d.received_at),
            "status_code": d.status_code, "outcome": d.outcome, "reason": d.reason, "delivery_id": d.delivery_id,
            "response_id": d.response_id} for d in rows])
